/**
 * krel validate --vm end to end: the cached Debian guest image boots in a throwaway VM, the example's
 * GettingStarted.md runs in it against a dist/ made by krel make, and the VM is gone afterwards: no qemu process,
 * no run directory (overlay included), on success and after SIGINT.
 */
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import { baseEnv, KREL_BIN, REPO_ROOT, runKrel } from '../support/cli.js';
import { REAL_STYLE_GUIDE, writeGuideConfig } from '../support/guide-project.js';
import { BOOT_TIMEOUT_MS, IMAGE_TIMEOUT_MS, processesMentioning, testImage } from '../support/vm.js';

describe('krel validate --vm (real qemu VM, GettingStarted.md)', function () {
  this.timeout(IMAGE_TIMEOUT_MS + 2 * BOOT_TIMEOUT_MS + 15 * 60_000);
  let work: string;
  let dist: string;

  before(async () => {
    await testImage(); // built once (or reused from the cache) so the runs below measure a cached-image validate
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-validate-vm-'));
    dist = path.join(work, 'dist');
    const made = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
    expect(made.code, made.stderr).to.equal(0);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const args = (): string[] => [
    'validate',
    '--config',
    'examples/kontain/krel.json',
    '--dist',
    dist,
    '--vm',
    'debian-12',
  ];

  it('runs every GettingStarted step in a fresh VM, exits 0, and leaves no qemu process and no overlay', async () => {
    const runRoot = mkdtempSync(path.join(work, 'run-'));
    const junit = path.join(work, 'vm.xml');
    const r = await runKrel([...args(), '--json', '--junit', junit], {
      env: { TMPDIR: runRoot },
      timeoutMs: 2 * BOOT_TIMEOUT_MS + 5 * 60_000,
    });
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    const t = report.targets[0]!;
    expect(t.target).to.equal('debian-12');
    expect(t.details.accelerator).to.match(/^(kvm|tcg)$/);
    expect(t.steps.filter((s) => s.status !== 'passed').map((s) => [s.index, s.status])).to.deep.equal([
      [6, 'skipped'],
    ]);
    expect(r.stderr).to.include('[debian-12 step 2] Hello World');
    expect(processesMentioning(runRoot)).to.deep.equal([]);
    expect(readdirSync(runRoot), 'the run directory and its overlay are gone').to.deep.equal([]);
  });

  it('a transcript whose output differs in the VM exits 5 with a diff, writes one JUnit failure, and the VM is gone', async () => {
    const runRoot = mkdtempSync(path.join(work, 'run-'));
    const broken = path.join(work, 'Broken.md');
    const doc = readFileSync(path.join(REPO_ROOT, 'km-releases/GettingStarted.md'), 'utf8');
    writeFileSync(
      broken,
      doc.replace(
        'Hello World\n$ /opt/kontain/bin/km --version',
        'Hello Kontain\n$ /opt/kontain/bin/km --version',
      ),
    );
    const junit = path.join(work, 'broken.xml');
    const r = await runKrel([...args(), '--doc', broken, '--junit', junit], {
      env: { TMPDIR: runRoot },
      timeoutMs: 2 * BOOT_TIMEOUT_MS + 5 * 60_000,
    });
    expect(r.code, r.stderr).to.equal(5);
    const last = r.stderr.trim().split('\n').pop() ?? '';
    expect(last, r.stderr.slice(-4000)).to.match(
      /validation failed: 1 step\(s\) failed; first: \[debian-12\] step 2 "Run your first KM program" \(the output of 1 command\(s\) differs/,
    );
    expect(r.stderr).to.match(/\n +-Hello Kontain\n +\+Hello World\n/);
    const xml = readFileSync(junit, 'utf8');
    expect(xml.match(/<failure /g)).to.have.length(1);
    expect(xml).to.include('-Hello Kontain');
    expect(processesMentioning(runRoot)).to.deep.equal([]);
    expect(readdirSync(runRoot)).to.deep.equal([]);
  });

  it('a guide as people write it passes in the VM from krel.json overrides alone (transcripts, a C block, variables and cd carried)', async () => {
    const runRoot = mkdtempSync(path.join(work, 'run-'));
    const config = writeGuideConfig(work, REAL_STYLE_GUIDE);
    const r = await runKrel(['validate', '--config', config, '--dist', dist, '--vm', '--json'], {
      env: { TMPDIR: runRoot },
      timeoutMs: 2 * BOOT_TIMEOUT_MS + 5 * 60_000,
    });
    expect(r.code, r.stderr).to.equal(0);
    const steps = (JSON.parse(r.stdout) as ValidationReport).targets[0]!.steps;
    expect(steps.filter((s) => s.status === 'passed').map((s) => s.index)).to.deep.equal([
      1, 2, 3, 4, 5, 7, 8, 9,
    ]);
    expect(r.stderr).to.include('[debian-12 step 9] second program');
    expect(readdirSync(runRoot)).to.deep.equal([]);
  });

  it('SIGINT during a VM validation exits 130 and leaves no qemu process and no overlay', async () => {
    const runRoot = mkdtempSync(path.join(work, 'run-'));
    const child = spawn(process.execPath, [KREL_BIN, ...args()], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), TMPDIR: runRoot },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      // Interrupt while a step runs inside the VM: the worst moment (VM up, SSH session open).
      if (!sent && stderr.includes('[debian-12 step 2]')) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(sent, stderr).to.equal(true);
    expect(code, stderr).to.equal(130);
    expect(processesMentioning(runRoot)).to.deep.equal([]);
    expect(readdirSync(runRoot), 'the run directory and its overlay are gone').to.deep.equal([]);
  });
});
