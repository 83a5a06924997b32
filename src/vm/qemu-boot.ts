/**
 * Boot the guest: try each accelerator candidate in order (all but the last under the kernel-banner watchdog),
 * read the OS-picked SSH forward port over QMP, and wait until the guest's sshd answers. Stops early when qemu
 * exits or the signal aborts; on any failure the caller destroys what was started (see `started`).
 */
import { rm } from 'node:fs/promises';
import { InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { formatDuration } from '../log/logger.js';
import { type AcceleratorCandidate, KVM_WATCHDOG_MS } from './accelerator.js';
import { VmError } from './errors.js';
import { buildQemuArgs, KERNEL_BANNER, type QemuRunFiles } from './qemu-args.js';
import { QemuProcess } from './qemu-process.js';
import { parseHostForwardPort, QmpClient } from './qmp.js';
import type { SerialConsole } from './serial-console.js';
import { readSshBanner } from './ssh-banner.js';

export interface BootOptions {
  candidates: readonly AcceleratorCandidate[];
  files: QemuRunFiles;
  qemuStderr: string;
  memoryMiB: number;
  network: boolean;
  detached: boolean;
  console: SerialConsole;
  bootTimeoutMs: number;
  /** Recreates the overlay after an abandoned attempt (the guest may have written to it). */
  freshOverlay: () => Promise<void>;
  /** Called with each abandoned candidate and why (e.g. to remember that KVM does not work here). */
  onAbandoned?: (c: AcceleratorCandidate, reason: string) => Promise<void>;
  /** Called when a watched candidate showed the kernel banner. */
  onBanner?: (c: AcceleratorCandidate) => Promise<void>;
  logger: Logger;
  signal?: AbortSignal;
}

export interface BootState {
  qemu?: QemuProcess;
  qmp?: QmpClient;
}

export interface Booted {
  qemu: QemuProcess;
  qmp: QmpClient;
  port: number;
  accelerator: AcceleratorCandidate;
  /** qemu start to the sshd banner. */
  bootMs: number;
}

type WaitResult = 'ok' | 'timeout' | 'exited';

export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  qemu: QemuProcess,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  intervalMs = 100,
): Promise<WaitResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (signal?.aborted === true) throw new InterruptedError();
    if (await check()) return 'ok';
    if (!qemu.running) return 'exited';
    if (Date.now() > deadline) return 'timeout';
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Starts qemu (its command line and stderr in the debug log) and records it in `state` at once. */
export function startQemu(
  args: readonly string[],
  o: { detached: boolean; qemuStderr: string; logger: Logger },
  state: BootState,
): QemuProcess {
  o.logger.debug(`qemu-system-x86_64 ${args.join(' ')}`);
  state.qemu = new QemuProcess({
    args,
    detached: o.detached,
    stderrFile: o.qemuStderr,
    onStderr: (l) => o.logger.debug(`qemu: ${l}`),
  });
  return state.qemu;
}

/** Boots; `state` always holds what is running, so the caller can stop it whatever happens. */
export async function bootGuest(o: BootOptions, state: BootState): Promise<Booted> {
  const { logger, signal } = o;
  for (const [i, candidate] of o.candidates.entries()) {
    const watched = i < o.candidates.length - 1;
    await rm(o.files.serialLog, { force: true });
    o.console.reset();
    const args = buildQemuArgs({
      files: o.files,
      acceleratorArgs: candidate.args,
      memoryMiB: o.memoryMiB,
      network: o.network,
    });
    const started = Date.now();
    const qemu = startQemu(args, o, state);
    if (watched) {
      const seen = await waitUntil(() => o.console.seen(KERNEL_BANNER), qemu, KVM_WATCHDOG_MS, signal);
      if (seen !== 'ok') {
        const reason =
          seen === 'exited'
            ? `qemu ${qemu.describeExit()}${qemu.stderrTail().length > 0 ? `: ${qemu.stderrTail().at(-1)}` : ''}`
            : `no kernel banner within ${formatDuration(KVM_WATCHDOG_MS)}`;
        logger.info(`${candidate.accelerator.toUpperCase()} does not work here (${reason}); falling back`);
        await qemu.stop(undefined, 500);
        delete state.qemu;
        await o.onAbandoned?.(candidate, reason);
        await o.freshOverlay();
        continue;
      }
      await o.onBanner?.(candidate);
    }
    const qmp = await QmpClient.connect(o.files.qmpSocket, 10_000, signal);
    state.qmp = qmp;
    const port = await waitForSshd({ ...o, qemu, qmp, what: `booting (${candidate.accelerator})` });
    return { qemu, qmp, port, accelerator: candidate, bootMs: Date.now() - started };
  }
  throw new VmError('no accelerator could boot the VM');
}

export interface SshdWait {
  qemu: QemuProcess;
  qmp: QmpClient;
  console: SerialConsole;
  bootTimeoutMs: number;
  /** What the guest was doing, for the error messages ("booting (tcg)", "resuming"). */
  what: string;
  signal?: AbortSignal;
}

/** Reads the OS-picked SSH forward port over QMP and waits until the guest's sshd answers on it. */
export async function waitForSshd(o: SshdWait): Promise<number> {
  const { qemu, qmp } = o;
  const usernet = await qmp.hmp('info usernet');
  const port = parseHostForwardPort(usernet);
  if (port === undefined) throw new VmError(`qemu reported no SSH port forward: ${usernet.trim()}`);
  const ready = await waitUntil(
    async () => (await readSshBanner('127.0.0.1', port, 2000)) !== undefined,
    qemu,
    o.bootTimeoutMs,
    o.signal,
    250,
  );
  if (ready === 'exited') {
    throw new VmError(`the VM stopped while ${o.what} (qemu ${qemu.describeExit()})`, {
      details: [...qemu.stderrTail(), '--- serial console:', ...o.console.tail(20).split('\n')],
    });
  }
  if (ready === 'timeout') {
    throw new VmError(
      `the VM's sshd did not answer within ${formatDuration(o.bootTimeoutMs)} (${o.what}); last console lines below`,
      { details: o.console.tail(20).split('\n') },
    );
  }
  return port;
}
