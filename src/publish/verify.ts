/** After publishing: download every asset the way a user would (no token), hash it, compare. */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredAsset } from '../store/types.js';
import type { PlanAsset } from './plan-types.js';
import { backoffMs, type RetryOptions } from './retry.js';
import { sha256Stream } from '../checksums/index.js';

export async function verifyDownload(
  store: ReleaseStore,
  asset: StoredAsset,
  want: PlanAsset,
  opts: { logger: Logger; retry: RetryOptions; signal: AbortSignal },
): Promise<void> {
  let last = '';
  for (let attempt = 1; attempt <= opts.retry.attempts; attempt++) {
    opts.signal.throwIfAborted();
    try {
      const got = (await sha256Stream(await store.download(asset, opts.signal), opts.signal)).sha256;
      if (got === want.sha256) return;
      last = `downloaded sha256 ${got}, expected ${want.sha256}`;
    } catch (e) {
      if (opts.signal.aborted) throw e;
      last = errorMessage(e);
    }
    if (attempt < opts.retry.attempts) {
      const wait = backoffMs(opts.retry, attempt);
      opts.logger.debug(`${want.name}: download check ${attempt} failed (${last}); retrying in ${wait}ms`);
      await sleep(wait, undefined, { signal: opts.signal });
    }
  }
  throw new ApplyError(`${want.name} at ${asset.downloadUrl} does not download correctly: ${last}`);
}
