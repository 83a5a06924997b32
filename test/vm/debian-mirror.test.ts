import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { UsageError } from '../../src/errors/index.js';
import { checkMirrorSuite, parseAptSources, readDebianMirror } from '../../src/vm/debian-mirror.js';

describe('vm/debian-mirror', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(tmpdir(), 'krel-apt-'));
    await mkdir(path.join(dir, 'sources.list.d'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the main Debian archive from deb822 .sources, skipping security and disabled files', async function () {
    await writeFile(
      path.join(dir, 'sources.list.d', 'debian.sources'),
      [
        'Types: deb',
        '# a comment',
        'URIs: http://mirror.example/debian-security',
        'Suites: bookworm-security',
        'Components: main',
        '',
        'Types: deb deb-src',
        'URIs: http://mirror.example/debian/',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(dir, 'sources.list.d', 'other.list.disabled'),
      'deb http://nope.example/debian bookworm main\n',
    );
    expect(readDebianMirror(dir)).to.equal('http://mirror.example/debian');
  });

  it('reads one-line sources.list entries with options', async function () {
    await writeFile(
      path.join(dir, 'sources.list'),
      '# x\ndeb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n',
    );
    expect(readDebianMirror(dir)).to.equal('http://m.example/debian');
    expect(parseAptSources('deb-src http://m.example/debian bookworm main\n', false)).to.deep.equal([]);
  });

  it('no Debian mirror configured is a usage error that says how to fix it', function () {
    expect(() => readDebianMirror(dir)).to.throw(UsageError, /no Debian mirror found.*KREL_DEBIAN_MIRROR/);
  });

  it('this machine has a Debian mirror that serves bookworm, and a suite it does not serve is one clear error', async function () {
    this.timeout(60_000);
    const mirror = readDebianMirror();
    await checkMirrorSuite(mirror, 'bookworm', 'debian-12');
    let err: unknown;
    try {
      await checkMirrorSuite(mirror, 'no-such-suite', 'debian-99');
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.match(
      /^image debian-99: the Debian mirror .* does not serve suite "no-such-suite" \(.*HTTP 404\)/,
    );
  });
});
