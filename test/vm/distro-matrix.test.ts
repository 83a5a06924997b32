/**
 * The distribution matrix: `krel validate --vm debian-11,debian-12,debian-13` boots one VM of each guest recipe
 * (each image built once, or reused from the cache) and runs a small guide on all three. This is the suite's only
 * boot of debian-11 and debian-13.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import { listRecipes } from '../../src/vm/image-recipe.js';
import { runKrel } from '../support/cli.js';
import { makeSmallProject, type SmallProject } from '../support/small-project.js';
import { BOOT_TIMEOUT_MS, IMAGE_TIMEOUT_MS, processesMentioning, testImageOf } from '../support/vm.js';

const SUITES: Record<string, string> = {
  'debian-11': 'bullseye',
  'debian-12': 'bookworm',
  'debian-13': 'trixie',
};

describe('krel validate --vm debian-11,debian-12,debian-13 (real qemu VMs, one per distribution)', function () {
  this.timeout(3 * IMAGE_TIMEOUT_MS + 3 * BOOT_TIMEOUT_MS + 10 * 60_000);
  let work: string;
  let project: SmallProject;

  before(async () => {
    for (const name of Object.keys(SUITES)) await testImageOf(name);
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-distro-matrix-'));
    project = await makeSmallProject(path.join(work, 'project'), [
      '. /etc/os-release && echo "guest: $ID $VERSION_CODENAME"',
      'sudo -n true && echo "sudo: ok" && uname -r',
    ]);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('every guest recipe is in the matrix', function () {
    expect(listRecipes()).to.deep.equal(Object.keys(SUITES));
  });

  it('boots each distribution and runs the guide there: all three pass, each on its own Debian suite, and no qemu process or overlay is left', async () => {
    const runRoot = path.join(work, 'tmp');
    mkdirSync(runRoot);
    const r = await runKrel(
      [
        'validate',
        '--config',
        project.config,
        '--dist',
        project.dist,
        '--vm',
        'debian-11,debian-12,debian-13',
        '--json',
        '--log-dir',
        path.join(work, 'logs'),
        '--events',
        path.join(work, 'events.ndjson'),
      ],
      { env: { TMPDIR: runRoot }, timeoutMs: 3 * BOOT_TIMEOUT_MS + 5 * 60_000 },
    );
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets.map((t) => t.target)).to.deep.equal(Object.keys(SUITES));
    for (const t of report.targets) {
      const suite = SUITES[t.target]!;
      expect(t.status, `${t.target}: ${t.error ?? ''}`).to.equal('passed');
      expect(t.details.image, t.target).to.include(suite);
      expect(t.steps.map((s) => s.status)).to.deep.equal(['passed', 'passed']);
      expect(t.steps[0]!.outputTail, t.target).to.include(`guest: debian ${suite}`);
    }
    // Per-target log files, the NDJSON event stream, the final table.
    for (const t of report.targets) {
      expect(t.logFile).to.equal(path.join(work, 'logs', `${t.target}.log`));
      expect(readFileSync(t.logFile!, 'utf8'), t.target).to.include(`guest: debian ${SUITES[t.target]!}`);
    }
    const events = readFileSync(path.join(work, 'events.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { target: string; event: string; status?: string });
    for (const name of Object.keys(SUITES)) {
      expect(events.filter((e) => e.target === name).map((e) => e.event)[0], name).to.equal('target-start');
      expect(
        events.some((e) => e.target === name && e.event === 'target-end' && e.status === 'passed'),
        name,
      ).to.equal(true);
    }
    expect(r.stderr).to.match(/Targets:\n +target +result +time +failed step +log\n +debian-11 +PASSED/);
    expect(processesMentioning(runRoot)).to.deep.equal([]);
    expect(readdirSync(runRoot), 'every run directory and overlay is gone').to.deep.equal([]);
  });

  it('a guide step broken on one distribution fails the run (exit 5) and the other two are reported passed', async () => {
    const runRoot = path.join(work, 'tmp-broken');
    mkdirSync(runRoot);
    const doc = path.join(work, 'broken.md');
    writeFileSync(
      doc,
      [
        '# Broken on bullseye',
        '',
        '```sh',
        '. /etc/os-release && test "$VERSION_CODENAME" != bullseye',
        '```',
        '',
      ].join('\n'),
    );
    const r = await runKrel(
      ['validate', '--config', project.config, '--dist', project.dist, '--doc', doc, '--vm', 'all', '--json'],
      { env: { TMPDIR: runRoot }, timeoutMs: 3 * BOOT_TIMEOUT_MS + 5 * 60_000 },
    );
    expect(r.code, r.stderr).to.equal(5);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets.map((t) => [t.target, t.status])).to.deep.equal([
      ['debian-11', 'failed'],
      ['debian-12', 'passed'],
      ['debian-13', 'passed'],
    ]);
    expect(readdirSync(runRoot)).to.deep.equal([]);
  });
});
