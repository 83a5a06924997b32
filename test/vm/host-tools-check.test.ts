import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { planDoctor, PREREQUISITES } from '../../src/vm/host-tools-check.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { ensureCommands } from '../support/tools.js';

interface Report {
  ok: boolean;
  checks: { command: string; found: boolean; install: string }[];
  installCommand?: string;
}

describe('krel doctor', function () {
  this.timeout(300_000);
  before(() => {
    ensureCommands(Object.fromEntries(PREREQUISITES.map((p) => [p.command, p.debianPackage])));
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });

  it('with every prerequisite present it lists them as found and exits 0', async () => {
    const r = await runKrel(['doctor', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).to.equal(true);
    expect(report.checks.map((c) => c.command)).to.deep.equal(PREREQUISITES.map((p) => p.command));
  });

  it('a missing prerequisite exits 2 and names the exact apt-get command', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'krel-path-'));
    const r = await runKrel(['doctor', '--json'], { env: { PATH: empty } });
    expect(r.code).to.equal(2);
    const report = JSON.parse(r.stdout) as Report;
    const qemu = report.checks.find((c) => c.command === 'qemu-img');
    expect(qemu).to.include({ found: false, install: 'apt-get install -y qemu-utils' });
    expect(report.installCommand).to.match(/^apt-get install -y .*qemu-system-x86 .*qemu-utils.*mmdebstrap/);
    expect(r.stderr).to.match(/missing prerequisites: .*qemu-img.*install them with: apt-get install -y/);
  });

  it('a non-root user is told to use sudo', () => {
    const report = planDoctor({ PATH: '/nonexistent' }, false);
    expect(report.installCommand).to.match(/^sudo apt-get install -y /);
  });
});
