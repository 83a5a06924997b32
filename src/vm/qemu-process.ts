/**
 * One qemu process. Spawned through `setpriv --pdeathsig KILL` so it dies with krel even when krel is killed
 * hard; a kept VM (--keep) is spawned without it and unreferenced so it outlives krel. Either way qemu leads its own
 * process group, stopped the one way krel stops child processes. Tracks the exit, keeps the last lines qemu wrote
 * to stderr, and stops it: QMP quit (or SIGTERM), then SIGKILL after a grace period.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { killGroup, stopGroup } from '../util/child-process.js';
import { VmError } from './errors.js';
import type { QmpClient } from './qmp.js';

const QEMU_BINARY = 'qemu-system-x86_64';

export interface QemuExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface QemuProcessOptions {
  args: readonly string[];
  /** Outlive this process (no parent-death signal, not referenced by the event loop, stderr to a file). */
  detached: boolean;
  onStderr?: (line: string) => void;
  /** A detached qemu writes its stderr here (a pipe would break when krel exits). */
  stderrFile: string;
}

export class QemuProcess {
  readonly pid: number;
  /** Resolves when qemu has exited (never rejects). */
  readonly exited: Promise<QemuExit>;
  private exit: QemuExit | undefined;
  private readonly stderr: string[] = [];
  private readonly stderrFile: string;

  constructor(opts: QemuProcessOptions) {
    const cmd = opts.detached ? QEMU_BINARY : 'setpriv';
    const args = opts.detached ? [...opts.args] : ['--pdeathsig', 'KILL', '--', QEMU_BINARY, ...opts.args];
    this.stderrFile = opts.stderrFile;
    const errFd = opts.detached ? openSync(opts.stderrFile, 'a') : undefined;
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', errFd ?? 'pipe'], detached: true });
    if (errFd !== undefined) closeSync(errFd);
    this.exited = new Promise<QemuExit>((resolve) => {
      child.once('error', (e: NodeJS.ErrnoException) => {
        this.stderr.push(
          e.code === 'ENOENT'
            ? `${cmd} is not installed: apt-get install -y ${opts.detached ? 'qemu-system-x86' : 'util-linux qemu-system-x86'}`
            : e.message,
        );
        this.exit = { code: null, signal: null };
        resolve(this.exit);
      });
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    if (child.stderr !== null) {
      createInterface({ input: child.stderr }).on('line', (line) => {
        this.stderr.push(line);
        if (this.stderr.length > 20) this.stderr.shift();
        opts.onStderr?.(line);
      });
    }
    if (opts.detached) child.unref();
    this.pid = child.pid ?? -1;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** What qemu last wrote on stderr (its own error messages), one line each. */
  stderrTail(): string[] {
    if (this.stderr.length > 0 || !existsSync(this.stderrFile)) return this.stderr.slice();
    return readFileSync(this.stderrFile, 'utf8').split('\n').filter(Boolean).slice(-20);
  }

  describeExit(): string {
    const e = this.exit;
    if (e === undefined) return 'running';
    if (e.code === null && e.signal === null) return this.stderrTail().at(-1) ?? 'could not start';
    return e.signal !== null ? `killed by ${e.signal}` : `exited with code ${e.code}`;
  }

  /** Synchronous hard kill (for process-exit handlers). */
  killNow(): void {
    if (this.running) killGroup(this.pid, 'SIGKILL');
  }

  /** Ask qemu to quit over QMP (else SIGTERM); SIGKILL if it has not exited after graceMs. Resolves once it is gone. */
  async stop(qmp: QmpClient | undefined, graceMs = 3000): Promise<void> {
    if (!this.running) return;
    if (qmp !== undefined) {
      await Promise.race([qmp.execute('quit').catch(() => undefined), delay(500)]);
      if (await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)])) return;
      this.killNow();
    } else {
      await stopGroup(this.pid, this.exited, graceMs);
    }
    const gone = await Promise.race([this.exited.then(() => true), delay(5000).then(() => false)]);
    if (!gone) throw new VmError(`qemu (pid ${this.pid}) did not exit after SIGKILL`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
