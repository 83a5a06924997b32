import { expect } from 'chai';
import { before } from 'mocha';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { KREL_BIN, REPO_ROOT, runKrel } from '../support/cli.js';

describe('krel CLI', () => {
  before(function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    readFileSync(KREL_BIN);
  });

  it('--version prints the package version and exits 0', async () => {
    const pkg = JSON.parse(readFileSync(`${REPO_ROOT}/package.json`, 'utf8')) as { version: string };
    const r = await runKrel(['--version']);
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal(pkg.version);
  });

  it('an unknown option is a usage error: exit 2', async () => {
    const r = await runKrel(['--no-such-flag']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/unknown option/);
  });

  it('--help lists the exit codes', async () => {
    const r = await runKrel(['--help']);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/3 refused by a rule or preflight/);
  });
});
