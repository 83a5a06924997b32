/** Retry counts and backoff of the public-download verification (propagation can lag the publish). */

export interface RetryOptions {
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseMs: number;
}

export function backoffMs(opts: RetryOptions, attempt: number): number {
  return opts.baseMs * 2 ** Math.max(0, attempt - 1);
}
