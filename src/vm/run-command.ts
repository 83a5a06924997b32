/**
 * Run an external tool (mmdebstrap, mkfs.ext4, qemu-img, ssh-keygen) with its output streamed line by line, the
 * last lines kept for the error message, and an AbortSignal that stops its whole process group.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { InterruptedError } from '../errors/index.js';
import { VmError } from './errors.js';
import { debianPackageOf } from './tools.js';

export interface RunOptions {
  signal?: AbortSignal;
  /** Every output line (stdout and stderr), e.g. logger.debug. */
  onLine?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** How many trailing lines the error message shows. Default 15. */
  tailLines?: number;
}

/** Runs cmd; resolves with its stdout. A non-zero exit throws VmError with the output tail. */
export function runCommand(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const keep = opts.tailLines ?? 15;
  return new Promise<string>((resolve, reject) => {
    if (opts.signal?.aborted === true) return reject(new InterruptedError());
    const child = spawn(cmd, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      env: opts.env ?? process.env,
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    const tail: string[] = [];
    let stdout = '';
    const take = (line: string): void => {
      tail.push(line);
      if (tail.length > keep) tail.shift();
      opts.onLine?.(line);
    };
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    createInterface({ input: child.stdout }).on('line', take);
    createInterface({ input: child.stderr }).on('line', take);
    let killTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      const kill = (sig: NodeJS.Signals): void => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, sig);
        } catch {
          // already gone
        }
      };
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), 5000);
      killTimer.unref();
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.once('error', (e: NodeJS.ErrnoException) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(
        e.code === 'ENOENT'
          ? new VmError(`${cmd} is not installed: apt-get install -y ${debianPackageOf(cmd)}`)
          : new VmError(`${cmd}: ${e.message}`, { cause: e }),
      );
    });
    child.once('close', (code, sig) => {
      opts.signal?.removeEventListener('abort', onAbort);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (opts.signal?.aborted === true) return reject(new InterruptedError());
      if (code === 0) return resolve(stdout);
      const how = code === null ? `was killed by ${sig ?? 'a signal'}` : `exited with ${code}`;
      reject(new VmError(`${cmd} ${how}`, { details: tail.slice() }));
    });
  });
}
