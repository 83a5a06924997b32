/**
 * Shared setup for the VM tests and bench: the tools they need (installed when missing), the guest image (built
 * once per run, or reused from the user cache), a logger that records what the provider said, and helpers to
 * check that a VM really is gone.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Logger } from '../../src/log/logger.js';
import type { CachedImage } from '../../src/vm/image-cache.js';
import { TCG } from '../../src/vm/accelerator.js';
import { prepareImage } from '../../src/vm/qemu-provider.js';
import { ensureSnapshot, type SavedState } from '../../src/vm/snapshot.js';
import { ensureCommands } from './tools.js';

export const VM_TOOLS: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-img': 'qemu-utils',
  mmdebstrap: 'mmdebstrap',
  'mkfs.ext4': 'e2fsprogs',
  ssh: 'openssh-client',
  'ssh-keygen': 'openssh-client',
  'ssh-keyscan': 'openssh-client',
  setpriv: 'util-linux',
};

/** Generous: the first run builds the image (about a minute on an idle machine, several on a busy one). */
export const IMAGE_TIMEOUT_MS = 15 * 60_000;
/** One emulated boot, including a possible KVM attempt. */
export const BOOT_TIMEOUT_MS = 6 * 60_000;

export interface RecordingLogger {
  logger: Logger;
  lines: string[];
}

/** A logger that keeps every line, debug lines too when asked (and echoes them with KREL_TEST_VERBOSE=1). */
export function recordingLogger(prefix = '[vm] ', debug = false): RecordingLogger {
  const lines: string[] = [];
  const echo = process.env.KREL_TEST_VERBOSE === '1';
  const logger = new Logger({
    verbose: echo || debug,
    ci: 'none',
    prefix,
    write: (line) => {
      lines.push(line);
      if (echo) process.stderr.write(line + '\n');
    },
  });
  return { logger, lines };
}

let image: Promise<CachedImage> | undefined;

/** The debian-12 test image, built at most once per process. */
export function testImage(): Promise<CachedImage> {
  ensureCommands(VM_TOOLS);
  image ??= prepareImage({ logger: recordingLogger('[image] ').logger });
  return image;
}

const others = new Map<string, Promise<CachedImage>>();

/** The image of any guest recipe (debian-11, debian-13, ...), built at most once per process. */
export function testImageOf(name: string): Promise<CachedImage> {
  if (name === 'debian-12') return testImage();
  ensureCommands(VM_TOOLS);
  const built =
    others.get(name) ?? prepareImage({ image: name, logger: recordingLogger(`[${name}] `).logger });
  others.set(name, built);
  return built;
}

let snapshot: Promise<SavedState> | undefined;

/** The test image's saved machine state (TCG, the provider's defaults), saved at most once per process. */
export function testSnapshot(): Promise<SavedState> {
  snapshot ??= testImage().then((image) =>
    ensureSnapshot({
      image,
      name: 'debian-12',
      candidate: TCG,
      memoryMiB: 1024,
      runRoot: tmpdir(),
      bootTimeoutMs: BOOT_TIMEOUT_MS,
      logger: recordingLogger('[save] ').logger,
    }),
  );
  return snapshot;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
  const stat = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

/** Polls until the process is gone or timeoutMs passes; true if gone. */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

export function pathGone(p: string): boolean {
  return !existsSync(p);
}

/** Pids of processes whose command line mentions `text` (e.g. a run directory), this process excluded. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text) && processAlive(Number(entry)))
        pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

const CHILD = fileURLToPath(new URL('./vm-child.ts', import.meta.url));

/** A child process running test/support/vm-child.ts. */
export interface Child {
  proc: ChildProcess;
  /** Resolves with the first stdout line starting with `word`. */
  line(word: string, timeoutMs: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

export function startChild(mode: 'plain' | 'cli' | 'keep', runRoot: string): Child {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, mode, runRoot], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: (() => void)[] = [];
  proc.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    waiters.forEach((w) => w());
  });
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('close', (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    exited,
    stderr: () => err,
    line: (word, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          const found = out.split('\n').find((l) => l.startsWith(word));
          if (found !== undefined) resolve(found);
        };
        waiters.push(check);
        check();
        void exited.then(() => reject(new Error(`child exited before ${word}: ${err.slice(-2000)}`)));
        setTimeout(
          () => reject(new Error(`no ${word} within ${timeoutMs} ms: ${err.slice(-2000)}`)),
          timeoutMs,
        ).unref();
      }),
  };
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** An HTTP server on the host's 127.0.0.1 answering "krel-host-ok" (a guest reaches it as 10.0.2.2 when allowed). */
export async function startHostHttpServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((_req, res) => res.end('krel-host-ok\n'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
