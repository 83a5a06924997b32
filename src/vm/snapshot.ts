/**
 * Saved machine states: a cached guest image booted once until its sshd answers, settled, stopped and saved with
 * qemu's migration to a file (memory and device state), beside the disk overlay frozen at that instant and the
 * host key the guest was booted with. Each run restores it onto a throwaway overlay (snapshot-restore.ts).
 *
 * Stored in the image's cache directory, snapshots/<key>, where the key covers the image's recipe hash, qemu's
 * version and the command line the state belongs to (accelerator and CPU model, memory, devices): changing any
 * of them makes a new state. Saved in a temp directory beside it and renamed into place, under a lock like image
 * builds; older states of the image are removed when a new one is saved.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { formatDuration } from '../log/logger.js';
import { shellQuote } from '../ssh/index.js';
import type { AcceleratorCandidate } from './accelerator.js';
import { VmError } from './errors.js';
import { exitGuard } from './exit-guard.js';
import { acquireLock, type CachedImage } from './image-cache.js';
import { buildQemuArgs } from './qemu-args.js';
import { bootGuest, type BootState } from './qemu-boot.js';
import type { QmpClient } from './qmp.js';
import { createOverlay } from './overlay.js';
import { runCommand } from './run-command.js';
import { createRunDir } from './run-dir.js';
import { SerialConsole } from './serial-console.js';
import { settleGuest } from './guest-refresh.js';
import { dropZeroPages } from './state-sparse.js';
import { CLIENT_KEY_COMMENT, createKeyPair, guestEndpoint } from './ssh-keys.js';

/** Bump when what a saved state holds or how it is made changes. */
export const SNAPSHOT_FORMAT_VERSION = 5;

const FILES = {
  state: 'state.bin',
  disk: 'disk.qcow2',
  hostKey: 'host_ed25519',
  meta: 'snapshot.json',
} as const;

export interface SavedState {
  dir: string;
  key: string;
  /** The migration stream (memory and device state). */
  state: string;
  /** The frozen disk overlay (read-only, backed by the image's base). */
  disk: string;
  /** The guest's host key (private; passed through fw_cfg again on restore, never logged). */
  hostKey: string;
  hostPublicKey: string;
  hostKeyFingerprint: string;
}

interface SnapshotMeta {
  formatVersion: number;
  key: string;
  recipeHash: string;
  qemuVersion: string;
  accelerator: string;
  memoryMiB: number;
  hostPublicKey: string;
  hostKeyFingerprint: string;
  savedAt: string;
  bootSeconds: number;
  /** Zero-page records left out of the state (state-sparse.ts); 0 when it was kept as qemu wrote it. */
  zeroPagesDropped: number;
}

export interface SnapshotKeyInputs {
  recipeHash: string;
  qemuVersion: string;
  candidate: AcceleratorCandidate;
  memoryMiB: number;
}

/** The key of a saved state: sha256 over what a restore must match (pure). */
export function snapshotKey(k: SnapshotKeyInputs): string {
  // The command line with placeholder paths: devices, accelerator, CPU model and memory all count.
  const shape = buildQemuArgs({
    files: {
      kernel: 'K',
      initrd: 'I',
      authorizedKey: 'A',
      hostKey: 'H',
      overlay: 'D',
      serialLog: 'S',
      qmpSocket: 'Q',
      pidFile: '/x/P',
      refreshPipe: 'R',
    },
    acceleratorArgs: k.candidate.args,
    memoryMiB: k.memoryMiB,
    network: false,
  });
  return createHash('sha256')
    .update(JSON.stringify([SNAPSHOT_FORMAT_VERSION, k.recipeHash, k.qemuVersion, shape]))
    .digest('hex');
}

let version: Promise<string> | undefined;

/** The first line of `qemu-system-x86_64 --version` (once per process). */
export function qemuVersion(): Promise<string> {
  version ??= runCommand('qemu-system-x86_64', ['--version']).then((out) => out.split('\n')[0]!.trim());
  return version;
}

