/**
 * A fresh VM from a saved machine state (snapshot.ts): qemu started with -incoming on a new throwaway overlay
 * backed by the frozen disk, the state loaded from its file, the guest resumed; then, at once, its clock and RNG
 * are refreshed through its refresh port (guest-refresh.ts) and krel logs in, and the target hands that connection
 * to its first user (one login per run). Every run starts from the same clean machine and writes nothing back.
 * The run's client key reaches the guest as before (fw_cfg is read from the new command line at each login); the
 * host key is the one the state was saved with, pinned from the state's record. When the state cannot be used,
 * restoreSaved says why and returns undefined: the caller cold boots.
 */
import { errorMessage, InterruptedError } from '../errors/index.js';
import { formatDuration, type Logger } from '../log/logger.js';
import { shellQuote, type SshConnection, waitForSsh } from '../ssh/index.js';
import { type AcceleratorCandidate, KVM, rememberedKvmVerdict } from './accelerator.js';
import { VmError } from './errors.js';
import { refreshGuest } from './guest-refresh.js';
import type { CachedImage } from './image-cache.js';
import { buildQemuArgs } from './qemu-args.js';
import { type Booted, type BootState, startQemu, waitUntil } from './qemu-boot.js';
import { parseHostForwardPort, QmpClient } from './qmp.js';
import { createOverlay } from './overlay.js';
import { makeRefreshPipe, type RunFiles } from './run-dir.js';
import { discardSnapshot, ensureSnapshot, type SavedState } from './snapshot.js';
import { guestEndpoint, type KeyPair } from './ssh-keys.js';

/** How long a restored guest's sshd may take to answer before the restore counts as failed. */
const RESTORE_TIMEOUT_MS = 120_000;

export interface RestoreRequest {
  name: string;
  image: CachedImage;
  candidates: readonly AcceleratorCandidate[];
  /** Where the KVM verdict is remembered: a KVM state is restored only where KVM is known to work. */
  cacheDir: string;
  files: RunFiles;
  client: KeyPair;
  memoryMiB: number;
  network: boolean;
  detached: boolean;
  bootTimeoutMs: number;
  runRoot: string;
  logger: Logger;
  signal?: AbortSignal;
}

export interface Restored {
  booted: Booted;
  hostPublicKey: string;
  hostKeyFingerprint: string;
  /** The logged-in connection that refreshed the guest, handed on to the target's first user. */
  connection: SshConnection;
}

/** The state qemu refused to load (corrupt, or from an incompatible qemu): it is discarded. */
class StateRejected extends VmError {}

/** The accelerator to restore under: the only candidate, or KVM once it is known to work here. */
function restoreCandidate(
  candidates: readonly AcceleratorCandidate[],
  cacheDir: string,
): AcceleratorCandidate | undefined {
  if (candidates.length === 1) return candidates[0];
  return candidates[0] === KVM && rememberedKvmVerdict(cacheDir) === true ? KVM : undefined;
}

