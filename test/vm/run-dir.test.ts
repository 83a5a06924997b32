import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRunDir, removeStaleRunDirs } from '../../src/vm/run-dir.js';

describe('run directories', () => {
  it("the sweep leaves a directory whose owner file is being written (another target's, this instant)", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'krel-rundir-'));
    const creating = path.join(root, 'krel-vm-creating');
    mkdirSync(creating);
    writeFileSync(path.join(creating, 'owner.pid'), '');
    const dead = path.join(root, 'krel-vm-dead');
    mkdirSync(dead);
    writeFileSync(path.join(dead, 'owner.pid'), '999999999\n');
    const mine = await createRunDir(root);
    expect(removeStaleRunDirs(root)).to.deep.equal([dead]);
    expect(existsSync(creating)).to.equal(true);
    expect(existsSync(mine.dir)).to.equal(true);
  });

  it('many run directories created at once while sweeping: none of them is removed', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'krel-rundir-'));
    const made = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const p = createRunDir(root);
        removeStaleRunDirs(root);
        return p;
      }),
    );
    removeStaleRunDirs(root);
    expect(made.filter((f) => !existsSync(f.dir))).to.deep.equal([]);
  });
});