function snapshotsDir(image: CachedImage): string {
  return path.join(image.dir, 'snapshots');
}

export function snapshotDir(image: CachedImage, key: string): string {
  return path.join(snapshotsDir(image), key.slice(0, 16));
}

/** The saved state for `key` if it is complete, else undefined. */
export function findSnapshot(image: CachedImage, key: string): SavedState | undefined {
  const dir = snapshotDir(image, key);
  const file = (f: string): string => path.join(dir, f);
  if (![FILES.state, FILES.disk, FILES.hostKey].every((f) => existsSync(file(f)))) return undefined;
  try {
    const meta = JSON.parse(readFileSync(file(FILES.meta), 'utf8')) as SnapshotMeta;
    if (meta.key !== key) return undefined;
    return {
      dir,
      key,
      state: file(FILES.state),
      disk: file(FILES.disk),
      hostKey: file(FILES.hostKey),
      hostPublicKey: meta.hostPublicKey,
      hostKeyFingerprint: meta.hostKeyFingerprint,
    };
  } catch {
    return undefined;
  }
}

export interface EnsureSnapshotOptions {
  image: CachedImage;
  /** Names the image in the log. */
  name: string;
  candidate: AcceleratorCandidate;
  memoryMiB: number;
  /** Where the saving boot's run directory goes (its QMP socket needs a short path). */
  runRoot: string;
  bootTimeoutMs: number;
  logger: Logger;
  signal?: AbortSignal;
}