export async function restoreSaved(r: RestoreRequest, state: BootState): Promise<Restored | undefined> {
  const { logger, signal, name } = r;
  const interrupted = (e: unknown): boolean => e instanceof InterruptedError || signal?.aborted === true;
  const candidate = restoreCandidate(r.candidates, r.cacheDir);
  if (candidate === undefined) {
    logger.info(`${name}: no saved state used while KVM is not yet checked on this machine`);
    return undefined;
  }
  let saved: SavedState;
  try {
    saved = await ensureSnapshot({
      image: r.image,
      name,
      candidate,
      memoryMiB: r.memoryMiB,
      runRoot: r.runRoot,
      bootTimeoutMs: r.bootTimeoutMs,
      logger,
      ...(signal ? { signal } : {}),
    });
  } catch (e) {
    if (interrupted(e)) throw e;
    logger.warn(
      `the machine state of ${name} could not be saved (${errorMessage(e)}); falling back to a cold boot`,
    );
    return undefined;
  }
  logger.info(`booting ${name}: restoring its saved state (${candidate.accelerator})`);
  try {
    const started = Date.now();
    const booted = await resume(r, saved, candidate, state);
    const qemuGone = new AbortController();
    void booted.qemu.exited.then(() => qemuGone.abort(new VmError(`qemu ${booted.qemu.describeExit()}`)));
    const login = waitForSsh(guestEndpoint(booted.port, r.client, saved.hostKeyFingerprint, candidate), {
      deadline: Date.now() + RESTORE_TIMEOUT_MS,
      signal: signal !== undefined ? AbortSignal.any([signal, qemuGone.signal]) : qemuGone.signal,
      intervalMs: 250,
      onAttempt: (n, e) => logger.debug(`ssh attempt ${n}: ${e === undefined ? 'logged in' : e.message}`),
    }).then((c) => {
      logger.debug(`logged in ${formatDuration(Date.now() - started)} after qemu started`);
      return c;
    });
    // The clock and RNG are set through the refresh port while the login is under way.
    const refresh = refreshGuest(r.files.refreshPipe, signal).then((f) => {
      logger.debug(
        `clock and RNG set ${formatDuration(Date.now() - started)} after qemu started ` +
          `(round trip ${f.roundTripMs}ms, ${f.rounds} round${f.rounds === 1 ? '' : 's'}, offset ${Math.round(f.offsetMs)}ms)`,
      );
    });
    const [logged, refreshed] = await Promise.allSettled([login, refresh]);
    if (refreshed.status === 'rejected') {
      if (logged.status === 'fulfilled') logged.value.close();
      throw refreshed.reason;
    }
    if (logged.status === 'rejected') throw logged.reason;
    const conn = logged.value;
    return {
      booted: { ...booted, bootMs: Date.now() - started },
      hostPublicKey: saved.hostPublicKey,
      hostKeyFingerprint: saved.hostKeyFingerprint,
      connection: conn,
    };
  } catch (e) {
    if (interrupted(e)) throw e;
    try {
      await state.qemu?.stop(state.qmp);
    } finally {
      state.qmp?.close();
      delete state.qemu;
      delete state.qmp;
    }
    if (e instanceof StateRejected) await discardSnapshot(saved);
    await makeRefreshPipe(r.files);
    logger.warn(`restoring ${name} failed (${errorMessage(e)}); falling back to a cold boot`);
    return undefined;
  }
}

async function resume(
  r: RestoreRequest,
  saved: SavedState,
  candidate: AcceleratorCandidate,
  state: BootState,
): Promise<Booted> {
  const { files, logger, signal } = r;
  await createOverlay(files.overlay, saved.disk, 'qcow2');
  const args = buildQemuArgs({
    files: {
      kernel: r.image.kernel,
      initrd: r.image.initrd,
      authorizedKey: r.client.publicKeyFile,
      hostKey: saved.hostKey,
      overlay: files.overlay,
      serialLog: files.serialLog,
      qmpSocket: files.qmpSocket,
      pidFile: files.pidFile,
      refreshPipe: files.refreshPipe,
    },
    acceleratorArgs: candidate.args,
    memoryMiB: r.memoryMiB,
    network: r.network,
    incoming: 'defer',
  });
  const startedAt = Date.now();
  const qemu = startQemu(args, { detached: r.detached, qemuStderr: files.qemuStderr, logger }, state);
  const qmp = await QmpClient.connect(files.qmpSocket, 10_000, signal);
  state.qmp = qmp;
  logger.debug(`QMP answered ${formatDuration(Date.now() - startedAt)} after qemu started`);
  await qmp.execute('migrate-incoming', { uri: `exec:cat ${shellQuote(saved.state)}` });
  let status = '';
  const loaded = await waitUntil(
    async () => {
      const s = (await qmp.execute('query-status').catch(() => ({}))) as { status?: string };
      status = s.status ?? '';
      return status !== '' && status !== 'inmigrate';
    },
    qemu,
    RESTORE_TIMEOUT_MS,
    signal,
    50,
  );
  if (loaded === 'exited')
    throw new StateRejected(`qemu could not load it: ${qemu.stderrTail().at(-1) ?? qemu.describeExit()}`);
  if (loaded === 'timeout') throw new VmError('loading the saved state took too long');
  logger.debug(`saved state loaded ${formatDuration(Date.now() - startedAt)} after qemu started`);
  if (status !== 'running') await qmp.execute('cont');
  // The restored sshd is already listening: no banner to wait for, the login below retries until it answers.
  const usernet = await qmp.hmp('info usernet');
  const port = parseHostForwardPort(usernet);
  if (port === undefined) throw new VmError(`qemu reported no SSH port forward: ${usernet.trim()}`);
  return { qemu, qmp, port, accelerator: candidate, bootMs: Date.now() - startedAt };
}
