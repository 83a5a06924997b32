/** A timeout and an abort signal watched together, for work that must be stopped on whichever comes first. */

export type StopReason = 'timeout' | 'abort';

/**
 * Calls stop(reason) once: when timeoutMs has passed or the signal aborts (or had aborted), whichever is first.
 * Returns the function that stops watching (call it when the work has ended on its own).
 */
export function onTimeoutOrAbort(
  opts: { timeoutMs?: number | undefined; signal?: AbortSignal | undefined },
  stop: (reason: StopReason) => void,
): () => void {
  const fire = (reason: StopReason): void => {
    unwatch();
    stop(reason);
  };
  const onAbort = (): void => fire('abort');
  const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => fire('timeout'), opts.timeoutMs);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted === true) queueMicrotask(onAbort); // aborted before watching began
  function unwatch(): void {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return unwatch;
}
