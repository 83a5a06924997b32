import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFileServer, type FileServer } from '../../src/validate/file-server.js';
import { buildResolver } from '../../src/validate/artifacts.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { SCRIPT, runScript } from '../support/install-releases.js';
import { ensureCommands } from '../support/tools.js';

const TAG = 'v0.1-test';

describe('km-releases/kontain-install.sh', function () {
  this.timeout(120_000);
  let work: string;
  let dist: string;
  let server: FileServer;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    ensureCommands({ shellcheck: 'shellcheck', curl: 'curl', setpriv: 'util-linux' });
    // tsc emits even when an unrelated file has a type error; the CLI under test is what matters.
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-'));
    chmodSync(work, 0o755);
    dist = path.join(work, 'dist');
    const made = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
    expect(made.code, made.stderr).to.equal(0);
    server = await startFileServer(
      buildResolver({ kind: 'dist', dir: dist, repo: 'kontainapp/km', tag: TAG }, { installScript: SCRIPT }),
    );
    env = {
      KONTAIN_RELEASE_URL: `http://127.0.0.1:${server.port}/kontainapp/km/releases/download`,
      KONTAIN_RELEASES_REPO_URL: `http://127.0.0.1:${server.port}`,
    };
  });
  after(async () => {
    await server?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  const prefix = (name: string): string => path.join(work, name, 'kontain');

  it('is shellcheck-clean', () => {
    execFileSync('shellcheck', ['--severity=style', SCRIPT], { stdio: 'pipe' });
  });

  it('installs the default release into the prefix, verified, and runs the smoke test; -p adds a payload; -u empties it', async () => {
    const p = prefix('ok');
    mkdirSync(path.dirname(p), { recursive: true });
    const r = await runScript([], { ...env, KONTAIN_PREFIX: p });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`Installed Kontain ${TAG} in ${p}`);
    expect(existsSync(path.join(p, 'bin/km'))).to.equal(true);
    expect(readFileSync(path.join(p, '.kontain-release'), 'utf8').trim()).to.equal(TAG);
    const kvm = existsSync('/dev/kvm');
    expect(r.stdout + r.stderr).to.match(kvm ? /Smoke test passed: .*Hello World/ : /warning: no usable \/dev\/kvm/);
    const hello = execFileSync(path.join(p, 'bin/km'), [path.join(p, 'tests/hello_test.km'), 'Hello', 'World'], {
      encoding: 'utf8',
    });
    expect(hello.trim()).to.equal('Hello World');

    const py = await runScript(['-p', 'python'], { ...env, KONTAIN_PREFIX: p });
    expect(py.code, py.stderr).to.equal(0);
    expect(existsSync(path.join(p, 'payloads/python/bin/python3.km'))).to.equal(true);

    const again = await runScript([TAG], { ...env, KONTAIN_PREFIX: p });
    expect(again.code, again.stderr).to.equal(0);
    expect(existsSync(path.join(p, 'payloads')), 'a reinstall replaces the previous install').to.equal(false);

    const un = await runScript(['-u'], { KONTAIN_PREFIX: p });
    expect(un.code, un.stderr).to.equal(0);
    expect(existsSync(path.join(p, 'bin'))).to.equal(false);
  });

  it('refuses a tarball whose sha256 does not match SHA256SUMS and leaves the previous install in place', async () => {
    const p = prefix('mismatch');
    mkdirSync(path.dirname(p), { recursive: true });
    expect((await runScript([TAG], { ...env, KONTAIN_PREFIX: p })).code).to.equal(0);
    const tamperedDist = path.join(work, 'tampered');
    cpSync(dist, tamperedDist, { recursive: true });
    writeFileSync(path.join(tamperedDist, 'kontain.tar.gz'), 'not the real tarball');
    const tampered = await startFileServer(
      buildResolver({ kind: 'dist', dir: tamperedDist, repo: 'kontainapp/km', tag: TAG }, { installScript: SCRIPT }),
    );
    try {
      const r = await runScript([TAG], {
        KONTAIN_PREFIX: p,
        KONTAIN_RELEASE_URL: `http://127.0.0.1:${tampered.port}/kontainapp/km/releases/download`,
      });
      expect(r.code).to.equal(3);
      expect(r.stderr).to.match(/error: checksum mismatch for kontain\.tar\.gz: SHA256SUMS says [0-9a-f]{64}, the download is [0-9a-f]{64}; refusing to install/);
      expect(existsSync(path.join(p, 'bin/km')), 'the previous install is untouched').to.equal(true);
    } finally {
      await tampered.close();
    }
  });

  it('a release that cannot be downloaded is one clear error naming the URL', async () => {
    const p = prefix('missing');
    mkdirSync(path.dirname(p), { recursive: true });
    const r = await runScript(['v9.9.9'], { ...env, KONTAIN_PREFIX: p });
    expect(r.code).to.equal(13);
    expect(r.stderr).to.match(
      /error: release v9\.9\.9 has no kontain\.tar\.gz: http:\/\/127\.0\.0\.1:\d+\/kontainapp\/km\/releases\/download\/v9\.9\.9\/kontain\.tar\.gz not found/,
    );
    expect(existsSync(path.join(p, 'bin'))).to.equal(false);
  });

  it('an unwritable prefix is refused with the exact sudo fix', async () => {
    const parent = path.join(work, 'rootonly');
    mkdirSync(parent, { mode: 0o755 });
    const p = path.join(parent, 'kontain');
    const r = await runScript([TAG], { ...env, KONTAIN_PREFIX: p }, 65534);
    expect(r.code).to.equal(10);
    expect(r.stderr).to.include(
      `${p} is not writable by nobody. Fix: sudo mkdir -p ${p} && sudo chown $(id -u):$(id -g) ${p} (or run this script with sudo)`,
    );
  });

  it('an invalid tag and an unknown option are refused', async () => {
    const bad = await runScript(['latest; rm -rf /'], { ...env, KONTAIN_PREFIX: prefix('bad') });
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/invalid release tag/);
    const opt = await runScript(['-x'], env);
    expect(opt.code).to.equal(2);
    expect(opt.stderr).to.match(/unknown option -x/);
  });

  it('refuses to run anywhere but Linux', async () => {
    const bin = path.join(work, 'fake-uname');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'uname'), '#!/bin/sh\necho Darwin\n', { mode: 0o755 });
    // bash's OSTYPE (taken from the environment when set there) says what it runs on; uname names the system.
    const r = await runScript([TAG], {
      ...env,
      OSTYPE: 'darwin23',
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      KONTAIN_PREFIX: prefix('mac'),
    });
    expect(r.code).to.equal(3);
    expect(r.stderr).to.match(/Kontain runs on Linux only \(this system is Darwin\)/);
  });
});
