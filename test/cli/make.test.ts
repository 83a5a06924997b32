import { expect } from 'chai';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import {
  changedFiles,
  expectSameFiles,
  makeTree,
  SAMPLE,
  SAMPLE_ARCHIVES,
  sh,
  writeConfig,
  type Fixture,
} from '../pack/fixture.js';
import { baseEnv, KREL_BIN, REPO_ROOT, runKrel, type RunResult } from '../support/cli.js';
import { makeKey } from '../support/signing-keys.js';

/** Every file of an unsigned make of the sample, sorted: no provenance, no signature. */
const UNSIGNED_OUTPUT = [
  '.krel-output',
  'SHA256SUMS',
  'kontain-node.tar.gz',
  'kontain-python.tar.gz',
  'kontain.tar.gz',
  'release-manifest.json',
  'sbom.cdx.json',
];

/** The rule for bad input: the documented exit code and one line on stderr, no stack, no internal error. */
function expectOneLine(r: RunResult, code: number, text: RegExp): void {
  expect(r.code, r.stderr).to.equal(code);
  expect(r.stderr).to.not.match(/internal error|^\s+at /m);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).to.have.length(1);
  expect(lines[0]).to.match(text);
}

/** Run the built CLI as the unprivileged user nobody (root reads every file whatever its mode). */
function krelAsNobody(args: string[], cwd: string): Promise<RunResult> {
  const uid = ['--reuid=65534', '--regid=65534', '--clear-groups'];
  const child = spawn('setpriv', [...uid, process.execPath, KREL_BIN, ...args], { cwd, env: baseEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return once(child, 'close').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    stdout,
    stderr,
  }));
}

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
    expect(readdirSync(path.join(fx.root, 'dist')).sort()).to.deep.equal(UNSIGNED_OUTPUT);
    expect(r.stderr).to.match(/verified 5 files/);
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

  describe('reproducible: the same inputs made twice by the CLI', () => {
    const at = (d: string): string => path.join(fx.root, d);
    const makeTwice = async (args: string[] = []): Promise<void> => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      for (const out of ['a', 'b']) {
        const r = await krel(['make', '--out', out, ...args], { SOURCE_DATE_EPOCH: '1234567890' });
        expect(r.code, r.stderr).to.equal(0);
      }
    };

    it('unsigned: every file is byte-identical (sha256 of each, and GNU sha256sum --check of one against the other)', async () => {
      await makeTwice();
      expect(expectSameFiles(at('a'), at('b'))).to.deep.equal(UNSIGNED_OUTPUT);
    });

    it('signed twice with the same Ed25519 key: only the provenance (its times), SHA256SUMS and SHA256SUMS.sig differ', async () => {
      const key = makeKey(fx.root, 'ed25519');
      await makeTwice(['--signing-key', key.file]);
      expect(readdirSync(at('a'))).to.include.members(['provenance.intoto.jsonl', 'SHA256SUMS.sig']);
      expect(changedFiles(at('a'), at('b'))).to.deep.equal([
        'SHA256SUMS',
        'SHA256SUMS.sig',
        'provenance.intoto.jsonl',
      ]);
      for (const d of ['a', 'b']) expect((await krel(['verify', d, '--key', key.pub])).code).to.equal(0);
    });
  });

  describe('an existing --out is replaced only when krel provably made it', () => {
    const files = (d: string): string[] => readdirSync(path.join(fx.root, d)).sort();

    it('a directory holding release-manifest.json and other files is refused (exit 3) and kept as it was', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      sh(
        'mkdir precious && echo "{}" > precious/release-manifest.json && echo mine > precious/notes.txt',
        fx.root,
      );
      const r = await krel(['make', '--out', 'precious']);
      expectOneLine(r, 3, /^krel: output \S+\/precious exists and krel did not make it .*remove it by hand/);
      expect(files('precious')).to.deep.equal(['notes.txt', 'release-manifest.json']);
      expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'krel.json', 'precious']);
    });

    it("an older krel's output (no .krel-output marker) is refused: remove it by hand", async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      expect((await krel(['make'])).code).to.equal(0);
      sh('rm dist/.krel-output', fx.root);
      const before = files('dist');
      const r = await krel(['make']);
      expectOneLine(r, 3, /no \.krel-output marker; an older krel wrote none\): remove it by hand/);
      expect(files('dist')).to.deep.equal(before);
    });

    it("krel's own output is replaced, but not once a user's file or a symlink is added to it", async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      expect((await krel(['make'])).code).to.equal(0);
      const again = await krel(['make']);
      expect(again.code, again.stderr).to.equal(0);
      expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'dist', 'krel.json']);
      writeFileSync(path.join(fx.root, 'dist', 'notes.txt'), 'mine');
      expectOneLine(await krel(['make']), 3, /dist holds "notes\.txt", which krel did not write there/);
      expect(readFileSync(path.join(fx.root, 'dist', 'notes.txt'), 'utf8')).to.equal('mine');
      sh('rm dist/notes.txt && ln -s /etc dist/kontain.tar.gz.link', fx.root);
      expectOneLine(await krel(['make']), 3, /dist holds "kontain\.tar\.gz\.link"/);
      sh(
        'rm dist/kontain.tar.gz && ln -s /etc/hostname dist/kontain.tar.gz && rm dist/kontain.tar.gz.link',
        fx.root,
      );
      expectOneLine(await krel(['make']), 3, /dist holds "kontain\.tar\.gz", which is not a regular file/);
    });

    it('careless outputs are refused and left alone: ., the source tree, a home, /, a symlink', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      const tree = sh('find . | sort', fx.root);
      expectOneLine(
        await krel(['make', '--out', '.']),
        3,
        /^krel: output \S+ exists and krel did not make it/,
      );
      expectOneLine(await krel(['make', '--out', 'build']), 3, /build exists and krel did not make it/);
      expectOneLine(await krel(['make', '--out', '/']), 3, /^krel: output \/ is the file system root/);
      mkdirSync(path.join(fx.root, 'home'));
      writeFileSync(path.join(fx.root, 'home', '.bashrc'), 'x');
      expectOneLine(
        await krel(['make', '--out', 'home'], { HOME: path.join(fx.root, 'home') }),
        3,
        /home exists/,
      );
      sh('rm -r home', fx.root);
      symlinkSync('build', path.join(fx.root, 'link'));
      expectOneLine(await krel(['make', '--out', 'link']), 3, /link is a symlink/);
      sh('rm link', fx.root);
      expect(sh('find . | sort', fx.root)).to.equal(tree);
    });

    it('an empty directory is made the output', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      mkdirSync(path.join(fx.root, 'empty'));
      const r = await krel(['make', '--out', 'empty']);
      expect(r.code, r.stderr).to.equal(0);
      expect(files('empty')).to.include('.krel-output').and.include('kontain.tar.gz');
    });
  });

  describe('bad paths and names: one line, exit 2 or 3, nothing written', () => {
    const untouched = (): void => {
      expect(readdirSync(fx.root).sort()).to.deep.equal(['build', 'krel.json']);
    };

    it('a path in the input tree longer than the OS allows (ENAMETOOLONG) is named, exit 2', async () => {
      const deep = Array.from({ length: 22 }, (_, i) => `${i}`.padEnd(200, 'd')).join('/');
      sh(`mkdir -p 'bin/${deep}'`, fx.source); // GNU mkdir -p walks down, so the tree can be deeper than PATH_MAX
      try {
        writeConfig(fx, SAMPLE_ARCHIVES);
        const r = await krel(['make']);
        expectOneLine(
          r,
          2,
          /^krel: archives\[0\]\.files\[0\]: "bin\/0d.*characters\): the path is longer than/,
        );
        untouched();
      } finally {
        sh('rm -rf bin/0*', fx.source);
      }
    });

    it('an --out longer than the OS allows (ENAMETOOLONG) is named, exit 2', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      const r = await krel(['make', '--out', 'o'.repeat(300)]);
      expectOneLine(r, 2, /^krel: output \S+o… ?.*ENAMETOOLONG/);
      untouched();
      const near = await krel(['make', '--out', 'o'.repeat(250)]); // fits, but its staging sibling does not
      expectOneLine(near, 2, /^krel: output .*ENAMETOOLONG/);
      untouched();
    });

    it('a file name in the input tree that is not valid UTF-8 is refused by name, exit 3', async () => {
      sh('touch "$(printf \'bin/caf\\351\')"', fx.source);
      writeConfig(fx, SAMPLE_ARCHIVES);
      const r = await krel(['make']);
      expectOneLine(
        r,
        3,
        /^krel: refused: archives\[0\]\.files\[0\]: the file name "bin\/caf\\xe9" is not valid UTF-8/,
      );
      untouched();
    });

    it('an unreadable directory or file in the input tree (EACCES) is named, exit 2', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      chmodSync(fx.root, 0o777);
      sh('chmod -R a+rX . && mkdir bin/secret && chmod 000 bin/secret', fx.source);
      const dir = await krelAsNobody(['make'], fx.root);
      expectOneLine(dir, 2, /^krel: archives\[0\]\.files\[0\]: "bin\/secret": permission denied \(EACCES\)/);
      untouched();
      sh('rmdir bin/secret && echo s > bin/secret.txt && chmod 000 bin/secret.txt', fx.source);
      const file = await krelAsNobody(['make'], fx.root);
      expectOneLine(file, 2, /"bin\/secret\.txt": permission denied \(EACCES\): make it readable/);
      untouched();
    });

    it('an --out below a regular file (ENOTDIR) is named, exit 2', async () => {
      writeConfig(fx, SAMPLE_ARCHIVES);
      const r = await krel(['make', '--out', 'krel.json/dist']);
      expectOneLine(r, 2, /^krel: output \S+krel\.json\/dist: a part of the path is a file, not a directory/);
      untouched();
    });

    for (const name of [
      '...tar.gz',
      'a..tar.gz',
      'kontain .tar.gz',
      'kontain\u0007.tar.gz',
      '.hidden.tar.gz',
    ]) {
      it(`the archive name ${JSON.stringify(name)} is refused by krel.json validation, exit 2`, async () => {
        const config = { source: 'build', archives: [{ name, files: ['bin'] }] };
        writeFileSync(path.join(fx.root, 'krel.json'), JSON.stringify(config));
        const r = await krel(['make']);
        expectOneLine(r, 2, /krel\.json: archives\[0\]\.name: ".*" (must|may)/);
        untouched();
      });
    }
  });
});
