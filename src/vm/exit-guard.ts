/**
 * Last-resort cleanup for VMs when the process ends without dispose(): on process exit, and on SIGINT, SIGTERM
 * and SIGHUP when nobody else handles the signal (the CLI aborts its AbortSignal and disposes targets itself;
 * its second signal calls process.exit, which still runs these). Cleanups are synchronous (kill, remove).
 */
const cleanups = new Set<() => void>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
let installed = false;

/** Registers a synchronous cleanup; returns its removal. */
export function exitGuard(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  install();
  return () => void cleanups.delete(cleanup);
}

function runAll(): void {
  for (const c of [...cleanups]) {
    cleanups.delete(c);
    try {
      c();
    } catch {
      // best effort: keep cleaning the rest
    }
  }
}

function onSignal(sig: NodeJS.Signals): void {
  if (process.listenerCount(sig) > 1) return; // someone else handles it and will dispose
  runAll();
  // Die of the signal as if nobody had listened.
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  process.kill(process.pid, sig);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', runAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}
