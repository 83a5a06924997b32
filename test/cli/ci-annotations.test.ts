import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runKrel } from '../support/cli.js';
import { EXAMPLE_CONFIG, useHostTarget } from '../support/host-target.js';

/**
 * krel knows when it runs in CI: a failing `krel validate` (against a real sshd) prints the CI's error annotation,
 * groups its steps, and appends a Markdown summary to $GITHUB_STEP_SUMMARY.
 */
describe('krel in CI (GitHub Actions and Azure Pipelines forms)', function () {
  this.timeout(180_000);
  const host = useHostTarget({ name: 'ci', make: true });
  let doc: string;

  before(() => {
    doc = path.join(host.work, 'Failing.md');
    writeFileSync(
      doc,
      '# Smoke\n\n```bash\necho checking\n```\n\n# Broken\n\n```bash\necho about to fail\nexit 7\n```\n',
    );
  });

  const validate = (env: NodeJS.ProcessEnv) =>
    runKrel(['validate', '--config', EXAMPLE_CONFIG, '--dist', host.dist, '--doc', doc, ...host.hostArgs()], {
      env,
      timeoutMs: 170_000,
    });

  it('GitHub Actions: a failing validate prints an ::error annotation and appends a Markdown summary', async () => {
    const summary = path.join(host.work, 'step-summary.md');
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
