/** Retry counts and backoff shared by uploads and download verification. */

export interface RetryOptions {
  attempts: number;
  /** Delay before the second attempt; doubles each time. */
  baseMs: number;
}

export function backoffMs(opts: RetryOptions, attempt: number): number {
  return opts.baseMs * 2 ** Math.max(0, attempt - 1);
}
