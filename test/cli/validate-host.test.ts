import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ValidationReport } from '../../src/validate/report.js';
import type { ValidatePlan } from '../../src/validate/validate.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { EXAMPLE_CONFIG, useHostTarget } from '../support/host-target.js';
import { startSshd } from '../support/sshd.js';
import { ensureCommands } from '../support/tools.js';

/**
 * krel validate --host against a real OpenSSH sshd on 127.0.0.1, running km-releases/GettingStarted.md on this
 * machine. The sshd and its sessions live in a mount namespace where /opt and /root are throwaway directories,
 * so the guide's sudo mkdir /opt/kontain and its downloads never touch the real ones.
 */
describe('krel validate --host (real sshd, GettingStarted.md)', function () {
  this.timeout(180_000);
  const host = useHostTarget({ name: 'validate-host', isolate: true, make: true });

  before(() => ensureCommands({ sudo: 'sudo', curl: 'curl', xmllint: 'libxml2-utils' }));

  const validate = (extra: string[], env: NodeJS.ProcessEnv = {}) =>
    runKrel(
      ['validate', '--config', EXAMPLE_CONFIG, '--dist', host.dist, ...host.hostArgs(false), ...extra],
      { env, timeoutMs: 170_000 },
    );

  it('runs every GettingStarted step on the host from the local dist/ and exits 0 with a passing report', async () => {
    const summary = path.join(host.work, 'summary-ok.md');
    const r = await validate(['--known-host-key', host.sshd.hostKeyFingerprint, '--json'], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code, r.stderr).to.equal(0);
    const report = JSON.parse(r.stdout) as ValidationReport;
    expect(report.passed).to.equal(true);
    const steps = report.targets[0]!.steps;
    expect(steps.length).to.be.at.least(6);
    expect(steps.filter((s) => s.status !== 'passed').map((s) => [s.index, s.status])).to.deep.equal([
      [6, 'skipped'],
    ]);
    expect(r.stderr).to.include(`[${host.target} step 2] Hello World`);
    expect(steps.find((s) => s.index === 6)?.status, 'the sample output block').to.equal('skipped');
    expect(r.stderr).to.match(/Installed Kontain v0\.1-test in \/opt\/kontain/);
    expect(readFileSync(summary, 'utf8')).to.match(/### krel validate: ✅ passed/);
    expect(readdirSync(host.opt), 'the guide created /opt/kontain inside the namespace').to.deep.equal([
      'kontain',
    ]);
    expect(existsSync('/opt/kontain'), 'the real /opt was not touched').to.equal(false);
  });

  it('a broken step exits 5, names the failing step with its output tail, and writes JUnit with one failure', async () => {
    const broken = path.join(host.work, 'Broken.md');
    const doc = readFileSync(path.join(REPO_ROOT, 'km-releases/GettingStarted.md'), 'utf8');
    writeFileSync(
      broken,
      doc.replace(
        '/opt/kontain/tests/hello_test.km Hello World',
        '/opt/kontain/tests/no_such_test.km Hello World',
      ),
    );
    const knownHosts = path.join(host.work, 'known_hosts');
    writeFileSync(knownHosts, `${host.sshd.knownHostsLine}\n`);
    const junit = path.join(host.work, 'junit.xml');
    const summary = path.join(host.work, 'summary-broken.md');
    const r = await validate(['--known-hosts', knownHosts, '--doc', broken, '--junit', junit], {
      GITHUB_STEP_SUMMARY: summary,
    });
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.match(
      /krel: validation failed: 1 step\(s\) failed; first: \[.*\] step 2 "Run your first KM program" \(command 1 \(\/opt\/kontain\/bin\/km \/opt\/kontain\/tests\/no_such_test\.km Hello World\) exited 1, the transcript shows success\)/,
    );
    expect(r.stderr).to.include('| km: /opt/kontain/tests/no_such_test.km: no such file');
    expect(r.stderr).to.match(/3 +- +Build your own program/);
    execFileSync('xmllint', ['--noout', junit]);
    const count = (xpath: string): number =>
      Number(execFileSync('xmllint', ['--xpath', `count(${xpath})`, junit], { encoding: 'utf8' }));
    expect(count('//testsuite')).to.equal(1);
    expect(count('//failure')).to.equal(1);
    expect(execFileSync('xmllint', ['--xpath', 'string(//failure)', junit], { encoding: 'utf8' })).to.include(
      'no_such_test.km: no such file',
    );
    expect(readFileSync(summary, 'utf8')).to.match(/❌ failed \(command 1 /);
  });

  it('a secret printed by a step never reaches the log, the JUnit report or the step summary', async () => {
    const token = 'ghp_' + 'A1b2C3d4E5'.repeat(4);
    const doc = path.join(host.work, 'Leaky.md');
    writeFileSync(doc, `# Leak\n\n\`\`\`bash\necho "token ${token}"\nfalse\n\`\`\`\n`);
    const junit = path.join(host.work, 'leaky.xml');
    const summary = path.join(host.work, 'summary-leaky.md');
    const r = await validate(
      ['--known-host-key', host.sshd.hostKeyFingerprint, '--doc', doc, '--junit', junit, '--json'],
      {
        GITHUB_STEP_SUMMARY: summary,
      },
    );
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.include('token ***');
    for (const text of [r.stderr, r.stdout, readFileSync(junit, 'utf8'), readFileSync(summary, 'utf8')]) {
      expect(text).to.not.include(token);
    }
  });

  it('validate/steps/smoke.md, a further step set, passes with --doc', async () => {
    const r = await validate([
      '--known-host-key',
      host.sshd.hostKeyFingerprint,
      '--doc',
      path.join(REPO_ROOT, 'validate/steps/smoke.md'),
    ]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/3 +ok +Uninstall/);
  });

  it("several targets run at once, each line tagged with its target; --show-output keeps one target's output", async () => {
    const second = await startSshd();
    try {
      // Both servers accept the same client key.
      writeFileSync(path.join(second.dir, 'authorized_keys'), readFileSync(`${host.sshd.identityFile}.pub`));
      const other = `${second.endpoint.username}@127.0.0.1:${second.port}`;
      const kh = path.join(host.work, 'two_known_hosts');
      writeFileSync(kh, `${host.sshd.knownHostsLine}\n${second.knownHostsLine}\n`);
      const doc = path.join(host.work, 'Two.md');
      writeFileSync(doc, '# Where\n\n```bash\nsleep 1\necho "on $SSH_CONNECTION"\n```\n');
      const started = Date.now();
      const r = await runKrel([
        'validate',
        '--config',
        EXAMPLE_CONFIG,
        '--dist',
        host.dist,
        '--doc',
        doc,
        '--host',
        host.target,
        '--host',
        other,
        '--identity',
        host.sshd.identityFile,
        '--known-hosts',
        kh,
        '--json',
        '--show-output',
        other,
      ]);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as ValidationReport;
      expect(report.targets.map((t) => [t.target, t.status])).to.deep.equal([
        [host.target, 'passed'],
        [other, 'passed'],
      ]);
      expect(r.stderr).to.include(`[${host.target} step 1] Where`);
      expect(r.stderr).to.match(
        new RegExp(
          `\\[${other.replace(/\./g, '\\.')} step 1\\] on 127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${second.port}`,
        ),
      );
      expect(r.stderr, "the other target's output is hidden").to.not.match(
        new RegExp(`\\[${host.target.replace(/\./g, '\\.')} step 1\\] on `),
      );
      expect(Date.now() - started).to.be.below(30_000);
    } finally {
      await second.stop();
    }
  });

  it('a host key other than the pinned one is refused with exit 3 and no step runs', async () => {
    const r = await validate(['--known-host-key', host.sshd.otherFingerprint]);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.include(host.sshd.otherFingerprint);
    expect(r.stderr).to.include(host.sshd.hostKeyFingerprint);
    expect(r.stderr).to.not.match(/step 1\]/);
  });

  it('a host with no pinned key is a usage error (exit 2) that says how to pin it', async () => {
    const r = await validate(['--known-hosts', path.join(host.work, 'empty_known_hosts')]);
    expect(r.code).to.equal(2);
    writeFileSync(path.join(host.work, 'empty_known_hosts'), '');
    const r2 = await validate(['--known-hosts', path.join(host.work, 'empty_known_hosts')]);
    expect(r2.code).to.equal(2);
    expect(r2.stderr).to.match(/no pinned host key for 127\.0\.0\.1:\d+ .*--known-host-key SHA256/);
  });

  it('after publish, --release TAG installs that release from the local store, not from dist/', async () => {
    const project = mkdtempSync(path.join(os.tmpdir(), 'krel-release-project-'));
    try {
      const git = (...args: string[]): string =>
        execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
          cwd: project,
          encoding: 'utf8',
        }).trim();
      git('init', '-q');
      git('commit', '-q', '--allow-empty', '-m', 'release');
      const example = JSON.parse(
        readFileSync(path.join(REPO_ROOT, 'examples/kontain/krel.json'), 'utf8'),
      ) as {
        archives: unknown[];
      };
      const config = path.join(project, 'krel.json');
      writeFileSync(
        config,
        JSON.stringify({
          repo: 'kontainapp/km',
          source: path.join(REPO_ROOT, 'examples/kontain/build'),
          archives: example.archives,
          release: { store: 'dir:store', generateNotes: false },
          validate: {
            doc: path.join(REPO_ROOT, 'km-releases/GettingStarted.md'),
            installScript: path.join(REPO_ROOT, 'km-releases/kontain-install.sh'),
          },
        }),
      );
      const env = { RELEASE_TAG: 'v0.2-beta' };
      const made = await runKrel(['make', '--config', config], { cwd: project, env });
      expect(made.code, made.stderr).to.equal(0);
      const published = await runKrel(['publish', '--config', config, '--commit', git('rev-parse', 'HEAD')], {
        cwd: project,
        env,
      });
      expect(published.code, published.stderr).to.equal(0);
      rmSync(path.join(project, 'dist'), { recursive: true });
      const r = await runKrel(
        ['validate', '--config', config, '--release', 'v0.2-beta', ...host.hostArgs()],
        { cwd: project, timeoutMs: 170_000 },
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.include('release v0.2-beta from the local store');
      expect(r.stderr).to.include('Installed Kontain v0.2-beta in /opt/kontain');
      const missing = await runKrel(
        ['validate', '--config', config, '--release', 'v0.3', ...host.hostArgs(false)],
        { cwd: project },
      );
      expect(missing.code).to.equal(2);
      expect(missing.stderr).to.match(/no release v0\.3 in the local store/);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('--dry-run lists the steps and targets without connecting', async () => {
    const r = await validate(['--known-host-key', host.sshd.hostKeyFingerprint, '--dry-run', '--json']);
    expect(r.code, r.stderr).to.equal(0);
    const plan = JSON.parse(r.stdout) as { kind: string; targets: string[]; steps: { name: string }[] };
    expect(plan.kind).to.equal('validate');
    expect(plan.targets).to.deep.equal([host.target]);
    expect(plan.steps.map((s) => s.name)).to.include('Install');
  });

  it("validate runs exactly the dry run's plan: one report per validate-target action, in its order, with its steps", async () => {
    const second = await startSshd();
    try {
      writeFileSync(path.join(second.dir, 'authorized_keys'), readFileSync(`${host.sshd.identityFile}.pub`));
      const other = `${second.endpoint.username}@127.0.0.1:${second.port}`;
      const kh = path.join(host.work, 'plan_known_hosts');
      writeFileSync(kh, `${host.sshd.knownHostsLine}\n${second.knownHostsLine}\n`);
      const doc = path.join(host.work, 'Plan.md');
      writeFileSync(doc, '# One\n\n```bash\necho one\n```\n\n# Two\n\n```sh\necho two\n```\n');
      const args = ['validate', '--config', EXAMPLE_CONFIG, '--dist', host.dist, '--doc', doc, '--json'];
      const hosts = ['--host', other, '--host', host.target, '--identity', host.sshd.identityFile];
      const dry = await runKrel([...args, ...hosts, '--known-hosts', kh, '--dry-run']);
      expect(dry.code, dry.stderr).to.equal(0);
      const plan = JSON.parse(dry.stdout) as ValidatePlan;
      expect(plan.version).to.equal(1);
      expect(plan.actions.map((a) => a.kind)).to.deep.equal([
        'serve-artifacts',
        'validate-target',
        'validate-target',
      ]);
      const planned = plan.actions.flatMap((a) =>
        a.kind === 'validate-target' ? [{ target: a.target, steps: a.steps }] : [],
      );
      expect(planned).to.deep.equal([
        { target: other, steps: [1, 2] },
        { target: host.target, steps: [1, 2] },
      ]);
      const r = await runKrel([...args, ...hosts, '--known-hosts', kh]);
      expect(r.code, r.stderr).to.equal(0);
      const report = JSON.parse(r.stdout) as ValidationReport;
      expect(
        report.targets.map((t) => ({ target: t.target, steps: t.steps.map((s) => s.index) })),
      ).to.deep.equal(planned);
    } finally {
      await second.stop();
    }
  });
});
