/**
 * The VM is destroyed whatever ends the process that provisioned it: SIGINT or SIGTERM while booting or once
 * ready, with krel's CLI handlers or with none, and a hard kill (qemu dies with its parent; the next run removes
 * the leftover directory).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { removeStaleRunDirs } from '../../src/vm/run-dir.js';
import {
  type Child,
  startChild,
  waitFor,
  BOOT_TIMEOUT_MS,
  IMAGE_TIMEOUT_MS,
  pathGone,
  processesMentioning,
  testImage,
  waitGone,
} from '../support/vm.js';

async function runDirsIn(root: string): Promise<string[]> {
  return (await readdir(root)).filter((e) => e.startsWith('krel-vm-'));
}

describe('vm/signals: the VM never outlives the process that provisioned it', function () {
  this.timeout(IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS);
  const roots: string[] = [];
  let child: Child | undefined;

  before(async function () {
    await testImage();
  });

  /** A child whose qemu has started (and is still booting) under root. */
  async function startBooting(mode: 'plain' | 'cli', root: string): Promise<Child> {
    const c = startChild(mode, root);
    await c.line('BOOTING', BOOT_TIMEOUT_MS);
    await waitFor(() => processesMentioning(root).some((p) => p !== c.proc.pid), 30_000, 'qemu to start');
    return c;
  }

  async function freshRoot(): Promise<string> {
    const root = await mkdtemp(path.join(tmpdir(), 'krel-vm-signals-'));
    roots.push(root);
    return root;
  }

  afterEach(function () {
    if (child?.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    child = undefined;
  });

  after(async function () {
    for (const root of roots) {
      for (const pid of processesMentioning(root)) process.kill(pid, 'SIGKILL');
      await rm(root, { recursive: true, force: true });
    }
  });

  it('SIGINT to a process with no signal handlers, once the VM is ready: qemu is killed and the overlay removed', async function () {
    const root = await freshRoot();
    child = startChild('plain', root);
    const ready = await child.line('READY', BOOT_TIMEOUT_MS);
    const [, pidText, overlay, runDir] = ready.split(' ');
    const pid = Number(pidText);
    expect(pathGone(overlay!)).to.equal(false);
    expect(processesMentioning(runDir!)).to.include(pid);
    child.proc.kill('SIGINT');
    const exit = await child.exited;
    expect(exit.signal, child.stderr()).to.equal('SIGINT'); // it still dies of the signal
    expect(await waitGone(pid), `qemu ${pid} survived`).to.equal(true);
    expect(pathGone(overlay!)).to.equal(true);
    expect(pathGone(runDir!)).to.equal(true);
  });

  it('SIGINT with the CLI handlers while the VM boots: provisioning stops, exit 130, no qemu and no run directory', async function () {
    const root = await freshRoot();
    child = await startBooting('cli', root);
    child.proc.kill('SIGINT');
    const exit = await child.exited;
    expect(exit.code, child.stderr()).to.equal(130);
    await waitFor(() => processesMentioning(root).length === 0, 10_000, 'qemu to be gone');
    expect(await runDirsIn(root)).to.deep.equal([]);
  });

  it('SIGTERM to a process with no signal handlers while the VM boots: no qemu and no run directory', async function () {
    const root = await freshRoot();
    child = await startBooting('plain', root);
    child.proc.kill('SIGTERM');
    const exit = await child.exited;
    expect(exit.signal, child.stderr()).to.equal('SIGTERM');
    await waitFor(() => processesMentioning(root).length === 0, 10_000, 'qemu to be gone');
    expect(await runDirsIn(root)).to.deep.equal([]);
  });

  it('SIGKILL of the parent: qemu dies with it (parent-death signal) and the next run removes the leftover directory', async function () {
    const root = await freshRoot();
    child = await startBooting('plain', root);
    child.proc.kill('SIGKILL');
    await child.exited;
    await waitFor(() => processesMentioning(root).length === 0, 10_000, 'qemu to die with its parent');
    const left = await runDirsIn(root);
    expect(left).to.have.length(1); // nothing could clean up after a hard kill...
    expect(removeStaleRunDirs(root)).to.deep.equal([path.join(root, left[0]!)]); // ...until the next run
    expect(await runDirsIn(root)).to.deep.equal([]);
  });
});
