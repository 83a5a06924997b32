/**
 * Where the target installs from. Before publish: the local dist/ (served through the reverse forward).
 * After publish: a release — a local store directory (served the same way) or a GitHub URL the target
 * downloads from itself. The install script, default-release and the release key beside the install script
 * (kontain-release.pub, when there is one) are always served from this host.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkAttestations, type ReleaseFiles } from '../attest/check.js';
import { loadPublicKey } from '../attest/keys.js';
import { RefusedError, UsageError } from '../errors/index.js';
import { dirLayout } from '../store/dir-layout.js';
import { PROVENANCE_FILE, SBOM_FILE, SIG_FILE, SUMS_FILE } from '../config/release-files.js';
import { type Resolver, safeJoin } from './file-server.js';

export type ArtifactSource =
  | { kind: 'dist'; dir: string; repo: string; tag: string }
  | { kind: 'store'; root: string; repo: string; tag: string }
  | { kind: 'url'; baseUrl: string; repo: string; tag: string };

export interface ServedFiles {
  installScript: string;
}

/** The public key shipped beside the install script: the script checks SHA256SUMS.sig with it. */
export const RELEASE_KEY_FILE = 'kontain-release.pub';

function releaseKeyOf(files: ServedFiles): string | undefined {
  const key = path.join(path.dirname(files.installScript), RELEASE_KEY_FILE);
  return existsSync(key) ? key : undefined;
}

function readIfThere(file: string): Buffer | undefined {
  return existsSync(file) ? readFileSync(file) : undefined;
}

/**
 * With a key beside the install script, the release must be signed with it: its signature, the provenance's
 * DSSE signature and subjects and the SBOM's hashes are checked here, before any target installs it (the
 * install script then checks the signature again in the target, and each asset against SHA256SUMS).
 * `where` names the release in messages (a directory or a URL).
 */
export function checkSignedRelease(where: string, release: ReleaseFiles, files: ServedFiles): void {
  const keyFile = releaseKeyOf(files);
  if (keyFile === undefined) return;
  const report = checkAttestations(release, loadPublicKey(keyFile));
  const [first, ...more] = report.problems;
  if (first === undefined) return;
  throw new RefusedError(
    more.length === 0
      ? `${where}: ${first}`
      : `${where}: ${report.problems.length} problems with its signature and attestations (${RELEASE_KEY_FILE} is beside the install script)`,
    { details: more.length === 0 ? [] : report.problems },
  );
}

/** True when the release must be checked against a key (one is beside the install script). */
export function hasReleaseKey(files: ServedFiles): boolean {
  return releaseKeyOf(files) !== undefined;
}

function checkSigned(dir: string, files: ServedFiles): void {
  const at = (name: string): string => path.join(dir, name);
  checkSignedRelease(
    dir,
    {
      sums: readIfThere(at(SUMS_FILE)),
      signature: readIfThere(at(SIG_FILE)),
      provenance: readIfThere(at(PROVENANCE_FILE))?.toString('utf8'),
      sbom: readIfThere(at(SBOM_FILE))?.toString('utf8'),
    },
    files,
  );
}

/** Read-only checks: the inputs exist, and a release the install script would refuse is refused now. */
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
    checkSigned(src.dir, files);
  }
  if (src.kind === 'store') {
    const dir = storeReleaseDir(src);
    if (!existsSync(path.join(dir, SUMS_FILE))) {
      throw new UsageError(
        `no release ${src.tag} in the local store (${dir} has no SHA256SUMS): publish it first`,
      );
    }
    checkSigned(dir, files);
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
    const key = releaseKeyOf(files);
    if (urlPath === `/${RELEASE_KEY_FILE}` && key !== undefined) return { file: key };
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
