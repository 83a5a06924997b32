import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expandGlob } from '../../src/pack/shell-glob.js';

const reader = (root: string) => ({
  list: (rel: string) =>
    Promise.resolve(
      readdirSync(path.join(root, rel), { withFileTypes: true }).map((d) => ({
        name: d.name,
        dir: d.isDirectory(),
      })),
    ),
});

/** What bash (globstar on, dotglob off) lists for the pattern, as `ls -d` would show it, without trailing "/". */
function bashGlob(root: string, pattern: string): string[] {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'shopt -s globstar nullglob; shopt -u dotglob; cd "$1" && set -- $2 && printf "%s\\0" "$@"',
      '_',
      root,
      pattern,
    ],
    { encoding: 'utf8' },
  );
  return out
    .split('\0')
    .filter((p) => p !== '')
    .map((p) => p.replace(/\/+$/, ''))
    .sort();
}

describe('pack/shell-glob: a glob names what bash (globstar, no dotglob) names', () => {
  let root: string;
  before(() => {
    root = mkdtempSync(path.join(tmpdir(), 'krel-glob-'));
    const file = (rel: string): void => {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), rel);
    };
    for (const f of [
      'bin/km',
      'bin/kontain-gcc',
      'bin/.hidden',
      'bin/-dash',
      'bin/with space',
      'bin/ü',
      'runtime/libruntime.a',
      'runtime/libc.so',
    ])
      file(f);
    for (const f of ['lib/python/a.py', 'lib/python/a.pyc', 'lib/.cache/x.pyc', '.top/inside', 'top.txt'])
      file(f);
    mkdirSync(path.join(root, 'bin/empty-dir'));
    mkdirSync(path.join(root, 'bin/.hidden-dir'));
    symlinkSync('kontain-gcc', path.join(root, 'bin/kontain-g++'));
    symlinkSync('../runtime', path.join(root, 'bin/runtime-link'));
    symlinkSync('missing', path.join(root, 'bin/dangling'));
    symlinkSync('./libruntime.a', path.join(root, 'runtime/libc.a'));
    linkSync(path.join(root, 'bin/km'), path.join(root, 'bin/km-hard'));
    expect(statSync(path.join(root, 'bin/km')).nlink).to.equal(2);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  const PATTERNS = [
    'bin/*',
    'bin/.*',
    'bin/k*',
    'bin/kontain-g??',
    'bin/[a-k]*',
    'bin/*-*',
    'runtime/*',
    'runtime/libc.*',
    '*',
    '.*',
    '*/*',
    '**',
    '**/*.pyc',
    'lib/**',
    'lib/**/*.py',
    '**/libc.a',
    'nothing/*',
    'bin/no-match-*',
  ];
  for (const pattern of PATTERNS) {
    it(`"${pattern}" matches exactly what bash matches (symlinks, directories and dotfiles included)`, async () => {
      const got = (await expandGlob(root, pattern.replace(/\/+$/, ''), reader(root))).sort();
      expect(got).to.deep.equal(bashGlob(root, pattern.replace(/\/+$/, '')));
    });
  }

  it('bin/* lists the symlinks (to a file, to a directory, dangling) and the hard link', async () => {
    const got = await expandGlob(root, 'bin/*', reader(root));
    expect(got).to.include.members(['bin/kontain-g++', 'bin/runtime-link', 'bin/dangling', 'bin/km-hard']);
    expect(got).to.not.include('bin/.hidden');
  });

  it('a glob does not look through a symlinked directory (bin/runtime-link/* matches nothing)', async () => {
    expect(await expandGlob(root, 'bin/runtime-link/*', reader(root))).to.deep.equal([]);
  });
});
