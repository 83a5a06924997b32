/**
 * Saved machine states: a VM restored from its image's saved state is a fresh, clean machine with this run's
 * keys, the host's clock and its own random numbers; every VM and overlay is gone after dispose; a state qemu
 * cannot load falls back to a cold boot (said in the log) and is discarded; a changed qemu, recipe or command line
 * means another state. One state (the shared test image's, in the user cache) serves every test here.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { connect, exec } from '../../src/ssh/index.js';
import { KVM, TCG } from '../../src/vm/accelerator.js';
import { IMAGE_FILES } from '../../src/vm/image-build.js';
import type { CachedImage } from '../../src/vm/image-cache.js';
import { provisionQemu, type QemuTarget } from '../../src/vm/qemu-provider.js';
import {
  findSnapshot,
  qemuVersion,
  type SavedState,
  snapshotDir,
  snapshotKey,
} from '../../src/vm/snapshot.js';
import {
  BOOT_TIMEOUT_MS,
  IMAGE_TIMEOUT_MS,
  pathGone,
  processesMentioning,
  recordingLogger,
  startHostHttpServer,
  testImage,
  testSnapshot,
  waitGone,
} from '../support/vm.js';

/** Runs a command in the guest over SSH (the host key pinned); resolves with its stdout and when it was sent and answered. */
async function guest(
  t: QemuTarget,
  command: string,
): Promise<{ out: string; sent: number; received: number }> {
  const conn = await connect(t.endpoint, { timeoutMs: 60_000 });
  try {
    let out = '';
    const sent = Date.now();
    const r = await exec(conn, command, { timeoutMs: 60_000, onStdout: (b) => (out += b.toString()) });
    const received = Date.now();
    expect(r.exitCode, `${command}: ${out}`).to.equal(0);
    return { out, sent, received };
  } finally {
    conn.close();
  }
}

