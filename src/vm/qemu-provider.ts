/**
 * The qemu provider: a throwaway local VM booted from a cached Debian image (built on first use), reachable over
 * SSH on 127.0.0.1 with a per-run key and a pinned per-run host key. The VM is always destroyed by dispose(),
 * on process exit and on SIGINT/SIGTERM; `keep` leaves it running.
 */
import { rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorMessage, InterruptedError } from '../errors/index.js';
import { formatDuration, Logger } from '../log/logger.js';
import {
  type AcceleratorCandidate,
  type AcceleratorChoice,
  type AcceleratorName,
  KVM,
  planAccelerators,
  rememberKvmVerdict,
} from './accelerator.js';
import { userCacheDir } from './cache-dir.js';
import { readDebianMirror } from './debian-mirror.js';
import { exitGuard } from './exit-guard.js';
import { type CachedImage, ensureImage } from './image-cache.js';
import { loadRecipe } from './image-recipe.js';
import { recipeGuest } from './guest-disk.js';
import { openUserImage } from './user-image.js';
import { bootGuest, type BootState } from './qemu-boot.js';
import { createRunDir, removeStaleRunDirs } from './run-dir.js';
import { createOverlay } from './overlay.js';
import { SerialConsole } from './serial-console.js';
import { restoreSaved } from './snapshot-restore.js';
import { CLIENT_KEY_COMMENT, createKeyPair, GUEST_USER, guestEndpoint, knownHostsLine } from './ssh-keys.js';
import type { ProvisionOptions, Target, TargetProvider } from './types.js';

export type { AcceleratorChoice, AcceleratorName } from './accelerator.js';

export interface QemuProviderOptions {
  /** Guest image name: a recipe validate/images/<image>.json, e.g. "debian-12" (default) or "debian-11". */
  image?: string;
  /** A user's cloud image file (--vm-image) booted instead of a recipe: UEFI, keys through a NoCloud seed. */
  userImage?: string;
  /** Progress and diagnostics (image build phases, accelerator, boot time); mmdebstrap output with --verbose. */
  logger?: Logger;
  /** Cache root; default $XDG_CACHE_HOME/krel or ~/.cache/krel (images live under <cacheDir>/images). */
  cacheDir?: string;
  /** Debian mirror URL; default $KREL_DEBIAN_MIRROR, else the first Debian mirror in /etc/apt/sources.list(.d). */
  mirror?: string;
  /** 'auto' (default) tries KVM with a watchdog on the serial log and falls back to TCG. */
  accelerator?: AcceleratorChoice;
  /** Guest memory in MiB (default 1024). */
  memoryMiB?: number;
  /** How long to wait for the guest's sshd to answer (default 300 s: emulated boots on a busy machine are slow). */
  bootTimeoutMs?: number;
  /** Parent directory of the per-run directory (overlay, serial log, QMP socket); default os.tmpdir(). */
  runRoot?: string;
  /** Replaces the accelerator plan (diagnostics and tests): all but the last are tried under the watchdog. */
  acceleratorCandidates?: readonly AcceleratorCandidate[];
  /** Boot the image instead of restoring its saved machine state (--cold-boot). */
  coldBoot?: boolean;
}

/** What the qemu provider knows beyond a Target (tests, bench, --keep). */
export interface QemuTarget extends Target {
  readonly pid: number;
  readonly runDir: string;
  readonly overlay: string;
  readonly accelerator: AcceleratorName;
  /** qemu start to the guest's sshd answering, in ms. */
  readonly bootMs: number;
  /** How this VM started: its image's saved machine state restored, or a cold boot. */
  readonly start: 'restored' | 'cold boot';
  readonly identityFile: string;
  readonly knownHostsFile: string;
  /** The cached krel image (undefined for a user's image). */
  readonly image: CachedImage | undefined;
}

