import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { packedShape, treeShape, type Shape } from '../pack/tree-shape.js';

const ENV = { SOURCE_DATE_EPOCH: '1700000000' };

/** Every entry type krel packs, with names that trip up tar writers. */
function buildTree(d: string): void {
  const file = (rel: string, text: string, mode = 0o644): void => {
    mkdirSync(path.dirname(path.join(d, rel)), { recursive: true });
    writeFileSync(path.join(d, rel), text);
    chmodSync(path.join(d, rel), mode);
  };
  file('file.txt', 'plain\n');
  file('exec.sh', '#!/bin/sh\necho hi\n', 0o755);
  file('private', 'only mine\n', 0o600);
  file('private-exec', '#!/bin/sh\n', 0o700);
  file('with space.txt', 'space\n');
  file('ünïcödé-日本.txt', 'unicode\n');
  file('-leading-dash', 'dash\n');
  file('.dotfile', 'hidden\n');
  file('.hidden/inside', 'inside a hidden directory\n');
  file(`sub/deep/${'n'.repeat(120)}.txt`, 'a name too long for ustar\n');
  file('hard1', 'one inode, three names\n');
  linkSync(path.join(d, 'hard1'), path.join(d, 'hard2'));
  linkSync(path.join(d, 'hard1'), path.join(d, 'sub/hard3'));
  mkdirSync(path.join(d, 'empty'));
  symlinkSync('file.txt', path.join(d, 'rel-link'));
  symlinkSync('../file.txt', path.join(d, 'sub/rel-up'));
  symlinkSync('sub', path.join(d, 'dir-link'));
  symlinkSync('not-there', path.join(d, 'dangling'));
  symlinkSync('/opt/kontain/d/file.txt', path.join(d, 'abs-link'));
  symlinkSync('/opt/kontain/d/exec.sh', path.join(d, 'sub/abs-up'));
}

/** What the archive must extract to: the tree with normalised modes and in-prefix links made relative. */
function expected(tree: string): Record<string, Shape> {
  const shape = packedShape(treeShape(tree));
  shape['d/abs-link'] = { type: 'symlink', link: 'file.txt' };
  shape['d/sub/abs-up'] = { type: 'symlink', link: '../exec.sh' };
  return shape;
}

function run(cmd: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const PY_EXTRACT = [
  'import sys, tarfile, warnings',
  "warnings.simplefilter('error')",
  'with tarfile.open(sys.argv[1]) as t:',
  "    t.extractall(sys.argv[2], **({'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}))",
].join('\n');

describe('krel make checked against GNU tar, Python tarfile and gzip', () => {
  let tmp: string;
  let tree: string;
  before(function () {
    this.timeout(120_000);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    tmp = mkdtempSync(path.join(tmpdir(), 'krel-conformance-'));
    tree = path.join(tmp, 'tree');
    buildTree(path.join(tree, 'd'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const names = (): string[] => readdirSync(path.join(tree, 'd')).map((n) => `d/${n}`);
  const ways: { how: string; files: () => unknown[]; from?: boolean }[] = [
    { how: 'a directory entry', files: () => ['d'] },
    { how: 'globs (d/* and d/.*)', files: () => ['d/*', 'd/.*'] },
    { how: 'one entry per name', files: names },
    { how: '--from DIR', files: () => ['d'], from: true },
  ];
  const made: Buffer[] = [];

  for (const way of ways) {
    it(`every entry type named by ${way.how}: GNU tar and Python extract exactly the tree, no reader warns`, async () => {
      const dir = mkdtempSync(path.join(tmp, 'way-'));
      const config = path.join(dir, 'krel.json');
      const source = way.from === true ? 'not-built-yet' : tree;
      writeFileSync(
        config,
        JSON.stringify({ source, archives: [{ name: 'all.tar.gz', files: way.files() }] }),
      );
      const args = ['make', '--config', config, '--out', path.join(dir, 'dist')];
      const r = await runKrel(way.from === true ? [...args, '--from', tree] : args, { env: ENV });
      expect(r.code, r.stderr).to.equal(0);
      const archive = path.join(dir, 'dist', 'all.tar.gz');
      made.push(readFileSync(archive));

      const gz = run('gzip', ['-t', archive]);
      expect([gz.status, gz.stderr]).to.deep.equal([0, '']);
      const list = run('tar', ['-tvzf', archive]);
      expect([list.status, list.stderr]).to.deep.equal([0, '']);
      expect(list.stdout).to.match(/^h.* d\/hard2 link to d\/hard1$/m);

      const gnu = path.join(dir, 'gnu');
      mkdirSync(gnu);
      const x = run('tar', ['-xpzf', archive, '-C', gnu]);
      expect([x.status, x.stderr]).to.deep.equal([0, '']);
      expect(treeShape(gnu)).to.deep.equal(expected(tree));

      const py = path.join(dir, 'python');
      const p = run('python3', ['-c', PY_EXTRACT, archive, py]);
      expect([p.status, p.stderr]).to.deep.equal([0, '']);
      expect(treeShape(py)).to.deep.equal(expected(tree));
    });
  }

  it('every way of naming the same tree makes the same bytes', () => {
    expect(made).to.have.length(ways.length);
    for (const m of made.slice(1)) expect(m.equals(made[0]!)).to.equal(true);
  });
});
