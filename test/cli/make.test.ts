import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTree, SAMPLE, SAMPLE_ARCHIVES, sh, writeConfig, type Fixture } from '../pack/fixture.js';
import { baseEnv, KREL_BIN, REPO_ROOT, runKrel } from '../support/cli.js';

describe('krel make / krel verify (CLI)', () => {
  let fx: Fixture;
  before(function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  });
  beforeEach(() => (fx = makeTree(SAMPLE)));
  afterEach(() => fx.cleanup());

  const krel = (args: string[], env: NodeJS.ProcessEnv = {}) => runKrel(args, { cwd: fx.root, env });

  it('makes the archives, SHA256SUMS and the manifest; --json prints the manifest; --verify passes', async () => {
    writeConfig(fx, SAMPLE_ARCHIVES);
    const r = await krel(['make', '--json', '--verify']);
    expect(r.code, r.stderr).to.equal(0);
    const manifest = JSON.parse(r.stdout) as { archives: { name: string }[] };
    expect(manifest.archives.map((a) => a.name)).to.deep.equal([
      'kontain.tar.gz',
      'kontain-python.tar.gz',
      'kontain-node.tar.gz',
    ]);
    expect(readdirSync(path.join(fx.root, 'dist')).sort()).to.deep.equal([
      'SHA256SUMS',
      'kontain-node.tar.gz',
      'kontain-python.tar.gz',
      'kontain.tar.gz',
      'release-manifest.json',
    ]);
    expect(r.stderr).to.match(/verified 4 files/);
  });

  it('two missing inputs fail with exit 2, both named, and no dist/ is left behind', async () => {
    writeConfig(fx, [
      { name: 'kontain.tar.gz', files: ['bin'] },
      { name: 'kontain-x.tar.gz', files: ['bin/nope', 'payloads/java'] },
    ]);
    const r = await krel(['make']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('archives[1].files[0]: no such file "bin/nope"');
    expect(r.stderr).to.include('archives[1].files[1]: no such file "payloads/java"');
    expect(existsSync(path.join(fx.root, 'dist'))).to.equal(false);
    expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'krel.json']);
  });

  it('a symlink pointing outside the tree is refused with exit 3 and a clear message', async () => {
    sh('ln -s ../../../etc/passwd build/bin/passwd', fx.root);
    writeConfig(fx, SAMPLE_ARCHIVES);
    const r = await krel(['make']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.include(
      'krel: refused: archives[0].files[0]: symlink "bin/passwd" -> "../../../etc/passwd" points outside the source tree',
    );
    expect(existsSync(path.join(fx.root, 'dist'))).to.equal(false);
  });

  it('missing inputs run the "build" command first, its output on stderr', async () => {
    writeConfig(fx, [{ name: 'gen.tar.gz', files: ['gen/out.txt'] }], {
      build: 'mkdir -p gen && echo generated > gen/out.txt && echo building-now',
    });
    const r = await krel(['make']);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.match(/build: mkdir -p gen[\s\S]*building-now/);
    expect(r.stdout).to.equal('');
    expect(sh('tar -xzOf dist/gen.tar.gz gen/out.txt', fx.root)).to.equal('generated\n');
  });

  it('--from packages a prebuilt tree instead of "source"', async () => {
    const other = makeTree({ ...SAMPLE, 'bin/km': 'prebuilt km\n' });
    try {
      writeConfig(fx, SAMPLE_ARCHIVES);
      const r = await krel(['make', '--from', other.source, '--out', 'out']);
      expect(r.code, r.stderr).to.equal(0);
      expect(sh('tar -xzOf out/kontain.tar.gz bin/km', fx.root)).to.equal('prebuilt km\n');
    } finally {
      other.cleanup();
    }
  });

  it('--dry-run prints the plan and writes nothing; with --json the plan is JSON', async () => {
    writeConfig(fx, SAMPLE_ARCHIVES);
    const human = await krel(['make', '--dry-run']);
    expect(human.code, human.stderr).to.equal(0);
    expect(human.stdout).to.match(/kontain\.tar\.gz +7 entries/);
    expect(human.stdout).to.match(/total +3 archives, 16 entries/);
    const json = await krel(['--json', 'make', '--dry-run']);
    const plan = JSON.parse(json.stdout) as { kind: string; archives: { entries: unknown[] }[] };
    expect(plan.kind).to.equal('make');
    expect(plan.archives[0]!.entries).to.have.length(7);
    expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'krel.json']);
  });

  it('krel verify finds a tampered archive: exit 3, one line per mismatch', async () => {
    writeConfig(fx, SAMPLE_ARCHIVES);
    expect((await krel(['make'])).code).to.equal(0);
    expect((await krel(['verify'])).code).to.equal(0);
    const file = path.join(fx.root, 'dist', 'kontain.tar.gz');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5]! ^= 0xff; // inside the gzip trailer: the CRC no longer matches
    writeFileSync(file, bytes);
    const r = await krel(['verify', 'dist']);
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/krel: .*dist: \d+ mismatches against SHA256SUMS\/release-manifest\.json/);
    expect(r.stderr).to.include('  kontain.tar.gz: sha256 is ');
    expect(r.stderr).to.not.match(/kontain-node|kontain-python/);
  });

  it('krel verify without DIR reports an invalid krel.json (exit 2) instead of falling back to ./dist', async () => {
    writeConfig(fx, SAMPLE_ARCHIVES);
    expect((await krel(['make'])).code).to.equal(0);
    writeFileSync(path.join(fx.root, 'krel.json'), '{ "archives": [] }');
    const r = await krel(['verify']);
    expect(r.code, r.stderr).to.equal(2);
    expect(r.stderr).to.match(/krel\.json: archives: must NOT have fewer than 1 items/);
  });

  it('SIGINT during the build stops it, exits 130 and leaves no output or staging directory', async () => {
    writeConfig(fx, [{ name: 'gen.tar.gz', files: ['gen'] }], { build: 'echo build-started; sleep 30' });
    const child = spawn(process.execPath, [KREL_BIN, 'make'], { cwd: fx.root, env: baseEnv() });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (d.includes('build-started')) child.kill('SIGINT');
    });
    const [code] = (await once(child, 'close')) as [number | null];
    expect(code, stderr).to.equal(130);
    expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'krel.json']);
  });

  it('the same inputs made twice by the CLI give the same sha256 for every file', async () => {
    writeConfig(fx, SAMPLE_ARCHIVES);
    await krel(['make', '--out', 'a'], { SOURCE_DATE_EPOCH: '1234567890' });
    await krel(['make', '--out', 'b'], { SOURCE_DATE_EPOCH: '1234567890' });
    const sums = (d: string) => readFileSync(path.join(fx.root, d, 'SHA256SUMS'), 'utf8');
    expect(sums('b')).to.equal(sums('a'));
  });
});
