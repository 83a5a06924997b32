/**
 * kontain-install.sh touches only its own prefix: a directory that is empty or carries its marker, and
 * nothing an archive could lead it to outside that prefix. Hostile archives are built with GNU tar.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ReleaseServer,
  type Run,
  coreTree,
  errorLines,
  makeRelease,
  runScript,
  serveReleases,
  snapshotTree,
  tarGz,
  writeSums,
} from '../support/install-releases.js';

describe('kontain-install.sh: only its own prefix', function () {
  this.timeout(60_000);
  let work: string;
  let outside: string;
  let releases: ReleaseServer;
  let n = 0;

  /** A fresh prefix path (not created) under the work directory. */
  const newPrefix = (): string => {
    const parent = path.join(work, `p${++n}`);
    mkdirSync(parent);
    return path.join(parent, 'kontain');
  };
  const run = (args: string[], prefix: string): Promise<Run> =>
    runScript(args, { KONTAIN_RELEASE_URL: releases.releaseUrl, KONTAIN_PREFIX: prefix });

  /** Release `tag` with kontain.tar.gz made from a core tree after `edit`, and optional payload archives. */
  const release = (tag: string, edit: (tree: string) => string[] = () => [], payloads: Record<string, string> = {}) =>
    makeRelease(releases.releaseDir(tag), path.join(work, 'trees', tag), { edit, payloads });

  /** A payload archive: payloads/python/{bin/python3.km,lib/*} plus whatever `edit` adds (members it returns). */
  const payload = (name: string, edit: (tree: string) => string[] = () => [], extraTar: string[] = []): string => {
    const tree = path.join(work, 'payload-trees', name);
    mkdirSync(path.join(tree, 'payloads/python/bin'), { recursive: true });
    mkdirSync(path.join(tree, 'payloads/python/lib'), { recursive: true });
    writeFileSync(path.join(tree, 'payloads/python/bin/python3.km'), '#KM-EXECUTABLE v1\necho Python 3\n');
    for (let i = 0; i < 40; i++) {
      // Incompressible content, so that a truncated archive still unpacks its first files.
      const bytes = Buffer.alloc(8192);
      for (let j = 0; j < bytes.length; j++) bytes[j] = (i * 7919 + j * 104729 + ((j * j) >> 3)) & 0xff;
      writeFileSync(path.join(tree, `payloads/python/lib/m${i}.py`), bytes);
    }
    const extra = edit(tree);
    return tarGz(tree, path.join(work, `${name}.tar.gz`), ['payloads', ...extra], extraTar);
  };

  const expectRefused = (r: Run, message: RegExp): void => {
    expect(r.code, r.stderr).to.equal(3);
    expect(errorLines(r), r.stderr).to.have.length(1);
    expect(errorLines(r)[0]).to.match(message);
  };
  const outsideIsEmpty = (): void => {
    expect(readdirSync(outside)).to.deep.equal([]);
  };

  before(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-safety-'));
    chmodSync(work, 0o755);
    outside = path.join(work, 'outside');
    mkdirSync(outside);
    releases = await serveReleases(path.join(work, 'releases'));
    release('v1.0', () => [], { 'kontain-python.tar.gz': payload('good') });
  });
  after(async () => {
    await releases?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** A prefix holding a user's files: several modes, a hidden file, a subdirectory and a link. */
  const userFiles = (): string => {
    const p = newPrefix();
    mkdirSync(path.join(p, 'notes'), { recursive: true, mode: 0o700 });
    writeFileSync(path.join(p, 'thesis.tex'), 'years of work\n', { mode: 0o640 });
    writeFileSync(path.join(p, '.profile'), 'export X=1\n', { mode: 0o600 });
    writeFileSync(path.join(p, 'notes/todo'), 'finish\n', { mode: 0o644 });
    symlinkSync('thesis.tex', path.join(p, 'latest'));
    chmodSync(path.join(p, 'notes'), 0o700);
    return p;
  };

  describe('the prefix', () => {
    it('an install into a directory holding files that are not a Kontain install is refused with exit 3, the files left byte for byte', async () => {
      const p = userFiles();
      const before = snapshotTree(p);
      const r = await run(['v1.0'], p);
      expectRefused(r, new RegExp(`${p} holds files that are not a Kontain install .*refusing to touch them`));
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a directory holding only a hidden file is not empty: the install is refused and the file kept', async () => {
      const p = newPrefix();
      mkdirSync(p);
      writeFileSync(path.join(p, '.keep'), 'mine\n', { mode: 0o600 });
      const before = snapshotTree(p);
      expectRefused(await run(['v1.0'], p), /holds files that are not a Kontain install/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('-u on a directory holding files that are not a Kontain install is refused with exit 3, the files left byte for byte', async () => {
      const p = userFiles();
      const before = snapshotTree(p);
      expectRefused(await run(['-u'], p), /holds files that are not a Kontain install/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('-p on a directory that is not a Kontain install is refused, the files left byte for byte', async () => {
      const p = userFiles();
      const before = snapshotTree(p);
      const r = await run(['-p', 'python', 'v1.0'], p);
      expect(r.code).to.not.equal(0);
      expect(errorLines(r)[0]).to.match(/Kontain is not installed in/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a prefix that is a file is refused with exit 3 and left as it was', async () => {
      const p = newPrefix();
      writeFileSync(p, 'a file\n');
      expectRefused(await run(['v1.0'], p), /exists and is not a directory/);
      expectRefused(await run(['-u'], p), /exists and is not a directory/);
      expect(readFileSync(p, 'utf8')).to.equal('a file\n');
    });

    it('an empty directory and a directory carrying the marker are installed into; -u empties only a marked one', async () => {
      const p = newPrefix();
      mkdirSync(p);
      const first = await run(['v1.0'], p);
      expect(first.code, first.stderr).to.equal(0);
      expect(readFileSync(path.join(p, '.kontain-release'), 'utf8')).to.equal('v1.0\n');
      writeFileSync(path.join(p, 'left-by-user'), 'x');
      const again = await run(['v1.0'], p);
      expect(again.code, again.stderr).to.equal(0);
      expect(readdirSync(p).sort()).to.deep.equal(['.kontain-release', 'bin', 'tests']);
      const un = await run(['-u'], p);
      expect(un.code, un.stderr).to.equal(0);
      expect(readdirSync(p)).to.deep.equal([]);
      const none = await run(['-u'], p);
      expect(none.code, none.stderr).to.equal(0);
      expect(none.stdout).to.match(/not installed in .*nothing to do/);
    });

    it('a failed download into a prefix the script created leaves no prefix behind', async () => {
      const p = newPrefix();
      const r = await run(['v9.9.9'], p);
      expect(r.code).to.not.equal(0);
      expect(readdirSync(path.dirname(p))).to.deep.equal([]);
    });
  });

  describe('hostile core archives are refused before anything changes', () => {
    const cases: [string, string, (tree: string) => string[], RegExp, (() => string[])?][] = [
      [
        'an absolute link',
        'v1.0-abslink',
        (t) => (symlinkSync(outside, path.join(t, 'evil')), ['evil']),
        /holds the link evil -> .*outside, which leads outside/,
      ],
      [
        'a relative link climbing out',
        'v1.0-rellink',
        (t) => (symlinkSync('../../outside', path.join(t, 'bin/evil')), []),
        /holds the link bin\/evil -> \.\.\/\.\.\/outside, which leads outside/,
      ],
      [
        'a chain of links whose parts each look inside',
        'v1.0-chain',
        (t) => (symlinkSync('.', path.join(t, 'x')), symlinkSync('x/..', path.join(t, 'esc')), ['x', 'esc']),
        /holds the link esc -> x\/\.\., which leads outside/,
      ],
      [
        'a member whose name contains ..',
        'v1.0-dotdot',
        (t) => (writeFileSync(path.join(t, 'escaped'), 'x'), ['escaped']),
        /holds \.\.\/escaped, which contains '\.\.'/,
        () => ['--transform', 's,^escaped$,../escaped,'],
      ],
      [
        'an absolute member',
        'v1.0-absolute',
        (t) => (writeFileSync(path.join(t, 'abs'), 'x'), ['abs']),
        /holds the absolute path \/.*\/outside\/abs-member/,
        () => ['-P', '--transform', `s,^abs$,${outside}/abs-member,`],
      ],
    ];
    for (const [what, tag, edit, message, tarExtra] of cases) {
      it(`${what}: exit 3, one line, the previous install and everything outside the prefix unchanged`, async () => {
        const dir = releases.releaseDir(tag);
        const tree = coreTree(path.join(work, 'trees', tag));
        const extra = edit(tree);
        tarGz(tree, path.join(dir, 'kontain.tar.gz'), ['bin', 'tests', ...extra], tarExtra?.() ?? []);
        writeSums(dir, ['kontain.tar.gz']);
        const p = newPrefix();
        const ok = await run(['v1.0'], p);
        expect(ok.code, ok.stderr).to.equal(0);
        const before = snapshotTree(p);
        expectRefused(await run([tag], p), message);
        expect(snapshotTree(p)).to.deep.equal(before);
        outsideIsEmpty();
      });
    }

    it('links that stay inside the prefix (relative, or absolute under it) are installed', async () => {
      const p = newPrefix();
      release('v1.0-links', (t) => {
        symlinkSync('km', path.join(t, 'bin/km-alias'));
        symlinkSync('../bin/km', path.join(t, 'tests/km'));
        symlinkSync(`${p}/bin/km`, path.join(t, 'km'));
        return ['km'];
      });
      const r = await run(['v1.0-links'], p);
      expect(r.code, r.stderr).to.equal(0);
      expect(snapshotTree(p)['km']).to.deep.equal({ type: 'link', target: `${p}/bin/km` });
    });
  });

  describe('payloads', () => {
    /** A prefix with v1.0 installed, and the payload release `tag` holding kontain-python.tar.gz = file. */
    const installedWith = async (tag: string, file: string): Promise<string> => {
      release(tag, () => [], { 'kontain-python.tar.gz': file });
      const p = newPrefix();
      const ok = await run(['v1.0'], p);
      expect(ok.code, ok.stderr).to.equal(0);
      return p;
    };

    it('a payload never writes through a link already in the prefix: exit 3, nothing written anywhere', async () => {
      const file = payload('through', (t) => {
        mkdirSync(path.join(t, 'evil'));
        writeFileSync(path.join(t, 'evil/pwned'), 'x');
        return ['evil'];
      });
      const p = await installedWith('v1.0-through', file);
      symlinkSync(outside, path.join(p, 'evil')); // as an earlier, unchecked install could have left it
      const before = snapshotTree(p);
      expectRefused(await run(['-p', 'python', 'v1.0-through'], p), /unpacks into .*\/evil, which is a link/);
      expect(snapshotTree(p)).to.deep.equal(before);
      outsideIsEmpty();
    });

    it('a payload holding a link out of the prefix is refused with exit 3 and leaves no payload file behind', async () => {
      const file = payload('link', (t) => (symlinkSync('/etc', path.join(t, 'payloads/python/etc')), []));
      const p = await installedWith('v1.0-plink', file);
      const before = snapshotTree(p);
      expectRefused(await run(['-p', 'python', 'v1.0-plink'], p), /holds the link payloads\/python\/etc -> \/etc/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a payload archive that breaks off while unpacking leaves no partial payload files behind', async () => {
      const whole = payload('whole');
      const bytes = readFileSync(whole);
      const truncated = path.join(work, 'truncated.tar.gz');
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const p = await installedWith('v1.0-trunc', truncated);
      const before = snapshotTree(p);
      const r = await run(['-p', 'python', 'v1.0-trunc'], p);
      expect(r.code).to.equal(3);
      expect(errorLines(r)).to.have.length(1);
      expect(errorLines(r)[0]).to.match(/kontain-python\.tar\.gz is not a readable tar\.gz archive .*refusing to install it/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a payload that fails part-way through unpacking leaves no partial payload files behind', async () => {
      // Lists cleanly, but its last member needs python3.km (a file) to be a directory: tar fails after the rest.
      const tree = path.join(work, 'payload-trees', 'partway');
      mkdirSync(path.join(tree, 'payloads/python/bin/python3.km'), { recursive: true });
      writeFileSync(path.join(tree, 'payloads/python/bin/python3.km/oops'), 'x');
      const file = path.join(work, 'partway.tar');
      execFileSync('tar', ['-C', path.join(work, 'payload-trees', 'good'), '-cf', file, 'payloads']);
      execFileSync('tar', ['-C', tree, '-rf', file, 'payloads/python/bin/python3.km/oops']);
      execFileSync('gzip', ['-f', file]);
      const p = await installedWith('v1.0-partway', `${file}.gz`);
      const before = snapshotTree(p);
      const r = await run(['-p', 'python', 'v1.0-partway'], p);
      expect(r.code).to.equal(3);
      expect(errorLines(r)).to.have.length(1);
      expect(errorLines(r)[0]).to.match(/could not unpack kontain-python\.tar\.gz .*nothing was installed/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a good payload merges into the install, and installing it again replaces its files', async () => {
      const p = newPrefix();
      expect((await run(['v1.0'], p)).code).to.equal(0);
      for (let i = 0; i < 2; i++) {
        const r = await run(['-p', 'python'], p);
        expect(r.code, r.stderr).to.equal(0);
        expect(readFileSync(path.join(p, 'payloads/python/bin/python3.km'), 'utf8')).to.include('Python 3');
        expect(readdirSync(p).sort()).to.deep.equal(['.kontain-release', 'bin', 'payloads', 'tests']);
      }
    });
  });
});
