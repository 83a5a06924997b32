/**
 * krel validate checks a signed release before any target installs it: with kontain-release.pub beside the
 * install script (the key the script will check SHA256SUMS.sig with), a dist/ whose signature or attestations
 * do not verify is refused with exit 3 while planning, and the key is served to targets next to the script.
 */
import { expect } from 'chai';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { buildResolver } from '../../src/validate/artifacts.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { flipByte, makeKey, type TestKey } from '../support/signing-keys.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/kontain/krel.json');

describe('krel validate: a signed release is checked before it is installed', function () {
  this.timeout(120_000);
  let work: string;
  let key: TestKey;
  let dist: string;
  let config: string;
  let script: string;

  before(async () => {
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-validate-signed-'));
    key = makeKey(work, 'ecdsa-p256');
    dist = path.join(work, 'dist');
    const made = await runKrel(['make', '--config', EXAMPLE, '--out', dist], {
      env: { KREL_SIGNING_KEY: key.file },
    });
    expect(made.code, made.stderr).to.equal(0);
    // km-releases as Kontain ships it once it signs releases: the installer and the public key beside it.
    mkdirSync(path.join(work, 'km-releases'));
    script = path.join(work, 'km-releases/kontain-install.sh');
    copyFileSync(path.join(REPO_ROOT, 'km-releases/kontain-install.sh'), script);
    copyFileSync(key.pub, path.join(work, 'km-releases/kontain-release.pub'));
    config = path.join(work, 'krel.json');
    writeFileSync(
      config,
      JSON.stringify({
        repo: 'kontainapp/km',
        archives: [{ name: 'kontain.tar.gz', files: ['bin'] }],
        validate: { doc: path.join(REPO_ROOT, 'km-releases/GettingStarted.md'), installScript: script },
      }),
    );
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(work, 'id')]);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  /** krel validate of `source` on a host nothing listens on (only the checks before any target run). */
  const validateOn = (source: string[], extra: string[], env: NodeJS.ProcessEnv = {}) =>
    runKrel(
      [
        'validate',
        '--config',
        config,
        ...source,
        '--host',
        'u@127.0.0.1:1',
        '--identity',
        path.join(work, 'id'),
        '--known-host-key',
        `SHA256:${'A'.repeat(43)}`,
        ...extra,
      ],
      { env },
    );
  /** Plan a validation of `dir` on a host (a dry run: nothing is contacted). */
  const plan = (dir: string) => validateOn(['--dist', dir], ['--dry-run']);

  it('a release signed with the key beside the install script passes the check', async () => {
    const r = await plan(dist);
    expect(r.code, r.stderr).to.equal(0);
  });

  it('one byte flipped in SHA256SUMS.sig is refused (exit 3) before any target is planned', async () => {
    const bad = path.join(work, 'bad-sig');
    cpSync(dist, bad, { recursive: true });
    const sig = readFileSync(path.join(bad, 'SHA256SUMS.sig'));
    flipByte(sig, -1);
    writeFileSync(path.join(bad, 'SHA256SUMS.sig'), sig);
    const r = await plan(bad);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.match(/SHA256SUMS\.sig does not verify with .*kontain-release\.pub/);
  });

  it('an unsigned release is refused (exit 3): the install script would refuse it too', async () => {
    const unsigned = path.join(work, 'unsigned');
    cpSync(dist, unsigned, { recursive: true });
    rmSync(path.join(unsigned, 'SHA256SUMS.sig'));
    const r = await plan(unsigned);
    expect(r.code, r.stderr).to.equal(3);
    expect(r.stderr).to.match(/SHA256SUMS\.sig is missing: the release is not signed/);
  });

  it('a release on GitHub (--release TAG) is checked on this host before any target is contacted', async () => {
    // A stand-in for github.com's download URLs, on 127.0.0.1, serving the signed release or a tampered copy.
    let served = dist;
    let endless = false;
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (endless && (req.url ?? '').endsWith('/SHA256SUMS')) {
        // A broken or hostile server: a checksum list that never ends.
        res.writeHead(200);
        const chunk = Buffer.alloc(1024 * 1024, 'x');
        const more = (): void => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', more);
        };
        res.on('close', () => res.removeAllListeners('drain'));
        more();
        return;
      }
      const m = /^\/kontainapp\/km\/releases\/download\/v1\.0\.0\/([\w.-]+)$/.exec(req.url ?? '');
      const file = m !== null ? path.join(served, m[1]!) : undefined;
      if (file === undefined || !existsSync(file)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200).end(readFileSync(file));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const validate = () =>
      validateOn(['--release', 'v1.0.0'], ['--ssh-timeout', '2'], {
        GITHUB_SERVER_URL: `http://127.0.0.1:${port}`,
      });
    try {
      const good = await validate();
      expect(good.stderr).to.include('release v1.0.0: signature and attestations verified before installing');
      expect(requests).to.include('/kontainapp/km/releases/download/v1.0.0/SHA256SUMS.sig');
      // Nothing listens on port 1: the target is unreachable, which is exit 4, after the check.
      expect(good.code, good.stderr).to.equal(4);

      const bad = path.join(work, 'bad-url-sig');
      cpSync(dist, bad, { recursive: true });
      const sig = readFileSync(path.join(bad, 'SHA256SUMS.sig'));
      flipByte(sig, 3);
      writeFileSync(path.join(bad, 'SHA256SUMS.sig'), sig);
      served = bad;
      const r = await validate();
      expect(r.code, r.stderr).to.equal(3);
      expect(r.stderr).to.match(
        /krel: release v1\.0\.0 at http:\/\/127\.0\.0\.1:\d+\/kontainapp\/km\/releases\/download: SHA256SUMS\.sig does not verify/,
      );
      expect(r.stderr, 'no target was provisioned').to.not.include('provision');

      endless = true;
      const huge = await validate();
      expect(huge.code, huge.stderr).to.equal(4);
      expect(huge.stderr.trim().split('\n').at(-1)).to.match(
        /^krel: .*\/v1\.0\.0\/SHA256SUMS is larger than 16777216 bytes$/,
      );
      expect(huge.stderr).to.not.match(/\n\s+at /);
    } finally {
      server.close();
    }
  });

  it('the key is served next to the install script; without one, nothing is', () => {
    const src = { kind: 'dist', dir: dist, repo: 'kontainapp/km', tag: 'v0.1-test' } as const;
    expect(buildResolver(src, { installScript: script })('/kontain-release.pub')).to.deep.equal({
      file: path.join(work, 'km-releases/kontain-release.pub'),
    });
    const plain = path.join(REPO_ROOT, 'km-releases/kontain-install.sh');
    expect(buildResolver(src, { installScript: plain })('/kontain-release.pub')).to.equal(undefined);
  });
});