/** The saved state of the image for this qemu and accelerator, saved first (one cold boot) when missing. */
export async function ensureSnapshot(o: EnsureSnapshotOptions): Promise<SavedState> {
  const key = snapshotKey({
    recipeHash: o.image.manifest.recipeHash,
    qemuVersion: await qemuVersion(),
    candidate: o.candidate,
    memoryMiB: o.memoryMiB,
  });
  const found = findSnapshot(o.image, key);
  if (found !== undefined) return found;
  const dir = snapshotsDir(o.image);
  await mkdir(dir, { recursive: true });
  const final = snapshotDir(o.image, key);
  const release = await acquireLock(final, `the saved state of ${o.name}`, o.logger, o.signal);
  try {
    const done = findSnapshot(o.image, key);
    if (done !== undefined) return done; // another krel saved it while we waited
    // Older states of this image (another qemu, recipe or accelerator) and leftovers of a killed save.
    for (const entry of await readdir(dir)) {
      if (entry.endsWith('.lock') || entry === path.basename(final)) continue;
      if (entry.startsWith('.save-') && !entry.startsWith(`.save-${path.basename(final)}-`)) continue;
      await rm(path.join(dir, entry), { recursive: true, force: true });
    }
    await rm(final, { recursive: true, force: true });
    const work = await mkdtemp(path.join(dir, `.save-${path.basename(final)}-`));
    try {
      await o.logger.section(`saving the machine state of ${o.name} (first use; later runs restore it)`, () =>
        saveState(o, key, work),
      );
      await rename(work, final);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    const saved = findSnapshot(o.image, key);
    if (saved === undefined) throw new VmError(`${final} is incomplete after saving the machine state`);
    return saved;
  } finally {
    await release();
  }
}

/** Removes a saved state qemu could not load (the next run saves a new one). */
export async function discardSnapshot(saved: SavedState): Promise<void> {
  const aside = `${saved.dir}.discarded-${process.pid}`;
  await rename(saved.dir, aside).catch(() => undefined);
  await rm(aside, { recursive: true, force: true });
}

/** Boots the image on a new overlay in `work`, waits for sshd, lets the boot settle, and saves the state there. */
async function saveState(o: EnsureSnapshotOptions, key: string, work: string): Promise<void> {
  const { logger, signal } = o;
  const run = await createRunDir(o.runRoot);
  const state: BootState = {};
  const unguard = exitGuard(() => {
    state.qemu?.killNow();
    rmSync(run.dir, { recursive: true, force: true });
  });
  try {
    const host = await createKeyPair(work, FILES.hostKey, 'krel-guest');
    const client = await createKeyPair(run.dir, 'id_ed25519', CLIENT_KEY_COMMENT);
    const disk = path.join(work, FILES.disk);
    // The backing path is relative, so the saved state can be renamed into place.
    const backing = path.relative(work, o.image.disk);
    await createOverlay(disk, backing, 'qcow2');
    const booted = await bootGuest(
      {
        candidates: [o.candidate],
        files: {
          kernel: o.image.kernel,
          initrd: o.image.initrd,
          authorizedKey: client.publicKeyFile,
          hostKey: host.privateKeyFile,
          overlay: disk,
          serialLog: run.serialLog,
          qmpSocket: run.qmpSocket,
          pidFile: run.pidFile,
          refreshPipe: run.refreshPipe,
        },
        qemuStderr: run.qemuStderr,
        memoryMiB: o.memoryMiB,
        network: false,
        detached: false,
        console: new SerialConsole(run.serialLog),
        bootTimeoutMs: o.bootTimeoutMs,
        freshOverlay: () => Promise.resolve(),
        logger,
        ...(signal ? { signal } : {}),
      },
      state,
    );
    logger.info(`${o.name} booted in ${formatDuration(booted.bootMs)}; saving its state once it settles`);
    await settleGuest(guestEndpoint(booted.port, client, host.fingerprint, o.candidate), signal);
    const started = Date.now();
    const stateFile = path.join(work, FILES.state);
    await booted.qmp.execute('stop');
    await booted.qmp.execute('migrate', { uri: `exec:cat > ${shellQuote(stateFile)}` });
    await waitMigrated(booted.qmp, signal);
    await booted.qemu.stop(booted.qmp);
    const dropped = await makeSparse(stateFile, o.name, logger);
    await Promise.all([chmod(stateFile, 0o444), chmod(disk, 0o444)]);
    const meta: SnapshotMeta = {
      formatVersion: SNAPSHOT_FORMAT_VERSION,
      key,
      recipeHash: o.image.manifest.recipeHash,
      qemuVersion: await qemuVersion(),
      accelerator: o.candidate.accelerator,
      memoryMiB: o.memoryMiB,
      hostPublicKey: host.publicKey,
      hostKeyFingerprint: host.fingerprint,
      savedAt: new Date().toISOString(),
      bootSeconds: booted.bootMs / 1000,
      zeroPagesDropped: dropped,
    };
    await rm(`${host.privateKeyFile}.pub`, { force: true });
    await writeFile(path.join(work, FILES.meta), JSON.stringify(meta, null, 2) + '\n');
    logger.info(`state of ${o.name} saved in ${formatDuration(Date.now() - started)}`);
  } finally {
    try {
      await state.qemu?.stop(state.qmp);
    } catch (e) {
      logger.warn(`stopping the VM that saved the state failed: ${errorMessage(e)}`);
    }
    state.qmp?.close();
    await rm(run.dir, { recursive: true, force: true });
    unguard();
  }
}

/** Rewrites the saved stream without its zero pages (state-sparse.ts); returns how many were left out. */
async function makeSparse(stateFile: string, name: string, logger: Logger): Promise<number> {
  const sparse = `${stateFile}.sparse`;
  try {
    const made = await dropZeroPages(stateFile, sparse);
    if (made.sparse) {
      await rename(sparse, stateFile);
      logger.debug(
        `state of ${name}: ${made.dropped} zero pages left out, so a restore touches only used memory`,
      );
      return made.dropped;
    }
    logger.info(`state of ${name} kept as qemu wrote it (${made.why}): restores touch all guest memory`);
    return 0;
  } finally {
    await rm(sparse, { force: true });
  }
}

async function waitMigrated(qmp: QmpClient, signal: AbortSignal | undefined): Promise<void> {
  for (;;) {
    if (signal?.aborted === true) throw new InterruptedError();
    const s = (await qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    if (s.status === 'completed') return;
    if (s.status === 'failed' || s.status === 'cancelled')
      throw new VmError(`qemu could not save the machine state: ${s['error-desc'] ?? s.status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