/** Slowdown of commands under TCG emulation compared with a real CPU (step timeouts are multiplied by it). */
const TCG_TIME_SCALE = 4;

export function createQemuProvider(options: QemuProviderOptions): TargetProvider {
  return { provision: (opts: ProvisionOptions) => provisionQemu(options, opts) };
}

/** Builds the image unless it is cached (doctor, tests and bench call this ahead of provisioning). */
export function prepareImage(options: QemuProviderOptions, signal?: AbortSignal): Promise<CachedImage> {
  const logger = options.logger ?? new Logger();
  return ensureImage({
    recipe: loadRecipe(options.image ?? 'debian-12'),
    cacheDir: options.cacheDir ?? userCacheDir(),
    mirror: () => options.mirror ?? process.env.KREL_DEBIAN_MIRROR ?? readDebianMirror(),
    logger,
    ...(signal ? { signal } : {}),
  });
}

export async function provisionQemu(
  options: QemuProviderOptions,
  opts: ProvisionOptions = {},
): Promise<QemuTarget> {
  const logger = opts.logger ?? options.logger ?? new Logger();
  const name =
    options.userImage !== undefined ? path.basename(options.userImage) : (options.image ?? 'debian-12');
  const cacheDir = options.cacheDir ?? userCacheDir();
  const runRoot = options.runRoot ?? tmpdir();
  const keep = opts.keep ?? false;
  const { signal } = opts;
  if (isAborted(signal)) throw new InterruptedError();
  const guest =
    options.userImage !== undefined
      ? await openUserImage(options.userImage, GUEST_USER, signal)
      : recipeGuest(name, await prepareImage({ ...options, logger }, signal));

  for (const dir of removeStaleRunDirs(runRoot)) logger.debug(`removed the leftover VM directory ${dir}`);
  const files = await createRunDir(runRoot);
  const serial = new SerialConsole(files.serialLog);
  const state: BootState = {};
  let consoleCopy = '';
  const unguard = exitGuard(() => {
    state.qemu?.killNow();
    rmSync(files.dir, { recursive: true, force: true });
  });
  let destroyed: Promise<void> | undefined;
  const destroy = (): Promise<void> =>
    (destroyed ??= (async () => {
      consoleCopy = serial.tail(200);
      try {
        await state.qemu?.stop(state.qmp);
      } finally {
        state.qmp?.close();
        await rm(files.dir, { recursive: true, force: true });
        unguard();
      }
    })());

  try {
    const client = await createKeyPair(files.dir, 'id_ed25519', CLIENT_KEY_COMMENT);
    const host = await createKeyPair(files.dir, 'host_ed25519', 'krel-guest');
    const freshOverlay = async (): Promise<void> => {
      await rm(files.overlay, { force: true });
      await createOverlay(files.overlay, guest.backing, guest.backingFormat);
    };
    const choice = options.accelerator ?? 'auto';
    const candidates = options.acceleratorCandidates ?? planAccelerators(choice, cacheDir);
    const memoryMiB = options.memoryMiB ?? 1024;
    const bootTimeoutMs = options.bootTimeoutMs ?? 300_000;
    const network = opts.network ?? false;
    // A krel image restores its saved machine state (saved on first use); --cold-boot or a failure boots it.
    const restored =
      options.coldBoot === true || guest.image === undefined
        ? undefined
        : await restoreSaved(
            {
              name,
              image: guest.image,
              candidates,
              cacheDir,
              files,
              client,
              memoryMiB,
              network,
              detached: keep,
              bootTimeoutMs,
              runRoot,
              logger,
              ...(signal ? { signal } : {}),
            },
            state,
          );
    if (restored === undefined) await freshOverlay();
    // A user's image may not log to the serial console the watchdog reads: its boots never judge KVM.
    const detect =
      options.acceleratorCandidates === undefined && choice === 'auto' && guest.image !== undefined;
    if (restored === undefined)
      logger.info(`booting ${name}: cold boot (${candidates.map((c) => c.accelerator).join(', then ')})`);
    const booted =
      restored?.booted ??
      (await bootGuest(
        {
          candidates,
          files: {
            ...(await guest.bootFiles(files, { client, host })),
            overlay: files.overlay,
            serialLog: files.serialLog,
            qmpSocket: files.qmpSocket,
            pidFile: files.pidFile,
          },
          qemuStderr: files.qemuStderr,
          memoryMiB,
          network,
          detached: keep,
          console: serial,
          bootTimeoutMs,
          freshOverlay,
          onAbandoned: async (c) => {
            if (detect && c === KVM) await rememberKvmVerdict(cacheDir, false);
          },
          onBanner: async (c) => {
            if (detect && c === KVM) await rememberKvmVerdict(cacheDir, true);
          },
          logger,
          ...(signal ? { signal } : {}),
        },
        state,
      ));
    const { qemu, port, accelerator, bootMs } = booted;
    const start = restored === undefined ? 'cold boot' : 'restored';
    const hostKey = restored ?? { hostPublicKey: host.publicKey, hostKeyFingerprint: host.fingerprint };
    await writeFile(files.knownHosts, knownHostsLine('127.0.0.1', port, hostKey.hostPublicKey) + '\n');
    const enterCommand =
      `ssh -i ${client.privateKeyFile} -o IdentitiesOnly=yes -o UserKnownHostsFile=${files.knownHosts}` +
      ` -o StrictHostKeyChecking=yes -p ${port} ${GUEST_USER}@127.0.0.1`;
    const gone = new AbortController();
    void qemu.exited.then(() => {
      if (destroyed === undefined)
        gone.abort(new Error(`the VM ${name} stopped (qemu ${qemu.describeExit()})`));
    });
    const details: Record<string, string> = {
      image: guest.description,
      accelerator: accelerator.accelerator,
      start,
      boot: formatDuration(bootMs),
      ssh: `127.0.0.1:${port}`,
    };
    logger.info(
      `${name} is up: ${accelerator.accelerator.toUpperCase()}, ${start}, sshd answered after ${formatDuration(bootMs)} on 127.0.0.1:${port}`,
    );
    if (keep) unguard(); // from here on the VM outlives krel; dispose() leaves it running
    let handOver = restored?.connection;
    const target: QemuTarget = {
      name,
      endpoint: guestEndpoint(port, client, hostKey.hostKeyFingerprint, accelerator),
      gone: gone.signal,
      details,
      timeScale: accelerator.accelerator === 'tcg' ? TCG_TIME_SCALE : 1,
      enterCommand,
      takeConnection: () => {
        const c = handOver;
        handOver = undefined;
        return c;
      },
      consoleTail: (lines = 30) =>
        destroyed === undefined ? serial.tail(lines) : lastLines(consoleCopy, lines),
      dispose: async () => {
        handOver?.close();
        handOver = undefined;
        if (!keep) return destroy();
        state.qmp?.close();
        logger.info(`${name} kept running (qemu pid ${qemu.pid}); enter it with: ${enterCommand}`);
        logger.info(`stop it with: kill ${qemu.pid} && rm -rf ${files.dir}`);
      },
      pid: qemu.pid,
      runDir: files.dir,
      overlay: files.overlay,
      accelerator: accelerator.accelerator,
      bootMs,
      start,
      identityFile: client.privateKeyFile,
      knownHostsFile: files.knownHosts,
      image: guest.image,
    };
    return target;
  } catch (e) {
    try {
      await destroy();
    } catch (cleanup) {
      logger.warn(`cleaning up the VM failed: ${errorMessage(cleanup)}`);
    }
    if (isAborted(signal) && !(e instanceof InterruptedError)) throw new InterruptedError();
    throw e;
  }
}

function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function lastLines(text: string, n: number): string {
  return text.split('\n').slice(-n).join('\n');
}
