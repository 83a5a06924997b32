/**
 * Upload one asset and prove it arrived: state 'uploaded', the right size, digest = local sha256.
 * Transient failures (5xx, reset, 422 already_exists) clear the asset of that name and retry with backoff;
 * a complete matching asset left by an attempt whose response was lost is kept. A digest mismatch is deleted
 * and retried once, then fails.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredAsset, StoredRelease } from '../store/types.js';
import type { PlanAsset } from './plan-types.js';
import { backoffMs, type RetryOptions } from './retry.js';

export interface UploadOptions {
  store: ReleaseStore;
  draft: StoredRelease;
  file: string;
  logger: Logger;
  retry: RetryOptions;
  signal: AbortSignal;
  onProgress?: (bytes: number) => void;
}

/** Why a stored asset is not the local one, or undefined when it is. */
export function uploadProblem(got: StoredAsset, want: PlanAsset): string | undefined {
  if (got.state !== 'uploaded') return `state is "${got.state}", not "uploaded"`;
  if (got.size !== want.size) return `size is ${got.size}, expected ${want.size}`;
  if (got.digest !== `sha256:${want.sha256}`)
    return `digest is ${got.digest ?? 'missing'}, expected sha256:${want.sha256}`;
  return undefined;
}

class DigestMismatch extends ApplyError {}

/** After a failed attempt: keep a complete matching asset, delete anything else of that name. */
async function settle(o: UploadOptions, want: PlanAsset): Promise<StoredAsset | undefined> {
  const found = (await o.store.listAssets(o.draft)).filter((a) => a.name === want.name);
  for (const a of found) {
    if (uploadProblem(a, want) === undefined) return a;
    o.logger.debug(`${want.name}: deleting leftover asset ${a.id} (${a.state}, ${a.size} bytes)`);
    await o.store.deleteAsset(o.draft, a);
  }
  return undefined;
}

export async function uploadVerified(o: UploadOptions, want: PlanAsset): Promise<StoredAsset> {
  let mismatches = 0;
  for (let attempt = 1; ; attempt++) {
    o.signal.throwIfAborted();
    try {
      const got = await o.store.uploadAsset(o.draft, {
        name: want.name,
        file: o.file,
        size: want.size,
        sha256: want.sha256,
        contentType: want.contentType,
        signal: o.signal,
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
      });
      const problem = uploadProblem(got, want);
      if (problem === undefined) return got;
      mismatches++;
      await o.store.deleteAsset(o.draft, got);
      if (mismatches > 1)
        throw new DigestMismatch(`uploaded ${want.name} twice and it is wrong both times: ${problem}`);
      o.logger.warn(`${want.name}: uploaded asset is wrong (${problem}); deleted it, uploading again`);
    } catch (e) {
      if (o.signal.aborted || e instanceof DigestMismatch) throw e;
      if (attempt >= o.retry.attempts) {
        throw new ApplyError(`uploading ${want.name} failed ${attempt} times, last: ${errorMessage(e)}`, {
          cause: e,
        });
      }
      const wait = backoffMs(o.retry, attempt);
      o.logger.warn(
        `${want.name}: upload attempt ${attempt} failed (${errorMessage(e)}); retrying in ${wait}ms`,
      );
      await sleep(wait, undefined, { signal: o.signal });
      try {
        const kept = await settle(o, want);
        if (kept !== undefined) return kept;
      } catch (se) {
        o.logger.debug(`${want.name}: could not list/clear leftovers yet: ${errorMessage(se)}`);
      }
    }
  }
}
