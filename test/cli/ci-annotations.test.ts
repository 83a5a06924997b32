import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { startSshd, type Sshd } from '../support/sshd.js';

/**
 * krel knows when it runs in CI: a failing `krel validate` (against a real sshd) prints the CI's error annotation,
 * groups its steps, and appends a Markdown summary to $GITHUB_STEP_SUMMARY.
 */
describe('krel in CI (GitHub Actions and Azure Pipelines forms)', function () {
  this.timeout(180_000);
  let sshd: Sshd;
  let work: string;
  let dist: string;
  let doc: string;

  before(async () => {
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-ci-'));
    dist = path.join(work, 'dist');
    const made = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
    expect(made.code, made.stderr).to.equal(0);
    doc = path.join(work, 'Failing.md');
    writeFileSync(
      doc,
      '# Smoke\n\n```bash\necho checking\n```\n\n# Broken\n\n```bash\necho about to fail\nexit 7\n```\n',
    );
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const validate = (env: NodeJS.ProcessEnv) =>
    runKrel(
      [
        'validate',
        '--config',
        'examples/kontain/krel.json',
        '--dist',
        dist,
        '--doc',
        doc,
        '--host',
        `${sshd.endpoint.username}@127.0.0.1:${sshd.port}`,
        '--identity',
        sshd.identityFile,
        '--known-host-key',
        sshd.hostKeyFingerprint,
      ],
      { env, timeoutMs: 170_000 },
    );

  it('GitHub Actions: a failing validate prints an ::error annotation and appends a Markdown summary', async () => {
    const summary = path.join(work, 'step-summary.md');
    writeFileSync(summary, '## earlier step\n');
    const r = await validate({ GITHUB_ACTIONS: 'true', CI: 'true', GITHUB_STEP_SUMMARY: summary });
    expect(r.code, r.stderr).to.equal(5);
    const annotations = r.stderr.split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations.length, r.stderr).to.be.at.least(1);
    expect(annotations.join('\n')).to.match(/Broken/);
    expect(r.stderr).to.not.match(/##vso\[/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('## earlier step\n'), 'appended, not overwritten').to.equal(true);
    expect(md).to.match(/krel validate/);
    expect(md).to.match(/\|.*Broken.*\|/);
  });

  it('Azure Pipelines: the same failure is reported as ##vso[task.logissue type=error]', async () => {
    const r = await validate({ TF_BUILD: 'True', CI: 'true' });
    expect(r.code, r.stderr).to.equal(5);
    const issues = r.stderr.split('\n').filter((l) => l.startsWith('##vso[task.logissue type=error]'));
    expect(issues.length, r.stderr).to.be.at.least(1);
    expect(issues.join('\n')).to.match(/Broken/);
    expect(r.stderr).to.not.match(/^::error/m);
  });

  it('outside CI there are no annotations', async () => {
    const r = await validate({});
    expect(r.code, r.stderr).to.equal(5);
    expect(r.stderr).to.not.match(/^::error|##vso\[/m);
  });
});
