import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LintReport } from '../../src/validate/lint.js';
import type { ValidationReport } from '../../src/validate/report.js';
import type { ValidatePlan } from '../../src/validate/validate.js';
import { runKrel } from '../support/cli.js';
import { REAL_STYLE_GUIDE, REAL_STYLE_OVERRIDES, writeGuideConfig } from '../support/guide-project.js';
import { useHostTarget } from '../support/host-target.js';
import { ensureCommands } from '../support/tools.js';

/**
 * A guide written the way real ones are (test/fixtures/guides/kontain-release.md: a transcript, shell in a C
 * fence, variables and a cd carried between blocks, sample output, a C file, a prose install, docker -it,
 * kubectl, a placeholder), made to run by krel.json overrides alone, on a real sshd.
 */
describe('krel validate on a guide as people write it (real sshd)', function () {
  this.timeout(240_000);
  const host = useHostTarget({ name: 'validate-guide', isolate: true, make: true });
  let config = '';
  let bare = '';

  before(() => {
    ensureCommands({ sudo: 'sudo', curl: 'curl' });
    config = writeGuideConfig(host.work, REAL_STYLE_GUIDE);
    const dir = path.join(host.work, 'bare');
    mkdirSync(dir);
    bare = writeGuideConfig(dir, REAL_STYLE_GUIDE, []);
  });

  const validate = (cfg: string, extra: string[]) =>
    runKrel(['validate', '--config', cfg, '--dist', host.dist, ...host.hostArgs(), ...extra], {
      timeoutMs: 230_000,
    });

  it('--lint names the placeholder, docker -it, kubectl and the hard-coded and prose installs, exits 2, and boots nothing', async () => {
    const vmDirs = (): string[] => readdirSync(os.tmpdir()).filter((n) => n.startsWith('krel-vm-'));
    const before = vmDirs();
    const r = await runKrel(['validate', '--lint', '--config', bare]);
    expect(r.code, r.stderr).to.equal(2);
    const line = (n: number): string =>
      r.stdout.split('\n').find((l) => l.startsWith(`${String(n).padStart(3)}  `)) ?? '';
    expect(line(2)).to.match(
      /fails +Install \(2\): downloads a published release \(https:\/\/github\.com\/kontainapp\/km\/releases\/download\/v0\.9\.1\/kontain\.tar\.gz\)/,
    );
    expect(line(3)).to.match(/skipped +.*: a c block, not shell/);
    expect(line(6)).to.match(/skipped +.*: sample output/);
    expect(line(9)).to.match(/suspicious .*uses second\.c, which no earlier step creates/);
    expect(line(10)).to.match(
      /fails +Docker: interactive: docker -it needs a terminal.*docker is not in krel's guest images/,
    );
    expect(line(11)).to.match(
      /fails +Kubernetes: kubectl is not in krel's guest images \(it needs a Kubernetes cluster\)/,
    );
    expect(line(12)).to.match(/fails +Faktory: placeholder "<download link TBD>"/);
    expect(r.stdout).to.match(
      /prose line 9: a command in the prose is never run .*: wget -q -O - https:\/\/raw\.githubusercontent\.com/,
    );
    expect(r.stderr).to.match(
      /^krel: .*kontain-release\.md: 4 block\(s\) would fail; first: block 2 "Install \(2\)"/m,
    );
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(vmDirs()).to.deep.equal(before);

    const json = await runKrel(['validate', '--lint', '--json', '--config', bare]);
    const report = JSON.parse(json.stdout) as LintReport;
    expect(json.code).to.equal(2);
    expect(report.failing).to.equal(4);
    expect(report.blocks.find((b) => b.index === 11)?.findings.map((f) => f.rule)).to.deep.equal([
      'absent-command',
      'network',
    ]);
  });

  it('with the overrides in krel.json, --lint exits 0 and lists each override, and so does the dry-run plan', async () => {
    const r = await runKrel(['validate', '--lint', '--config', config]);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.match(/0 would fail/);
    expect(r.stdout).to.match(
      /override validate\.steps\[1\] \(match \/releases\/download\/v0\\\.9\\\.1\/\): replace /,
    );
    expect(r.stdout).to.match(
      /override validate\.steps\[5\] \(match \/<download link TBD>\/\): skip \(faktory is not released yet\)/,
    );
    const plan = await validate(config, ['--dry-run', '--json']);
    expect(plan.code, plan.stderr).to.equal(0);
    const p = JSON.parse(plan.stdout) as ValidatePlan;
    expect(p.session).to.equal('shared');
    expect(p.steps.flatMap((s) => s.overrides).length).to.equal(REAL_STYLE_OVERRIDES.length + 1); // one skips two blocks
    expect(p.steps.find((s) => s.index === 8)).to.deep.include({ kind: 'file' });
  });

  it('passes on the host: the transcript, the C fence run as shell, $dir and the cd carried over, the C file written', async () => {
    const r = await validate(config, ['--json']);
    expect(r.code, r.stderr).to.equal(0);
    const steps = (JSON.parse(r.stdout) as ValidationReport).targets[0]!.steps;
    expect(steps.map((s) => `${s.index}:${s.status}`)).to.deep.equal([
      '1:passed',
      '2:passed',
      '3:passed',
      '4:passed',
      '5:passed',
      '6:skipped',
      '7:passed',
      '8:passed',
      '9:passed',
      '10:skipped',
      '11:skipped',
      '12:skipped',
    ]);
    expect(r.stderr).to.include(`[${host.target} step 7] $ ls`);
    expect(r.stderr).to.include(`[${host.target} step 9] second program`);
    expect(existsSync('/opt/kontain'), 'the real /opt was not touched').to.equal(false);
  });

  it('a transcript whose output differs fails with exit 5 and a unified diff', async () => {
    const doc = path.join(host.work, 'differs.md');
    writeFileSync(
      doc,
      readFileSync(REAL_STYLE_GUIDE, 'utf8').replace(
        'kontain-example.km\n$ /opt',
        'kontain-example.o\n$ /opt',
      ),
    );
    const cfg = writeGuideConfig(path.join(host.work, 'bare'), doc);
    const r = await validate(cfg, ['--json']);
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.match(
      /step 7 .*: the output of 1 command\(s\) differs from the transcript \(first: command 1: \$ ls\)/,
    );
    expect(r.stderr).to.match(
      /\n +--- expected\n +\+\+\+ actual\n +@@ -1,2 \+1,2 @@\n +kontain-example\.c\n +-kontain-example\.o\n +\+kontain-example\.km/,
    );
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.targets[0]!.steps.find((s) => s.index === 7)?.diff).to.include('-kontain-example.o');
  });

  it('--from-step rebuilds the session by replaying the earlier blocks; --no-replay does not, so the cd is missing', async () => {
    const replayed = await validate(config, ['--from-step', '7', '--json']);
    expect(replayed.code, replayed.stderr).to.equal(0);
    const steps = (JSON.parse(replayed.stdout) as ValidationReport).targets[0]!.steps;
    expect(steps.filter((s) => s.replayed === true).map((s) => s.index)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    const bareRun = await validate(config, ['--from-step', '7', '--no-replay', '--json']);
    expect(bareRun.code, bareRun.stderr).to.equal(5);
    const only = (JSON.parse(bareRun.stdout) as ValidationReport).targets[0]!.steps;
    expect(only.map((s) => [s.index, s.status])).to.deep.include([7, 'failed']);
    expect(only[0]!.index).to.equal(7);
    const picked = await validate(config, ['--steps', '1,10-12', '--json']);
    expect(picked.code, picked.stderr).to.equal(0);
    expect(
      (JSON.parse(picked.stdout) as ValidationReport).targets[0]!.steps.map((s) => s.index),
    ).to.deep.equal([1, 10, 11, 12]);
  });

  it('--steps and --from-step outside the guide are usage errors', async () => {
    for (const args of [
      ['--steps', '3-99'],
      ['--steps', 'two'],
      ['--from-step', '40'],
      ['--steps', '1', '--from-step', '2'],
    ]) {
      const r = await runKrel([
        'validate',
        '--dry-run',
        '--config',
        config,
        '--dist',
        host.dist,
        ...host.hostArgs(),
        ...args,
      ]);
      expect(r.code, args.join(' ')).to.equal(2);
      expect(r.stderr.trim().split('\n').pop()).to.match(/^krel: --(steps|from-step)/);
    }
  });
});
