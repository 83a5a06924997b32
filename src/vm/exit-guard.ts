/**
 * Last-resort cleanup for VMs when the process ends without dispose(): on process exit, and on SIGINT, SIGTERM
 * and SIGHUP when nobody else handles the signal (the CLI aborts its AbortSignal and disposes targets itself; its
 * second signal calls process.exit, which still runs these). signal-exit is the same cooperative registry
 * proper-lockfile uses, so neither defers to the other forever. Cleanups are synchronous (kill, remove).
 */
import onExit from 'signal-exit';

const cleanups = new Set<() => void>();
let installed = false;

/** Registers a synchronous cleanup; returns its removal. */
export function exitGuard(cleanup: () => void): () => void {
  cleanups.add(cleanup);
  if (!installed) {
    installed = true;
    onExit(runAll);
  }
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
