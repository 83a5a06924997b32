/** Which artifacts a validation installs: local dist/ (before publish) or a published release (--release). */
import path from 'node:path';
import type { KrelConfig } from '../config/types.js';
import { UsageError } from '../errors/index.js';
import { parseStoreSpec } from '../store/index.js';
import { checkTag, resolveTag } from '../tag/index.js';
import type { ArtifactSource } from './artifacts.js';

const DEFAULT_REPO = 'kontainapp/km';

export interface SourceOptions {
  config: KrelConfig;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --dist DIR (default config.out). */
  dist?: string;
  /** --release TAG: install the published release instead of dist/. */
  release?: string;
  /** --store "github" | "dir:PATH" (default: krel.json release.store). */
  store?: string;
}

export function resolveSource(opts: SourceOptions): ArtifactSource {
  const { config, env } = opts;
  const repo = config.repo ?? env.GITHUB_REPOSITORY ?? DEFAULT_REPO;
  if (opts.release === undefined) {
    if (opts.store !== undefined)
      throw new UsageError('--store needs --release TAG (dist/ is used otherwise)');
    const dir = opts.dist !== undefined ? path.resolve(opts.cwd, opts.dist) : config.out;
    return { kind: 'dist', dir, repo, tag: resolveTag(env, config.release.defaultTag).tag };
  }
  if (opts.dist !== undefined)
    throw new UsageError('--dist and --release exclude each other: pick one source');
  const tag = checkTag(opts.release, 'argument');
  const store = opts.store !== undefined ? parseStoreSpec(opts.store, opts.cwd) : config.release.store;
  if (store.kind === 'dir') return { kind: 'store', root: store.root, repo, tag };
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  return { kind: 'url', baseUrl: `${server}/${repo}/releases/download`, repo, tag };
}
