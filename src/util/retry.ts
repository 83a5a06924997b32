/** Retry with exponential backoff: attempt n (1-based) failing waits baseMs × 2^(n-1), at most maxMs. */

export interface Backoff {
  /** Delay after the first failed attempt; it doubles after each further one. */
  baseMs: number;
  /** Upper bound of one delay (default: none). baseMs = maxMs gives a fixed interval. */
  maxMs?: number;
}

export interface RetryOptions extends Backoff {
  /** Attempts in all, the first one included (Infinity: until shouldRetry says no). */
  attempts: number;
  /** Checked before every attempt and during every wait: an abort throws the signal's reason at once. */
  signal?: AbortSignal;
  /** Whether the failure `e` of attempt `attempt` is worth another attempt. Default: every failure is. */
  shouldRetry?: (e: unknown, attempt: number) => boolean;
  /**
   * Called before waiting after attempt `attempt` failed with `e`, with the computed delay; may return another
   * delay (a server's Retry-After, the time left before a deadline).
   */
  onRetry?: (e: unknown, attempt: number, delayMs: number) => number | void;
}

/** The wait after failed attempt `attempt` (1-based). */
export function backoffDelay(b: Backoff, attempt: number): number {
  const ms = b.baseMs * 2 ** Math.max(0, attempt - 1);
  return b.maxMs === undefined ? ms : Math.min(ms, b.maxMs);
}

/** Calls fn(attempt) until it resolves; the last failure is thrown when no attempt is left or it is not retried. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    opts.signal?.throwIfAborted();
    try {
      return await fn(attempt);
    } catch (e) {
      if (attempt >= opts.attempts || opts.signal?.aborted === true) throw e;
      if (opts.shouldRetry !== undefined && !opts.shouldRetry(e, attempt)) throw e;
      const computed = backoffDelay(opts, attempt);
      const override = opts.onRetry?.(e, attempt, computed);
      await wait(typeof override === 'number' ? override : computed, opts.signal);
    }
  }
}

/** Resolves after ms; rejects with the signal's reason as soon as it aborts. */
function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 && signal === undefined) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