/** Host time minus guest time, in seconds, with the round trip's half as its uncertainty. */
async function clockOffset(t: QemuTarget): Promise<{ offset: number; uncertainty: number }> {
  const r = await guest(t, 'date +%s.%N');
  return {
    offset: (r.sent + r.received) / 2000 - Number(r.out.trim()),
    uncertainty: (r.received - r.sent) / 2000,
  };
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

describe('vm/snapshot: the state key', function () {
  const base = {
    recipeHash: 'a'.repeat(64),
    qemuVersion: 'QEMU emulator version 7.2.22',
    candidate: TCG,
    memoryMiB: 1024,
  };

  it('the same image, qemu, accelerator and memory give the same key; a change of any gives another', function () {
    const key = snapshotKey(base);
    expect(snapshotKey({ ...base })).to.equal(key);
    expect(snapshotKey({ ...base, qemuVersion: 'QEMU emulator version 8.2.2' })).to.not.equal(key);
    expect(snapshotKey({ ...base, recipeHash: 'b'.repeat(64) })).to.not.equal(key);
    expect(snapshotKey({ ...base, candidate: KVM })).to.not.equal(key);
    expect(snapshotKey({ ...base, memoryMiB: 2048 })).to.not.equal(key);
  });

  it('a state saved under another key (another qemu version) is not found, so a new one is saved', async function () {
    const dir = await mkdtemp(path.join(tmpdir(), 'krel-snap-key-'));
    try {
      const image = { dir } as CachedImage;
      const old = snapshotKey(base);
      const now = snapshotKey({ ...base, qemuVersion: 'QEMU emulator version 8.2.2' });
      const saved = snapshotDir(image, old);
      await mkdir(saved, { recursive: true });
      for (const f of ['state.bin', 'disk.qcow2', 'host_ed25519']) await writeFile(path.join(saved, f), 'x');
      await writeFile(path.join(saved, 'snapshot.json'), JSON.stringify({ key: old }));
      expect(findSnapshot(image, old)?.dir).to.equal(saved);
      expect(findSnapshot(image, now)).to.equal(undefined);
      expect(snapshotDir(image, now)).to.not.equal(saved);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('vm/snapshot: restored VMs (real VMs)', function () {
  this.timeout(IMAGE_TIMEOUT_MS + 3 * BOOT_TIMEOUT_MS);
  let image: CachedImage;
  let saved: SavedState;

  before(async function () {
    image = await testImage();
    saved = await testSnapshot();
  });

  it('two restored VMs in a row each start from the same clean state, with the host clock, this run key, the pinned host key, a restricted network and their own random numbers; nothing is left behind', async function () {
    const disk = sha256(saved.disk);
    const runs: { target: QemuTarget; random: string; log: string[] }[] = [];
    let previous: QemuTarget | undefined;
    for (let i = 0; i < 2; i++) {
      const log = recordingLogger('[vm] ', true);
      const target = await provisionQemu({ logger: log.logger });
      try {
        expect(target.start, log.lines.join('\n')).to.equal('restored');
        expect(target.details.start).to.equal('restored');
        expect(log.lines.join('\n')).to.match(/is up: TCG, restored, /);
        // The clock and RNG were set through the refresh port, not over a login.
        expect(log.lines.join('\n')).to.match(/clock and RNG set .* after qemu started \(round trip \d+ms/);
        // The state's host key, pinned: connect() refuses any other.
        expect(target.endpoint.hostKeyFingerprint).to.equal(saved.hostKeyFingerprint);
        // The restore's login is handed on once (the first run takes it; the second leaves it to dispose).
        if (i === 0) {
          const handed = target.takeConnection?.();
          expect(handed, 'a restored target hands over its connection').to.not.equal(undefined);
          expect(target.takeConnection?.(), 'only once').to.equal(undefined);
          expect((await exec(handed!, 'true')).exitCode).to.equal(0);
          // An emulated CPU has no AES instructions: the connection uses ChaCha20-Poly1305.
          if (target.details.accelerator === 'tcg')
            expect(handed!.cipher).to.equal('chacha20-poly1305@openssh.com');
          handed!.close();
        }
        const clock = await clockOffset(target);
        expect(Math.abs(clock.offset), `guest clock off by ${clock.offset}s`).to.be.below(
          2 + clock.uncertainty,
        );
        // Clean: what the previous run wrote is not there; then this run writes it.
        const r = await guest(
          target,
          'test ! -e /home/krel/written-by-a-run && echo CLEAN; echo x > /home/krel/written-by-a-run; sync; od -An -tx1 -N16 /dev/urandom',
        );
        expect(r.out).to.include('CLEAN');
        const random = r.out.split('\n').slice(1).join('').replace(/\s+/g, '');
        // The previous run's client key no longer gets in: the key comes from this run's command line.
        if (previous !== undefined) {
          const stale = { ...target.endpoint, privateKey: previous.endpoint.privateKey };
          let refused = false;
          await connect(stale, { timeoutMs: 60_000 }).then(
            (c) => c.close(),
            () => (refused = true),
          );
          expect(refused, 'the previous run key was accepted').to.equal(true);
        }
        // The network is restricted as on a cold boot (the restored command line says so, not the saved state).
        if (previous === undefined) {
          const server = await startHostHttpServer();
          try {
            const c = await guest(target, `curl -sS -m 10 http://10.0.2.2:${server.port}/ 2>&1; echo rc=$?`);
            expect(c.out).to.not.include('krel-host-ok');
            expect(c.out).to.match(/rc=[1-9]/);
          } finally {
            await server.close();
          }
        }
        runs.push({ target, random, log: log.lines });
        previous = target;
      } finally {
        await target.dispose();
      }
      expect(await waitGone(target.pid), `qemu ${target.pid} still running`).to.equal(true);
      expect(pathGone(target.overlay)).to.equal(true);
      expect(pathGone(target.runDir)).to.equal(true);
      expect(processesMentioning(path.basename(target.runDir))).to.deep.equal([]);
    }
    expect(runs[0]!.random).to.match(/^[0-9a-f]{32}$/);
    expect(runs[0]!.random).to.not.equal(runs[1]!.random);
    // The saved state was read, never written; its main memory's zero pages were left out when it was saved.
    expect(sha256(saved.disk)).to.equal(disk);
    const meta = JSON.parse(readFileSync(path.join(saved.dir, 'snapshot.json'), 'utf8')) as {
      zeroPagesDropped: number;
    };
    expect(meta.zeroPagesDropped, 'zero pages left out of the state').to.be.above(10_000);
  });

  it('a saved state qemu cannot load falls back to a cold boot, says so, and is discarded', async function () {
    // A cache of its own: the test image's files linked in, and a copy of the saved state with a corrupt stream.
    const cacheDir = await mkdtemp(path.join(tmpdir(), 'krel-snap-bad-'));
    let target: QemuTarget | undefined;
    try {
      const dir = path.join(cacheDir, 'images', path.basename(image.dir));
      await mkdir(dir, { recursive: true });
      for (const f of [IMAGE_FILES.disk, IMAGE_FILES.kernel, IMAGE_FILES.initrd])
        await symlink(path.join(image.dir, f), path.join(dir, f));
      await copyFile(path.join(image.dir, IMAGE_FILES.manifest), path.join(dir, IMAGE_FILES.manifest));
      const copy = path.join(dir, 'snapshots', path.basename(saved.dir));
      await mkdir(copy, { recursive: true });
      for (const f of await readdir(saved.dir)) {
        if (f === 'state.bin') continue;
        await copyFile(path.join(saved.dir, f), path.join(copy, f));
      }
      const stream = readFileSync(saved.state);
      const corrupt = Buffer.from(stream.subarray(0, 4 * 1024 * 1024));
      corrupt.fill(0x5a, 1024 * 1024);
      await writeFile(path.join(copy, 'state.bin'), corrupt);
      const log = recordingLogger();
      target = await provisionQemu({ logger: log.logger, cacheDir });
      const text = log.lines.join('\n');
      expect(text).to.match(
        /restoring debian-12 failed \(qemu could not load it.*\); falling back to a cold boot/,
      );
      expect(text).to.include('booting debian-12: cold boot (tcg)');
      expect(target.start).to.equal('cold boot');
      expect(target.details.start).to.equal('cold boot');
      expect((await guest(target, 'id -un')).out.trim()).to.equal('krel');
      expect(pathGone(copy), 'the unloadable state is still there').to.equal(true);
      expect(await qemuVersion()).to.match(/^QEMU emulator version \d/);
    } finally {
      await target?.dispose();
      await rm(cacheDir, { recursive: true, force: true });
    }
    if (target !== undefined) {
      expect(await waitGone(target.pid)).to.equal(true);
      expect(pathGone(target.runDir)).to.equal(true);
    }
  });
});
