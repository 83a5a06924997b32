import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { collectArchives, staticBase } from '../../src/pack/collect.js';
import type { ArchivePlan } from '../../src/pack/types.js';
import { makeTree, writeConfig, type Fixture, type RawArchives } from './fixture.js';

async function collect(fx: Fixture, archives: RawArchives, extra: Record<string, unknown> = {}) {
  const config = writeConfig(fx, archives, extra);
  return collectArchives({ source: config.source, archives: config.archives });
}

const paths = (a: ArchivePlan | undefined): string[] => (a?.entries ?? []).map((e) => e.path);

describe('pack/collect', () => {
  let fx: Fixture;
  afterEach(() => fx.cleanup());

  it('a glob\'s "to" replaces its static base, and parents are added as explicit directories', async () => {
    fx = makeTree({ 'out/bin/km': 'a', 'out/bin/krun': 'b', 'out/bin/skip.txt': 'c' });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: [{ from: 'out/bin/k*', to: 'opt/bin' }] }]);
    expect(r.problems).to.deep.equal([]);
    expect(paths(r.archives[0])).to.deep.equal(['opt', 'opt/bin', 'opt/bin/km', 'opt/bin/krun']);
    expect(r.archives[0]!.entries[0]!.type).to.equal('directory');
  });

  it('a directory entry includes its whole tree, sorted bytewise by member name', async () => {
    fx = makeTree({ 'p/b/x': '1', 'p/a-z': '2', 'p/a/y': '3', 'p/B': '4' });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['p'] }]);
    expect(paths(r.archives[0])).to.deep.equal(['p', 'p/B', 'p/a-z', 'p/a', 'p/a/y', 'p/b', 'p/b/x']);
  });

  it('modes are normalised (0755 executables and directories, 0644 files) unless the entry sets one', async () => {
    fx = makeTree({
      'bin/x': { content: 'x', mode: 0o700 },
      'bin/y': { content: 'y', mode: 0o600 },
      'bin/z': { content: 'z', mode: 0o644 },
    });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['bin', { from: 'bin/z', mode: '0750' }] }]);
    const modes = Object.fromEntries(r.archives[0]!.entries.map((e) => [e.path, e.mode.toString(8)]));
    expect(modes).to.deep.equal({ bin: '755', 'bin/x': '755', 'bin/y': '644', 'bin/z': '750' });
  });

  it('every missing input is reported at once with the JSON path of its entry', async () => {
    fx = makeTree({ 'bin/krun': 'x' });
    const r = await collect(fx, [
      { name: 'a.tar.gz', files: ['bin/krun'] },
      { name: 'b.tar.gz', files: ['bin/km', 'payloads/*/bin'] },
    ]);
    expect(r.problems).to.deep.equal([
      { kind: 'missing', line: 'archives[1].files[0]: no such file "bin/km"' },
      { kind: 'missing', line: 'archives[1].files[1]: no file matches "payloads/*/bin"' },
    ]);
  });

  it('a symlink inside the tree is kept as a symlink; one resolving outside it or the prefix is refused', async () => {
    fx = makeTree({
      'a/target': 't',
      'a/in': { symlink: 'target' },
      'a/out': { symlink: '../../etc-outside' },
      'a/abs': { symlink: '/etc/passwd' },
    });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['a'] }]);
    const link = r.archives[0]!.entries.find((e) => e.path === 'a/in');
    expect(link).to.include({ type: 'symlink', linkname: 'target', mode: 0o777 });
    expect(r.problems.map((p) => p.kind)).to.deep.equal(['unsafe', 'unsafe']);
    expect(r.problems[0]!.line).to.equal(
      'archives[0].files[0]: symlink "a/abs" -> "/etc/passwd" is absolute and outside the prefix /opt/kontain; make it relative to a file inside the tree',
    );
    expect(r.problems[1]!.line).to.match(
      /symlink "a\/out" -> "\.\.\/\.\.\/etc-outside" points outside the source tree/,
    );
  });

  it('a symlink whose chain leaves the tree is refused even though its own target is inside', async () => {
    // b/escape (not packaged) leaves the tree; a/hop only points at it.
    fx = makeTree({ 'a/hop': { symlink: '../b/escape' }, 'b/escape': { symlink: '/etc' } });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['a'] }]);
    expect(r.problems.map((p) => p.line)).to.deep.equal([
      'archives[0].files[0]: symlink "a/hop" -> "../b/escape" points outside the source tree; make it point inside or leave it out',
    ]);
  });

  it('special files (fifo) are refused with one clear line', async () => {
    fx = makeTree({ 'd/ok': 'x' });
    execFileSync('mkfifo', [path.join(fx.source, 'd', 'pipe')]);
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['d'] }]);
    expect(r.problems).to.deep.equal([
      {
        kind: 'unsafe',
        line: 'archives[0].files[0]: "d/pipe" is a fifo; only files, directories and symlinks can be packaged: remove it from the tree',
      },
    ]);
  });

  it('a file name that is not valid UTF-8 is refused by its bytes, from a directory or a glob; the rest is kept', async () => {
    fx = makeTree({ 'd/ok': 'x' });
    execFileSync('sh', ['-c', 'touch "$(printf \'d/caf\\351\')"'], { cwd: fx.source });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['d'] }]);
    expect(r.problems).to.deep.equal([
      {
        kind: 'unsafe',
        line: 'archives[0].files[0]: the file name "d/caf\\xe9" is not valid UTF-8: rename it or remove it from the tree',
      },
    ]);
    expect(paths(r.archives[0])).to.deep.equal(['d', 'd/ok']);
    const glob = await collect(fx, [{ name: 'a.tar.gz', files: ['d/*'] }]);
    expect(glob.problems.map((p) => p.kind)).to.deep.equal(['unsafe']);
    expect(glob.problems[0]!.line).to.match(
      /^archives\[0\]\.files\[0\]: the file name "d\/caf.*" is not valid UTF-8/,
    );
  });

  it('an absolute or ".." archive path ("to") and a "from" leaving the source are refused', async () => {
    fx = makeTree({ f: 'x' });
    const r = await collect(fx, [
      { name: 'a.tar.gz', files: [{ from: 'f', to: '/etc/f' }, { from: 'f', to: 'a/../../f' }, '../f'] },
    ]);
    expect(r.problems).to.deep.equal([
      {
        kind: 'config',
        line: 'archives[0].files[0]: "to" must be a relative archive path without "..", got "/etc/f"',
      },
      {
        kind: 'config',
        line: 'archives[0].files[1]: "to" must be a relative archive path without "..", got "a/../../f"',
      },
      {
        kind: 'config',
        line: 'archives[0].files[2]: "from" must be relative to the source tree and stay inside it, got "../f"',
      },
    ]);
  });

  it('two different files mapped to one archive path are a config problem', async () => {
    fx = makeTree({ 'a/x': '1', 'b/x': '2' });
    const r = await collect(fx, [
      {
        name: 'a.tar.gz',
        files: [
          { from: 'a/x', to: 'x' },
          { from: 'b/x', to: 'x' },
        ],
      },
    ]);
    expect(r.problems[0]?.line).to.match(
      /archives\[0\]\.files\[1\]: "x" is also packaged by archives\[0\]\.files\[0\]/,
    );
  });

  it('files sharing an inode are stored once: the first in archive order holds the data, the others link to it', async () => {
    fx = makeTree({ 'bin/krun': { content: 'krun', mode: 0o755 }, 'bin/z': 'z' });
    linkSync(path.join(fx.source, 'bin/krun'), path.join(fx.source, 'bin/krun-label-trigger'));
    linkSync(path.join(fx.source, 'bin/krun'), path.join(fx.source, 'bin/a-first'));
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['bin/*'] }]);
    expect(r.problems).to.deep.equal([]);
    const byPath = Object.fromEntries(r.archives[0]!.entries.map((e) => [e.path, e]));
    expect(byPath['bin/a-first']).to.include({ type: 'file', size: 4 });
    for (const p of ['bin/krun', 'bin/krun-label-trigger'])
      expect(byPath[p]).to.deep.equal({
        path: p,
        type: 'hardlink',
        mode: 0o755,
        size: 0,
        linkname: 'bin/a-first',
      });
    expect(r.archives[0]!.bytes).to.equal(5);
  });

  it('a hard-linked file given another mode by its entry is stored as its own file', async () => {
    fx = makeTree({ 'bin/krun': { content: 'krun', mode: 0o755 } });
    linkSync(path.join(fx.source, 'bin/krun'), path.join(fx.source, 'bin/krun2'));
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['bin', { from: 'bin/krun2', mode: '0700' }] }]);
    expect(r.archives[0]!.entries.map((e) => [e.path, e.type])).to.deep.equal([
      ['bin', 'directory'],
      ['bin/krun', 'file'],
      ['bin/krun2', 'file'],
    ]);
  });

  it('an absolute symlink inside the prefix is stored relative, with a note; one outside it is refused', async () => {
    fx = makeTree({
      'alpine-lib/usr/lib/libffi.so.7': 'ffi',
      'alpine-lib/usr/lib/libffi.so.6': { symlink: '/opt/kontain/alpine-lib/usr/lib/libffi.so.7' },
      'alpine-lib/top': { symlink: '/opt/kontain/bin/../include' },
      'alpine-lib/etc': { symlink: '/opt/kontainer/etc' },
    });
    const r = await collect(fx, [{ name: 'a.tar.gz', files: ['alpine-lib'] }]);
    const byPath = Object.fromEntries(r.archives[0]!.entries.map((e) => [e.path, e]));
    expect(byPath['alpine-lib/usr/lib/libffi.so.6']).to.include({
      linkname: 'libffi.so.7',
      rewrittenFrom: '/opt/kontain/alpine-lib/usr/lib/libffi.so.7',
    });
    expect(byPath['alpine-lib/top']).to.include({ linkname: '../include' });
    expect(r.notes).to.deep.equal([
      'archives[0].files[0]: symlink "alpine-lib/top" -> "/opt/kontain/bin/../include" is stored as "../include" (inside /opt/kontain)',
      'archives[0].files[0]: symlink "alpine-lib/usr/lib/libffi.so.6" -> "/opt/kontain/alpine-lib/usr/lib/libffi.so.7" is stored as "libffi.so.7" (inside /opt/kontain)',
    ]);
    expect(r.problems.map((p) => p.line)).to.deep.equal([
      'archives[0].files[0]: symlink "alpine-lib/etc" -> "/opt/kontainer/etc" is absolute and outside the prefix /opt/kontain; make it relative to a file inside the tree',
    ]);
  });

  it('an archive with its own prefix rewrites links inside that prefix only', async () => {
    fx = makeTree({
      'p/f': 'f',
      'p/in': { symlink: '/srv/payload/p/f' },
      'p/out': { symlink: '/opt/kontain/p/f' },
    });
    const r = await collect(fx, [{ name: 'a.tar.gz', prefix: '/srv/payload', files: ['p'] }]);
    expect(r.archives[0]!.entries.find((e) => e.path === 'p/in')).to.include({ linkname: 'f' });
    expect(r.problems.map((p) => p.line)).to.deep.equal([
      'archives[0].files[0]: symlink "p/out" -> "/opt/kontain/p/f" is absolute and outside the prefix /srv/payload; make it relative to a file inside the tree',
    ]);
  });

  it('"exclude" leaves out what its globs match, relative to the entry\'s source (a directory with its tree)', async () => {
    fx = makeTree({
      'bin/km': 'km',
      'bin/krun': 'krun',
      'lib/a.py': 'a',
      'lib/a.pyc': 'c',
      'lib/sub/b.pyc': 'c',
      'lib/cache/x': 'x',
    });
    const r = await collect(fx, [
      {
        name: 'a.tar.gz',
        files: [
          { from: 'bin/*', to: 'bin', exclude: ['bin/krun'] },
          { from: 'lib', exclude: ['**/*.pyc', 'lib/cache'] },
        ],
      },
    ]);
    expect(r.problems).to.deep.equal([]);
    expect(paths(r.archives[0])).to.deep.equal(['bin', 'bin/km', 'lib', 'lib/a.py', 'lib/sub']);
  });

  it('an entry\'s own "source" combines another tree into the archive; a clash names both entries', async () => {
    fx = makeTree({ 'bin/km': 'km', 'tests/hello_test.km': 'built' });
    mkdirSync(path.join(fx.root, 'repo/tests'), { recursive: true });
    writeFileSync(path.join(fx.root, 'repo/tests/extra.c'), 'c');
    writeFileSync(path.join(fx.root, 'repo/tests/hello_test.km'), 'from the repository');
    const ok = await collect(fx, [
      { name: 'a.tar.gz', files: ['bin', { from: 'tests/extra.c', source: 'repo' }] },
    ]);
    expect(ok.problems).to.deep.equal([]);
    const extra = ok.archives[0]!.entries.find((e) => e.path === 'tests/extra.c');
    expect(extra?.source).to.equal(path.join(fx.root, 'repo/tests/extra.c'));
    const clash = await collect(fx, [
      { name: 'a.tar.gz', files: ['tests', { from: 'tests', source: 'repo' }] },
    ]);
    expect(clash.problems.map((p) => p.line)).to.deep.equal([
      'archives[0].files[1]: "tests/hello_test.km" is also packaged by archives[0].files[0] from another file; give one a different "to"',
    ]);
  });

  it('staticBase keeps the leading segments without pattern characters', () => {
    expect(staticBase('payloads/python/**')).to.equal('payloads/python');
    expect(staticBase('bin/*')).to.equal('bin');
    expect(staticBase('*.h')).to.equal('');
    expect(staticBase('a/{b,c}/d')).to.equal('a');
  });
});
