import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { packedShape, treeShape, type Shape } from '../pack/tree-shape.js';

const BUILD = path.join(REPO_ROOT, 'examples/kontain/build');
const CORE_DIRS = ['bin', 'runtime', 'lib', 'alpine-lib', 'include', 'tests', 'examples'];
const ARCHIVES = ['kontain.tar.gz', 'kontain_bin.tar.gz', 'kontain-python.tar.gz', 'kontain-node.tar.gz'];

/** The shape kontain.tar.gz promises: the core directories of the build, bin/* 0755, in-prefix links relative. */
function coreShape(): Record<string, Shape> {
  const all = packedShape(treeShape(BUILD));
  const core = Object.fromEntries(Object.entries(all).filter(([p]) => CORE_DIRS.includes(p.split('/')[0]!)));
  core['alpine-lib/usr/lib/libffi.so.6'] = { type: 'symlink', link: 'libffi.so.7' };
  return core;
}

/** The embedded example, packaged and installed the way users do: tar -C /opt/kontain -xzf X. */
describe('the example build (examples/kontain) made into archives', () => {
  let tmp: string;
  let opt: string;
  let dist: string;
  const run = (cmd: string, args: string[]) =>
    spawnSync(path.join(opt, cmd), args, { cwd: opt, encoding: 'utf8' });

  before(async function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    tmp = mkdtempSync(path.join(tmpdir(), 'krel-example-'));
    dist = path.join(tmp, 'dist');
    const r = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
    expect(r.code, r.stderr).to.equal(0);
    opt = path.join(tmp, 'opt-kontain');
    mkdirSync(opt);
    execFileSync('tar', ['-C', opt, '-xpzf', path.join(dist, 'kontain.tar.gz')]);
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

  it("kontain.tar.gz extracts (GNU tar) to exactly the build's core tree: symlinks, the hard link, libffi.so.6 made relative", () => {
    expect(treeShape(opt)).to.deep.equal(coreShape());
    expect(statSync(path.join(opt, 'bin/krun-label-trigger')).ino).to.equal(
      statSync(path.join(opt, 'bin/krun')).ino,
    );
    expect(readFileSync(path.join(opt, 'runtime/libc.a'), 'utf8')).to.match(/sample runtime library/);
    expect(readFileSync(path.join(opt, 'alpine-lib/usr/lib/libffi.so.6'), 'utf8')).to.match(/libffi 3\.3/);
  });

  it('every archive reads without a warning: gzip -t, tar -tvzf, Python tarfile', () => {
    for (const a of ARCHIVES) {
      const file = path.join(dist, a);
      for (const [cmd, args] of [
        ['gzip', ['-t', file]],
        ['tar', ['-tvzf', file]],
        ['python3', ['-c', 'import sys, tarfile\nwith tarfile.open(sys.argv[1]) as t: t.getmembers()', file]],
      ] as const) {
        const r = spawnSync(cmd, args, { encoding: 'utf8' });
        expect([a, cmd, r.status, r.stderr]).to.deep.equal([a, cmd, 0, '']);
      }
    }
  });

  it('kontain_bin.tar.gz holds the binaries without the compiler wrappers (excluded), krun-label-trigger as a hard link', () => {
    const listing = execFileSync('tar', ['-tvzf', path.join(dist, 'kontain_bin.tar.gz')], {
      encoding: 'utf8',
    });
    expect(
      listing
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/).slice(5).join(' ')),
    ).to.deep.equal(['bin/', 'bin/km', 'bin/krun', 'bin/krun-label-trigger link to bin/krun']);
  });

  it('kkm.run is released as is (0755, in SHA256SUMS and the manifest) and installs its files under KKM_PREFIX', () => {
    const kkm = path.join(dist, 'kkm.run');
    expect(statSync(kkm).mode & 0o777).to.equal(0o755);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dist, encoding: 'utf8' })).to.include(
      'kkm.run: OK',
    );
    const manifest = JSON.parse(readFileSync(path.join(dist, 'release-manifest.json'), 'utf8')) as {
      assets: { name: string; size: number; mode: string }[];
    };
    expect(manifest.assets).to.have.length(1);
    expect(manifest.assets[0]).to.include({ name: 'kkm.run', size: statSync(kkm).size, mode: '0755' });
    const prefix = path.join(tmp, 'kkm-prefix');
    const r = spawnSync('sh', [kkm], { env: { ...process.env, KKM_PREFIX: prefix }, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`kkm.run: installed ${prefix}/kkm.ko\n`);
    expect(readFileSync(path.join(prefix, 'kkm.ko'), 'utf8')).to.match(/^KKM sample kernel module/);
  });

  it('kontain-g++ (a symlink to kontain-gcc) compiles too', () => {
    const out = path.join(tmp, 'hello-cxx.km');
    expect(run('bin/kontain-g++', ['tests/hello.c', '-o', out]).status).to.equal(0);
    expect(run('bin/km', [out]).stdout).to.equal('Hello from Kontain!\nBuilt by kontain-gcc\n');
  });

  it('the python and node payloads run under km (python.km is a symlink to python3.km)', () => {
    for (const a of ['kontain-python.tar.gz', 'kontain-node.tar.gz'])
      execFileSync('tar', ['-C', opt, '-xzf', path.join(dist, a)]);
    expect(run('bin/km', ['payloads/python/bin/python.km']).stdout).to.match(
      /^Python 3\.\S+ \(kontain sample payload\)\n$/,
    );
    expect(run('bin/km', ['payloads/node/bin/node.km']).stdout).to.match(
      /^Node\.js v\S+ \(kontain sample payload\)\n$/,
    );
  });
});
