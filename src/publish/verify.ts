/** After publishing: download every asset the way a user would (no token), hash it, compare. */
import { ApplyError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredAsset } from '../store/types.js';
import { retry, type RetryOptions } from '../util/retry.js';
import type { PlanAsset } from './plan-types.js';
import { sha256Stream } from '../checksums/index.js';

export async function verifyDownload(
  store: ReleaseStore,
  asset: StoredAsset,
  want: PlanAsset,
  opts: { logger: Logger; retry: RetryOptions; signal: AbortSignal },
): Promise<void> {
  try {
    await retry(
      async () => {
        const got = (await sha256Stream(await store.download(asset, opts.signal), opts.signal)).sha256;
        if (got !== want.sha256) throw new Error(`downloaded sha256 ${got}, expected ${want.sha256}`);
      },
      {
        ...opts.retry,
        signal: opts.signal,
        onRetry: (e, attempt, wait) =>
          opts.logger.debug(
            `${want.name}: download check ${attempt} failed (${errorMessage(e)}); retrying in ${wait}ms`,
          ),
      },
    );
  } catch (e) {
    if (opts.signal.aborted) throw e;
    throw new ApplyError(
      `${want.name} at ${asset.downloadUrl} does not download correctly: ${errorMessage(e)}`,
    );
  }
}
