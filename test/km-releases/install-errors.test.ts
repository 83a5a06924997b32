/**
 * kontain-install.sh for real users: one clear line and a documented exit code for every failure, nothing
 * changed; checksums required unless --insecure-skip-checksum; KVM or KKM, and a smoke test judged by exit status.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  type ReleaseServer,
  type Run,
  errorLines,
  makeRelease,
  pathWithout,
  runScript,
  serveReleases,
  snapshotTree,
} from '../support/install-releases.js';
import { ensureCommands } from '../support/tools.js';

describe('kontain-install.sh: errors, checksums, KVM or KKM', function () {
  this.timeout(60_000);
  let work: string;
  let releases: ReleaseServer;
  let kvm: string; // a character device standing for /dev/kvm or /dev/kkm (like /dev/null: readable, writable)
  let n = 0;

  const newPrefix = (): string => {
    const parent = path.join(work, `p${++n}`);
    mkdirSync(parent);
    return path.join(parent, 'kontain');
  };
  const noDevices = { KONTAIN_KVM_DEVICE: '/nonexistent/kvm', KONTAIN_KKM_DEVICE: '/nonexistent/kkm' };
  const run = (args: string[], prefix: string, env: NodeJS.ProcessEnv = {}): Promise<Run> =>
    runScript(args, { KONTAIN_RELEASE_URL: releases.releaseUrl, KONTAIN_PREFIX: prefix, ...noDevices, ...env });
  const expectFailed = (r: Run, code: number, message: RegExp): void => {
    expect(r.code, r.stderr).to.equal(code);
    expect(errorLines(r), r.stderr).to.have.length(1);
    expect(errorLines(r)[0]).to.match(message);
  };
  /** A prefix with v1.0 installed; its snapshot must not change on a failed run. */
  const installed = async (): Promise<string> => {
    const p = newPrefix();
    const r = await run(['v1.0'], p);
    expect(r.code, r.stderr).to.equal(0);
    return p;
  };
  const release = (tag: string, opts: Parameters<typeof makeRelease>[2] = {}): void =>
    makeRelease(releases.releaseDir(tag), path.join(work, 'trees', tag), opts);
  /** A bin/km that prints `out` and exits with `code`. */
  const fakeKm =
    (out: string, code: number) =>
    (tree: string): string[] => {
      writeFileSync(path.join(tree, 'bin/km'), `#!/bin/sh\necho '${out}'\nexit ${code}\n`, { mode: 0o755 });
      return [];
    };

  before(async () => {
    ensureCommands({ wget: 'wget', mknod: 'coreutils' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-errors-'));
    chmodSync(work, 0o755);
    kvm = path.join(work, 'kvm-device');
    execFileSync('mknod', ['-m', '0666', kvm, 'c', '1', '3']);
    releases = await serveReleases(path.join(work, 'releases'));
    const payload = path.join(work, 'python.tar.gz');
    mkdirSync(path.join(work, 'py/payloads/python'), { recursive: true });
    writeFileSync(path.join(work, 'py/payloads/python/python3.km'), 'x');
    execFileSync('tar', ['-C', path.join(work, 'py'), '-czf', payload, 'payloads']);
    release('v1.0', { payloads: { 'kontain-python.tar.gz': payload } });
    release('v1.0-nosums', { sums: false });
    release('v1.0-smoke-fails', { edit: fakeKm('boom', 7) });
    release('v1.0-smoke-other', { edit: fakeKm('something else', 0) });
  });
  after(async () => {
    await releases?.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  describe('tools and network', () => {
    for (const [missing, message] of [
      [['curl', 'wget'], /neither curl nor wget is installed: sudo apt-get install -y curl/],
      [['tar'], /tar is not installed/],
      [['gzip'], /gzip is not installed/],
    ] as const) {
      it(`without ${missing.join(' or ')}: exit 11 with the install command, no prefix created`, async () => {
        const bin = pathWithout(path.join(work, `bin-without-${missing.join('-')}`), [...missing]);
        const p = newPrefix();
        expectFailed(await run(['v1.0'], p, { PATH: bin }), 11, message);
        expect(existsSync(p)).to.equal(false);
      });
    }

    it('with wget instead of curl it installs, and a missing asset is still exit 13', async () => {
      const bin = pathWithout(path.join(work, 'bin-wget-only'), ['curl']);
      const p = newPrefix();
      const ok = await run(['v1.0'], p, { PATH: bin });
      expect(ok.code, ok.stderr).to.equal(0);
      expect(readFileSync(path.join(p, '.kontain-release'), 'utf8')).to.equal('v1.0\n');
      expectFailed(await run(['-p', 'nosuch'], p, { PATH: bin }), 13, /release v1\.0 has no kontain-nosuch\.tar\.gz/);
    });

    it('a server that cannot be reached: exit 12 naming the URL, nothing changed', async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const p = await installed();
      const before = snapshotTree(p);
      const r = await run(['v1.0'], p, { KONTAIN_RELEASE_URL: `http://127.0.0.1:${port}/kontainapp/km/releases/download` });
      expectFailed(r, 12, new RegExp(`download failed: http://127\\.0\\.0\\.1:${port}/.*/v1\\.0/kontain\\.tar\\.gz: .*check your network`));
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a server error other than 404 is a network error (exit 12 with the HTTP status), not a missing release', async () => {
      const failing = http.createServer((_req, res) => res.writeHead(503).end());
      await new Promise<void>((r) => failing.listen(0, '127.0.0.1', r));
      try {
        const port = (failing.address() as AddressInfo).port;
        const r = await run(['v1.0'], newPrefix(), {
          KONTAIN_RELEASE_URL: `http://127.0.0.1:${port}/kontainapp/km/releases/download`,
        });
        expectFailed(r, 12, /download failed: .*HTTP 503/);
      } finally {
        failing.closeAllConnections();
        await new Promise<void>((r) => failing.close(() => r()));
      }
    });

    it('a missing payload is exit 13 and the install is unchanged', async () => {
      const p = await installed();
      const before = snapshotTree(p);
      expectFailed(await run(['-p', 'ruby'], p), 13, /release v1\.0 has no kontain-ruby\.tar\.gz: http:.*not found/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('-u with a release, or a second release, is a usage error (exit 2)', async () => {
      expectFailed(await run(['-u', 'v1.0'], newPrefix()), 2, /-u takes no release/);
      expectFailed(await run(['v1.0', 'v1.1'], newPrefix()), 2, /too many arguments/);
    });

    it('-h documents the exit codes and the environment', async () => {
      const r = await run(['-h'], newPrefix());
      expect(r.code).to.equal(0);
      for (const text of ['KONTAIN_KVM_DEVICE', 'KONTAIN_KKM_DEVICE', 'KONTAIN_SMOKE_EXPECT', 'latest', 'file:///DIR'])
        expect(r.stdout).to.include(text);
      for (const code of [2, 3, 5, 10, 11, 12, 13]) expect(r.stdout).to.match(new RegExp(`^  ${code} +\\S`, 'm'));
    });
  });

  describe('checksums', () => {
    it('a release without SHA256SUMS is refused with exit 3 and the flag to override; nothing changed', async () => {
      const p = await installed();
      const before = snapshotTree(p);
      expectFailed(
        await run(['v1.0-nosums'], p),
        3,
        /release v1\.0-nosums has no SHA256SUMS, so kontain\.tar\.gz cannot be verified: refusing .*--insecure-skip-checksum/,
      );
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('--insecure-skip-checksum installs a release without SHA256SUMS with a loud warning', async () => {
      const p = newPrefix();
      const r = await run(['--insecure-skip-checksum', 'v1.0-nosums'], p);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/warning: !!! INSECURE: kontain\.tar\.gz of release v1\.0-nosums has no checksum; installing it UNVERIFIED/);
      expect(readFileSync(path.join(p, '.kontain-release'), 'utf8')).to.equal('v1.0-nosums\n');
    });

    it('--insecure-skip-checksum still refuses a checksum that is listed and wrong (exit 3)', async () => {
      const dir = releases.releaseDir('v1.0-bad');
      release('v1.0-bad');
      writeFileSync(path.join(dir, 'kontain.tar.gz'), 'tampered');
      expectFailed(await run(['--insecure-skip-checksum', 'v1.0-bad'], newPrefix()), 3, /checksum mismatch for kontain\.tar\.gz/);
    });
  });

  describe('KVM or KKM, and the smoke test', () => {
    it('a KKM-only host (no KVM device, a usable KKM device) runs the smoke test with KKM', async () => {
      const r = await run(['v1.0'], newPrefix(), { KONTAIN_KKM_DEVICE: kvm });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`Smoke test passed \\(${kvm}\\): .*hello_test\\.km Hello World -> Hello World`));
    });

    it('a KVM host runs the smoke test with KVM', async () => {
      const r = await run(['v1.0'], newPrefix(), { KONTAIN_KVM_DEVICE: kvm, KONTAIN_KKM_DEVICE: kvm });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(new RegExp(`Smoke test passed \\(${kvm}\\)`));
    });

    it('a device that is not a character device is not usable: installed, with a warning naming the module to load and kkm.run', async () => {
      const fake = path.join(work, 'kkm-regular-file');
      writeFileSync(fake, '');
      chmodSync(fake, 0o666);
      const p = newPrefix();
      const r = await run(['v1.0'], p, { KONTAIN_KKM_DEVICE: fake });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.not.match(/Smoke test passed/);
      expect(errorLines(r)).to.deep.equal([]);
      expect(r.stderr).to.include(`warning: no usable /nonexistent/kvm or ${fake} here, so KM cannot run programs yet: `);
      // Which module depends on this CPU (vmx: kvm_intel, svm: kvm_amd); KKM is always offered.
      expect(r.stderr).to.match(/sudo modprobe kvm_(intel|amd)/);
      expect(r.stderr).to.match(
        /kkm\.run from the release \(http:\/\/127\.0\.0\.1:\d+\/kontainapp\/km\/releases\/download\/v1\.0\/kkm\.run; sudo bash kkm\.run\)/,
      );
      expect(r.stderr).to.include(`then check with: ${p}/bin/km ${p}/tests/hello_test.km Hello World`);
    });

    it('a character device you cannot read and write is not usable, and the warning says which group to join', async () => {
      const locked = path.join(work, 'kvm-locked');
      execFileSync('mknod', ['-m', '0660', locked, 'c', '1', '3']);
      const parent = path.join(work, 'nobody');
      mkdirSync(parent);
      execFileSync('chown', ['65534:65534', parent]);
      const r = await runScript(
        ['v1.0'],
        { KONTAIN_RELEASE_URL: releases.releaseUrl, KONTAIN_PREFIX: path.join(parent, 'kontain'), KONTAIN_KVM_DEVICE: locked },
        65534,
      );
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(new RegExp(`${locked} is there but you cannot read and write it: add yourself to its group \\(sudo usermod -aG root nobody\\)`));
    });

    it('a smoke test that fails is exit 5 and the previous install is put back byte for byte', async () => {
      const p = await installed();
      const before = snapshotTree(p);
      const r = await run(['v1.0-smoke-fails'], p, { KONTAIN_KVM_DEVICE: kvm });
      expectFailed(r, 5, /the smoke test failed \(exit 7\) with .*: boom; the previous state of .* is restored/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a smoke test that fails on a fresh prefix leaves no prefix behind', async () => {
      const p = newPrefix();
      expectFailed(await run(['v1.0-smoke-fails'], p, { KONTAIN_KVM_DEVICE: kvm }), 5, /the smoke test failed/);
      expect(readdirSync(path.dirname(p))).to.deep.equal([]);
    });

    it('the smoke test is judged by exit status; its output only when KONTAIN_SMOKE_EXPECT is set', async () => {
      const p = newPrefix();
      const ok = await run(['v1.0-smoke-other'], p, { KONTAIN_KVM_DEVICE: kvm });
      expect(ok.code, ok.stderr).to.equal(0);
      expect(ok.stdout).to.match(/Smoke test passed .* -> something else/);
      const before = snapshotTree(p);
      const r = await run(['v1.0-smoke-other'], p, { KONTAIN_KVM_DEVICE: kvm, KONTAIN_SMOKE_EXPECT: 'Hello World' });
      expectFailed(r, 5, /the smoke test printed 'something else', not 'Hello World'/);
      expect(snapshotTree(p)).to.deep.equal(before);
      const good = await run(['v1.0'], p, { KONTAIN_KVM_DEVICE: kvm, KONTAIN_SMOKE_EXPECT: 'Hello World' });
      expect(good.code, good.stderr).to.equal(0);
    });
  });
});
