/**
 * keep: true (--keep) with network: true (--vm-network): the VM outlives dispose() and the process that made it,
 * the printed ssh command enters it, and its network is open (it reaches a server on the host).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  BOOT_TIMEOUT_MS,
  IMAGE_TIMEOUT_MS,
  pathGone,
  processAlive,
  startChild,
  startHostHttpServer,
  testImage,
  waitGone,
} from '../support/vm.js';

describe('vm/keep: a kept VM', function () {
  this.timeout(IMAGE_TIMEOUT_MS + BOOT_TIMEOUT_MS);
  let root: string;
  let pid = 0;
  let runDir = '';

  before(async function () {
    await testImage();
    root = await mkdtemp(path.join(tmpdir(), 'krel-vm-keep-'));
  });

  after(async function () {
    if (pid > 0 && processAlive(pid)) process.kill(pid, 'SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('outlives dispose() and its process, is entered with the printed ssh command, and has an open network', async function () {
    const server = await startHostHttpServer();
    try {
      const child = startChild('keep', root);
      const ready = (await child.line('READY', BOOT_TIMEOUT_MS)).split(' ');
      const enter = (await child.line('ENTER', 10_000)).slice('ENTER '.length);
      pid = Number(ready[1]);
      runDir = ready[3]!;
      const exit = await child.exited;
      expect(exit.code, child.stderr()).to.equal(0);
      expect(child.stderr()).to.include('kept running');
      expect(processAlive(pid)).to.equal(true);
      expect(pathGone(runDir)).to.equal(false);
      // Asynchronously: the host's server answers from this very process.
      const r = await promisify(execFile)('sh', [
        '-c',
        `${enter} -o BatchMode=yes 'curl -sS -m 20 http://10.0.2.2:${server.port}/'`,
      ]);
      expect(r.stdout.trim()).to.equal('krel-host-ok');
    } finally {
      await server.close();
    }
    process.kill(pid, 'SIGTERM');
    expect(await waitGone(pid, 20_000)).to.equal(true);
  });
});
