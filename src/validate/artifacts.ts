/**
 * Where the target installs from. Before publish: the local dist/ (served through the reverse forward).
 * After publish: a release — a local store directory (served the same way) or a GitHub URL the target
 * downloads from itself. The install script and default-release are always served from this host.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import { dirLayout } from '../store/dir-layout.js';
import { SUMS_FILE } from '../config/release-files.js';
import { type Resolver, safeJoin } from './file-server.js';

export type ArtifactSource =
  | { kind: 'dist'; dir: string; repo: string; tag: string }
  | { kind: 'store'; root: string; repo: string; tag: string }
  | { kind: 'url'; baseUrl: string; repo: string; tag: string };

export interface ServedFiles {
  installScript: string;
}

/** Read-only checks: the inputs exist. One clear line each. */
export function checkArtifacts(src: ArtifactSource, files: ServedFiles): void {
  if (!existsSync(files.installScript)) {
    throw new UsageError(
      `install script ${files.installScript} does not exist: set validate.installScript in krel.json`,
    );
  }
  if (src.kind === 'dist') {
    for (const f of [SUMS_FILE, 'kontain.tar.gz']) {
      if (!existsSync(path.join(src.dir, f))) {
        throw new UsageError(
          `${path.join(src.dir, f)} is missing: run \`krel make\` first, or pass --dist DIR`,
        );
      }
    }
  }
  if (src.kind === 'store') {
    const dir = storeReleaseDir(src);
    if (!existsSync(path.join(dir, SUMS_FILE))) {
      throw new UsageError(
        `no release ${src.tag} in the local store (${dir} has no SHA256SUMS): publish it first`,
      );
    }
  }
}

/** The release's directory in a local store (laid out like GitHub's download URLs). */
function storeReleaseDir(src: Extract<ArtifactSource, { kind: 'store' }>): string {
  return dirLayout(src.root, src.repo).releaseDir(src.tag);
}

/** The URL paths the file server answers. */
export function buildResolver(src: ArtifactSource, files: ServedFiles): Resolver {
  const prefix = `/${src.repo}/releases/download/${src.tag}/`;
  const assetDir = src.kind === 'dist' ? src.dir : src.kind === 'store' ? storeReleaseDir(src) : undefined;
  return (urlPath) => {
    if (urlPath === '/kontain-install.sh') return { file: files.installScript };
    if (urlPath === '/default-release') return { text: `${src.tag}\n` };
    if (assetDir === undefined || !urlPath.startsWith(prefix)) return undefined;
    const asset = decodeURIComponent(urlPath.slice(prefix.length));
    // Only published assets: no subdirectories, no store metadata (dot files).
    if (asset === '' || asset.includes('/') || asset.startsWith('.')) return undefined;
    const file = safeJoin(assetDir, asset);
    return file === undefined ? undefined : { file };
  };
}

/** The step environment for a target that reaches this host's file server at http://127.0.0.1:port. */
export function stepEnv(src: ArtifactSource, port: number): Record<string, string> {
  const local = `http://127.0.0.1:${port}`;
  return {
    RELEASE_TAG: src.tag,
    KONTAIN_RELEASE_URL: src.kind === 'url' ? src.baseUrl : `${local}/${src.repo}/releases/download`,
    KONTAIN_RELEASES_REPO_URL: local,
  };
}

export function describeSource(src: ArtifactSource): string {
  switch (src.kind) {
    case 'dist':
      return `local ${src.dir} as ${src.repo} ${src.tag}`;
    case 'store':
      return `release ${src.tag} from the local store ${src.root}`;
    case 'url':
      return `release ${src.tag} from ${src.baseUrl}`;
  }
}
