/**
 * Child processes: each runs in its own process group (spawned detached), so stopping it stops everything it
 * started. Output is streamed line by line; a timeout or an abort stops the group: SIGTERM, then SIGKILL after a
 * grace period.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { onTimeoutOrAbort } from './cancel.js';

/** Send `signal` to the process group led by `pid`. False when there is no such group (it has ended). */
export function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined || pid <= 0) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/**
 * SIGTERM to the group led by `pid`, SIGKILL when `exited` has not settled after graceMs. Resolves when it
 * settled or the SIGKILL was sent.
 */
export async function stopGroup(
  pid: number | undefined,
  exited: Promise<unknown>,
  graceMs: number,
): Promise<void> {
  if (!killGroup(pid, 'SIGTERM')) return;
  let timer: NodeJS.Timeout | undefined;
  const graceOver = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)));
  const ended = await Promise.race([exited.then(() => true), graceOver]);
  clearTimeout(timer);
  if (!ended) killGroup(pid, 'SIGKILL');
}

export interface RunProcessOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Aborting stops the process group; the result says `aborted`. */
  signal?: AbortSignal;
  /** After this long the process group is stopped; the result says `timedOut`. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL when stopping (default 5 s). */
  graceMs?: number;
  onStdout?: (line: string) => void;
  onStderr?: (line: string) => void;
  /** Keep stdout's text in the result (default false: it is only streamed). */
  captureStdout?: boolean;
}

export interface ProcessResult {
  /** Exit code, or null when a signal ended it (or it never started because the signal had aborted). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  timedOut: boolean;
  aborted: boolean;
}

/**
 * Runs cmd with args (no shell) and resolves once it and its output have ended, whatever its exit status.
 * Rejects only when it cannot be started (the spawn error, e.g. ENOENT when cmd is not installed).
 */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: RunProcessOptions = {},
): Promise<ProcessResult> {
  if (opts.signal?.aborted === true)
    return Promise.resolve({ code: null, signal: null, stdout: '', timedOut: false, aborted: true });
  return new Promise<ProcessResult>((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    if (opts.captureStdout === true) child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    const { onStdout, onStderr } = opts;
    if (onStdout !== undefined) createInterface({ input: child.stdout }).on('line', onStdout);
    else child.stdout.resume();
    if (onStderr !== undefined) createInterface({ input: child.stderr }).on('line', onStderr);
    else child.stderr.resume();

    let closed!: () => void;
    const whenClosed = new Promise<void>((r) => (closed = r));
    let timedOut = false;
    const unwatch = onTimeoutOrAbort(opts, (reason) => {
      timedOut = reason === 'timeout';
      void stopGroup(child.pid, whenClosed, opts.graceMs ?? 5000);
    });
    const settle = (): void => {
      unwatch();
      closed();
    };
    child.once('error', (e) => {
      settle();
      reject(e);
    });
    child.once('close', (code, signal) => {
      settle();
      resolve({ code, signal, stdout, timedOut, aborted: opts.signal?.aborted === true });
    });
  });
}
