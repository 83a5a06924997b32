/**
 * A published release's checksums and attestations, fetched from its download URL on this host, so that a
 * release on GitHub is checked against the release key (krel validate --release TAG) before any target installs
 * it, as a local one is. Only these small files are fetched; a file the release lacks is absent (404).
 */
import type { ReleaseFiles } from '../attest/check.js';
import { PROVENANCE_FILE, SBOM_FILE, SIG_FILE, SUMS_FILE } from '../config/release-files.js';
import { ApplyError, UsageError } from '../errors/index.js';
import { redact } from '../log/redact.js';
import { type ArtifactSource, checkSignedRelease, hasReleaseKey, type ServedFiles } from './artifacts.js';

/** Larger than any checksum list or attestation krel writes; a bigger answer is refused. */
const MAX_BYTES = 16 * 1024 * 1024;

async function fetchOptional(url: string, signal?: AbortSignal): Promise<Buffer | undefined> {
  let tooLarge = false;
  // Loaded here, not at start-up: only a validation of a release on GitHub downloads anything on the host.
  const { default: got } = await import('got');
  try {
    const request = got(url, {
      responseType: 'buffer',
      throwHttpErrors: false,
      timeout: { request: 60_000 },
      retry: { limit: 2 },
      ...(signal !== undefined ? { signal } : {}),
    });
    // Stopped as soon as it passes the limit: a hostile or broken server cannot make krel hold gigabytes.
    void request.on('downloadProgress', (p: { transferred: number }) => {
      if (p.transferred > MAX_BYTES && !tooLarge) {
        tooLarge = true;
        request.cancel();
      }
    });
    const r = await request;
    if (r.statusCode === 404) return undefined;
    if (r.statusCode !== 200) throw new ApplyError(`${redact(url)} answered HTTP ${r.statusCode}`);
    return r.body;
  } catch (e) {
    if (tooLarge) throw new ApplyError(`${redact(url)} is larger than ${MAX_BYTES} bytes`);
    if (e instanceof ApplyError) throw e;
    throw new ApplyError(`cannot download ${redact(url)}: ${(e as Error).message}`);
  }
}

async function downloadReleaseFiles(
  baseUrl: string,
  tag: string,
  signal?: AbortSignal,
): Promise<ReleaseFiles> {
  const at = (name: string): string => `${baseUrl}/${encodeURIComponent(tag)}/${name}`;
  const [sums, signature, provenance, sbom] = await Promise.all(
    [SUMS_FILE, SIG_FILE, PROVENANCE_FILE, SBOM_FILE].map((f) => fetchOptional(at(f), signal)),
  );
  return { sums, signature, provenance: provenance?.toString('utf8'), sbom: sbom?.toString('utf8') };
}

/**
 * A release on GitHub, checked against the key beside the install script before any target installs it (as a
 * local one is while planning). False when there is no key, so nothing was checked.
 */
export async function checkPublishedRelease(
  src: Extract<ArtifactSource, { kind: 'url' }>,
  served: ServedFiles,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!hasReleaseKey(served)) return false;
  const files = await downloadReleaseFiles(src.baseUrl, src.tag, signal);
  if (files.sums === undefined) {
    throw new UsageError(
      `release ${src.tag} has no SHA256SUMS at ${src.baseUrl}/${src.tag}/: publish it first`,
    );
  }
  checkSignedRelease(`release ${src.tag} at ${src.baseUrl}`, files, served);
  return true;
}
