/** Run one command over SSH with streamed output, a timeout and cancellation. */
import { errorMessage } from '../errors/index.js';
import { onTimeoutOrAbort } from '../util/cancel.js';
import type { SshConnection } from './connect.js';
import { SshError } from './errors.js';
import { envPrefix } from './quote.js';

export interface ExecOptions {
  /** Exported before the command runs (independent of the server's AcceptEnv). */
  env?: Readonly<Record<string, string>>;
  /** Stop waiting after this long: the remote command is sent KILL and the channel closed. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Stop waiting when this aborts, without ending the command: its channel stays open and its output keeps
   * coming to the callbacks until its last process ends (a background process a shell started holds it).
   */
  until?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  /** The exit status, or null when the command died by a signal or never reported one. */
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  /** True when opts.signal aborted the command. */
  aborted: boolean;
  /** True when opts.until let the command go on (exitCode and signal are then unknown). */
  detached?: boolean;
  durationMs: number;
}

export function exec(conn: SshConnection, command: string, opts: ExecOptions = {}): Promise<ExecResult> {
  const started = Date.now();
  // stdin is /dev/null (nothing waits on it) while the channel stays writable, which ssh2 needs to send signals.
  const full = `${opts.env !== undefined ? envPrefix(opts.env) : ''}{ ${command}\n} </dev/null`;
  return new Promise<ExecResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      resolve({ exitCode: null, signal: null, timedOut: false, aborted: true, durationMs: 0 });
      return;
    }
    conn.client.exec(full, (err, channel) => {
      if (err !== undefined && err !== null) {
        reject(new SshError(`could not start a command on ${conn.endpoint.host}: ${errorMessage(err)}`));
        return;
      }
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let timedOut = false;
      let aborted = false;
      let done = false;
      let detached = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        unwatch();
        opts.until?.removeEventListener('abort', detach);
        if (!detached) conn.client.removeListener('close', onClientClose);
        resolve({
          exitCode,
          signal: exitSignal,
          timedOut,
          aborted,
          durationMs: Date.now() - started,
          ...(detached ? { detached } : {}),
        });
      };
      const detach = (): void => {
        detached = true;
        channel.once('close', () => conn.client.removeListener('close', onClientClose));
        finish();
      };
      opts.until?.addEventListener('abort', detach, { once: true });
      if (opts.until?.aborted === true) queueMicrotask(detach);
      // The server may refuse signals (OpenSSH does for some sessions) and only closes the channel when the
      // command ends: stop waiting at once. Callers that must be sure it dies wrap it in timeout(1).
      const stop = (): void => {
        try {
          channel.signal('KILL');
        } catch {
          // unsupported: closing the channel is the rest we can do
        }
        channel.close();
        finish();
      };
      const unwatch = onTimeoutOrAbort(opts, (reason) => {
        if (reason === 'timeout') timedOut = true;
        else aborted = true;
        stop();
      });
      const onClientClose = (): void => channel.close();
      conn.client.once('close', onClientClose);
      channel.on('data', (d: Buffer) => opts.onStdout?.(d));
      channel.stderr.on('data', (d: Buffer) => opts.onStderr?.(d));
      channel.on('exit', (code: number | null, sig?: string) => {
        if (typeof code === 'number') exitCode = code;
        if (typeof sig === 'string') exitSignal = sig;
      });
      channel.on('close', finish);
    });
  });
}
