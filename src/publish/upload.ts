/**
 * Upload one asset and prove it arrived: state 'uploaded', the right size, digest = local sha256.
 * Transport failures are the store's to retry (the GitHub store retries 5xx, dropped connections and
 * already_exists, clearing leftovers; the local store has no transport): an error from it is final here, so
 * one failing upload is sent a bounded number of times, not a product of two retry layers. What this layer
 * adds is the contract: a stored copy whose digest is wrong is deleted and uploaded once more, then fails.
 */
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredAsset, StoredRelease } from '../store/types.js';
import type { PlanAsset } from './plan-types.js';

export interface UploadOptions {
  store: ReleaseStore;
  draft: StoredRelease;
  file: string;
  logger: Logger;
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

async function uploadOnce(o: UploadOptions, want: PlanAsset): Promise<StoredAsset> {
  o.signal.throwIfAborted();
  try {
    return await o.store.uploadAsset(o.draft, {
      name: want.name,
      file: o.file,
      size: want.size,
      sha256: want.sha256,
      contentType: want.contentType,
      signal: o.signal,
      ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    });
  } catch (e) {
    if (o.signal.aborted) throw e;
    throw new ApplyError(`uploading ${want.name} failed: ${errorMessage(e)}`, { cause: e });
  }
}

export async function uploadVerified(o: UploadOptions, want: PlanAsset): Promise<StoredAsset> {
  const first = await uploadOnce(o, want);
  const problem = uploadProblem(first, want);
  if (problem === undefined) return first;
  await o.store.deleteAsset(o.draft, first);
  o.logger.warn(`${want.name}: uploaded asset is wrong (${problem}); deleted it, uploading again`);
  const second = await uploadOnce(o, want);
  const again = uploadProblem(second, want);
  if (again === undefined) return second;
  await o.store.deleteAsset(o.draft, second);
  throw new ApplyError(`uploaded ${want.name} twice and it is wrong both times: ${again}`);
}
