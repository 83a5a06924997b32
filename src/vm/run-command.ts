/**
 * Run an external tool (mmdebstrap, mkfs.ext4, qemu-img, ssh-keygen) with its output streamed line by line, the
 * last lines kept for the error message, and an AbortSignal that stops its whole process group.
 */
import { InterruptedError } from '../errors/index.js';
import { runProcess } from '../util/child-process.js';
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
export async function runCommand(
  cmd: string,
  args: readonly string[],
  opts: RunOptions = {},
): Promise<string> {
  const keep = opts.tailLines ?? 15;
  const tail: string[] = [];
  const take = (line: string): void => {
    tail.push(line);
    if (tail.length > keep) tail.shift();
    opts.onLine?.(line);
  };
  const r = await runProcess(cmd, args, {
    captureStdout: true,
    onStdout: take,
    onStderr: take,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  }).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'ENOENT'
      ? new VmError(`${cmd} is not installed: apt-get install -y ${debianPackageOf(cmd)}`)
      : new VmError(`${cmd}: ${e.message}`, { cause: e });
  });
  if (r.aborted) throw new InterruptedError();
  if (r.code === 0) return r.stdout;
  const how = r.code === null ? `was killed by ${r.signal ?? 'a signal'}` : `exited with ${r.code}`;
  throw new VmError(`${cmd} ${how}`, { details: tail.slice() });
}
