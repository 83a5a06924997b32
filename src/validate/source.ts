/** Which artifacts a validation installs: local dist/ (before publish) or a published release (--release). */
import path from 'node:path';
import { parseStoreSpec, type StoreSpec } from '../config/store-spec.js';
import type { ReleaseContext } from '../context/release-context.js';
import { UsageError } from '../errors/index.js';
import { checkTag } from '../tag/index.js';
import type { ArtifactSource } from './artifacts.js';

/** The repository path a local dist/ is served under when krel.json and the environment name none. */
const LOCAL_REPO = 'local/release';

export interface SourceOptions {
  /** --dist DIR (default config.out). */
  dist?: string;
  /** --release TAG: install the published release instead of dist/. */
  release?: string;
  /** --store "github" | "dir:PATH", or a spec already parsed (default: the context's store). */
  store?: string | StoreSpec;
}

function needRepo(ctx: ReleaseContext, what: string): string {
  if (ctx.repo !== undefined) return ctx.repo;
  throw new UsageError(
    `${what} needs the repository: set "repo": "owner/name" in ${ctx.config.file} or GITHUB_REPOSITORY`,
  );
}

export function resolveSource(ctx: ReleaseContext, opts: SourceOptions): ArtifactSource {
  if (opts.release === undefined) {
    if (opts.store !== undefined)
      throw new UsageError('--store needs --release TAG (dist/ is used otherwise)');
    const dir = opts.dist !== undefined ? path.resolve(ctx.cwd, opts.dist) : ctx.config.out;
    return { kind: 'dist', dir, repo: ctx.repo ?? LOCAL_REPO, tag: ctx.tag.tag };
  }
  if (opts.dist !== undefined)
    throw new UsageError('--dist and --release exclude each other: pick one source');
  const tag = checkTag(opts.release, 'argument');
  const store =
    typeof opts.store === 'string' ? parseStoreSpec(opts.store, ctx.cwd) : (opts.store ?? ctx.storeSpec);
  const repo = needRepo(ctx, `--release ${tag}`);
  if (store.kind === 'dir') return { kind: 'store', root: store.root, repo, tag };
  const server = (ctx.env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  return { kind: 'url', baseUrl: `${server}/${repo}/releases/download`, repo, tag };
}
