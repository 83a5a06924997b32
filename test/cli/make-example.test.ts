import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runKrel } from '../support/cli.js';

/** The embedded example, packaged and installed the way users do: tar -C /opt/kontain -xzf X. */
describe('the example build (examples/kontain) made into archives', () => {
  let tmp: string;
  let opt: string;
  const run = (cmd: string, args: string[]) =>
    spawnSync(path.join(opt, cmd), args, { cwd: opt, encoding: 'utf8' });

  before(async function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    tmp = mkdtempSync(path.join(tmpdir(), 'krel-example-'));
    const dist = path.join(tmp, 'dist');
    const r = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
    expect(r.code, r.stderr).to.equal(0);
    opt = path.join(tmp, 'opt-kontain');
    mkdirSync(opt);
    for (const a of ['kontain.tar.gz', 'kontain-python.tar.gz', 'kontain-node.tar.gz']) {
      execFileSync('tar', ['-C', opt, '-xzf', path.join(dist, a)]);
    }
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('bin/km runs tests/hello_test.km from the extracted archive: "Hello World"', () => {
    const r = run('bin/km', ['tests/hello_test.km', 'Hello', 'World']);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('Hello World\n');
  });

  it('kontain-gcc compiles tests/hello.c to a .km that km runs', () => {
    const out = path.join(tmp, 'hello.km');
    const cc = run('bin/kontain-gcc', ['tests/hello.c', '-o', out]);
    expect(cc.status, cc.stderr).to.equal(0);
    const r = run('bin/km', [out]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('Hello from Kontain!\nBuilt by kontain-gcc\n');
  });

  it('km refuses a file that is not a KM executable, exit 1', () => {
    const r = run('bin/km', ['include/km_hcalls.h']);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.equal('km: include/km_hcalls.h: not a KM executable\n');
  });

  it('km, krun and kontain-gcc report their versions', () => {
    expect(run('bin/km', ['--version']).stdout).to.match(/^km \S+ \(sample build\)\n$/);
    expect(run('bin/krun', ['--version']).stdout).to.match(/^krun \S+ \(sample build\)\n$/);
    expect(run('bin/kontain-gcc', ['--version']).stdout).to.match(/^kontain-gcc \S+ \(sample build\)\n$/);
    expect(run('bin/krun', ['run']).status).to.equal(2);
  });

  it('the python and node payloads run under km (python.km is a symlink to python3.km)', () => {
    expect(run('bin/km', ['payloads/python/bin/python.km']).stdout).to.match(
      /^Python 3\.\S+ \(kontain sample payload\)\n$/,
    );
    expect(run('bin/km', ['payloads/node/bin/node.km']).stdout).to.match(
      /^Node\.js v\S+ \(kontain sample payload\)\n$/,
    );
  });
});
