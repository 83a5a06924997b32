/** Bounded concurrency: run an async function over a list with at most `limit` calls in flight. */

export interface MapLimitOptions {
  /** Once aborted, no further item is started; the reason is thrown after the running ones end. */
  signal?: AbortSignal;
  /**
   * Start every item even after one failed (each must have its chance, e.g. one report per target); the first
   * failure is still thrown once all have ended. Default false: the first failure stops new starts.
   */
  runAll?: boolean;
}

/** Results keep the input order. The first failure (in time) is rethrown once the calls in flight have ended. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: MapLimitOptions = {},
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const stopped = (): boolean =>
    (failed !== undefined && opts.runAll !== true) || opts.signal?.aborted === true;
  const worker = async (): Promise<void> => {
    while (!stopped() && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed !== undefined) throw failed.error;
  opts.signal?.throwIfAborted();
  return results;
}
