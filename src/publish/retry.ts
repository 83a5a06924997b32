/** Backoff helpers shared by uploads and download verification. */

export interface RetryOptions {
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseMs: number;
}

export function backoffMs(opts: RetryOptions, attempt: number): number {
  return opts.baseMs * 2 ** Math.max(0, attempt - 1);
}

/** Sleep that ends early (rejecting) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
