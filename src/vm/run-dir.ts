/**
 * The per-run directory (overlay, serial log, QMP socket, pidfile, keys, the FIFO pair of the guest's refresh
 * port): /tmp/krel-vm-XXXXXX, owned by this process. Directories left by a krel that was killed hard (owner and
 * qemu both dead) are removed on the next run.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from './run-command.js';

const RUN_DIR_PREFIX = 'krel-vm-';

export interface RunFiles {
  dir: string;
  overlay: string;
  serialLog: string;
  qmpSocket: string;
  pidFile: string;
  ownerFile: string;
  knownHosts: string;
  qemuStderr: string;
  /** qemu's pipe chardev of the refresh port: `<refreshPipe>.in` to the guest, `<refreshPipe>.out` from it. */
  refreshPipe: string;
}

function runFiles(dir: string): RunFiles {
  return {
    dir,
    overlay: path.join(dir, 'disk.qcow2'),
    serialLog: path.join(dir, 'serial.log'),
    qmpSocket: path.join(dir, 'qmp.sock'),
    pidFile: path.join(dir, 'qemu.pid'),
    ownerFile: path.join(dir, 'owner.pid'),
    knownHosts: path.join(dir, 'known_hosts'),
    qemuStderr: path.join(dir, 'qemu.err'),
    refreshPipe: path.join(dir, 'refresh'),
  };
}

export async function createRunDir(root: string): Promise<RunFiles> {
  const dir = await mkdtemp(path.join(root, RUN_DIR_PREFIX));
  const files = runFiles(dir);
  // Written whole, then renamed: a concurrent sweep never reads a half-written owner.
  await writeFile(`${files.ownerFile}.tmp`, `${process.pid}\n`);
  await rename(`${files.ownerFile}.tmp`, files.ownerFile);
  await makeRefreshPipe(files);
  return files;
}

/**
 * (Re)creates the FIFO pair of the refresh port, empty: qemu opens both at start (read-write, so neither open waits
 * for the other end), and a VM booted after a failed restore must not read that restore's request.
 */
export async function makeRefreshPipe(files: RunFiles): Promise<void> {
  const pair = [`${files.refreshPipe}.in`, `${files.refreshPipe}.out`];
  await Promise.all(pair.map((f) => rm(f, { force: true })));
  await runCommand('mkfifo', ['-m', '600', ...pair]);
}

function alive(pidFile: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (exited, never reaped: its parent died too) is not alive.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Removes run directories whose owner process and qemu are both gone. Returns what was removed. */
export function removeStaleRunDirs(root: string): string[] {
  const removed: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(root).filter((e) => e.startsWith(RUN_DIR_PREFIX));
  } catch {
    return removed;
  }
  for (const entry of entries) {
    const f = runFiles(path.join(root, entry));
    let owner: string;
    try {
      owner = readFileSync(f.ownerFile, 'utf8');
    } catch {
      continue; // not ours (or still being created): leave it
    }
    // An owner file without a pid is one being written (another target of this run, right now): leave it.
    if (!/^\d+\n$/.test(owner) || alive(f.ownerFile) || alive(f.pidFile)) continue;
    rmSync(f.dir, { recursive: true, force: true });
    removed.push(f.dir);
  }
  return removed;
}
