/**
 * kontain-install.sh checks the release's signature on the host, with openssl, when a public key is given
 * (KONTAIN_PUBKEY, or kontain-release.pub beside the script): releases made and signed by `krel make`, served
 * over 127.0.0.1 as GitHub lays them out, or read from a file:// directory.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFileServer, type FileServer } from '../../src/validate/file-server.js';
import { buildResolver } from '../../src/validate/artifacts.js';
import { REPO_ROOT, runKrel } from '../support/cli.js';
import { SCRIPT, errorLines, pathWithout, runScript, snapshotTree, type Run } from '../support/install-releases.js';
import { flipByte, makeKey, type TestKey } from '../support/signing-keys.js';

const TAG = 'v0.1-test';
const CONFIG = path.join(REPO_ROOT, 'examples/kontain/krel.json');

describe('kontain-install.sh: signed releases (openssl on the host)', function () {
  this.timeout(180_000);
  let work: string;
  let ed: TestKey;
  let ec: TestKey;
  let signed: string; // a dist signed with the Ed25519 key
  let n = 0;
  const servers: FileServer[] = [];

  /** Serve `dist` as release TAG; the env that installs from it. */
  const serve = async (dist: string): Promise<NodeJS.ProcessEnv> => {
    const server = await startFileServer(
      buildResolver({ kind: 'dist', dir: dist, repo: 'kontainapp/km', tag: TAG }, { installScript: SCRIPT }),
    );
    servers.push(server);
    return {
      KONTAIN_RELEASE_URL: `http://127.0.0.1:${server.port}/kontainapp/km/releases/download`,
      KONTAIN_RELEASES_REPO_URL: `http://127.0.0.1:${server.port}`,
    };
  };
  const newPrefix = (): string => {
    const parent = path.join(work, `p${++n}`);
    mkdirSync(parent);
    return path.join(parent, 'kontain');
  };
  /** A copy of `signed` with `edit` applied to one of its files. */
  const tampered = (name: string, edit: (b: Buffer) => void): string => {
    const dir = path.join(work, `tampered${++n}`);
    cpSync(signed, dir, { recursive: true });
    const bytes = readFileSync(path.join(dir, name));
    edit(bytes);
    writeFileSync(path.join(dir, name), bytes);
    return dir;
  };
  const expectRefused = (r: Run, message: RegExp, prefix: string): void => {
    expect(r.code, r.stderr).to.equal(3);
    expect(errorLines(r), r.stderr).to.have.length(1);
    expect(errorLines(r)[0]).to.match(message);
    expect(existsSync(prefix), 'the prefix was never created').to.equal(false);
  };

  before(async () => {
    spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-sig-'));
    chmodSync(work, 0o755);
    ed = makeKey(work, 'ed25519');
    ec = makeKey(work, 'ecdsa-p256');
    signed = path.join(work, 'signed');
    const r = await runKrel(['make', '--config', CONFIG, '--out', signed], { env: { KREL_SIGNING_KEY: ed.file } });
    expect(r.code, r.stderr).to.equal(0);
  });
  after(async () => {
    for (const s of servers) await s.close();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('with KONTAIN_PUBKEY, a release whose signature verifies installs, and says so', async () => {
    const p = newPrefix();
    const r = await runScript([TAG], { ...(await serve(signed)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`Signature of SHA256SUMS verified with ${ed.pub}`);
    expect(r.stdout).to.include(`Installed Kontain ${TAG} in ${p}`);
    const py = await runScript(['-p', 'python'], { ...(await serve(signed)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub });
    expect(py.code, py.stderr).to.equal(0);
    expect(py.stdout).to.include('Signature of SHA256SUMS verified');
  });

  it('one byte flipped in SHA256SUMS.sig is refused (exit 3) before the prefix is touched', async () => {
    const p = newPrefix();
    const dist = tampered('SHA256SUMS.sig', (b) => flipByte(b, 5));
    const r = await runScript([TAG], { ...(await serve(dist)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub });
    expectRefused(r, /the signature of SHA256SUMS of release v0\.1-test does not verify with .*ed25519\.pub\.pem: refusing to install it/, p);
  });

  it('SHA256SUMS changed after signing (one byte) is refused (exit 3); an existing install is left exactly as it was', async () => {
    const p = newPrefix();
    const ok = await runScript([TAG], { ...(await serve(signed)), KONTAIN_PREFIX: p });
    expect(ok.code, ok.stderr).to.equal(0);
    const before = snapshotTree(p);
    const dist = tampered('SHA256SUMS', (b) => void (b[0] = b[0] === 0x30 ? 0x31 : 0x30));
    const r = await runScript([TAG], { ...(await serve(dist)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub });
    expect(r.code, r.stderr).to.equal(3);
    expect(errorLines(r)[0]).to.match(/does not verify/);
    expect(snapshotTree(p)).to.deep.equal(before);
  });

  it('a release signed by another key, and an unsigned release, are refused (exit 3) when a key is given', async () => {
    const p = newPrefix();
    const env = { ...(await serve(signed)), KONTAIN_PREFIX: p };
    expectRefused(await runScript([TAG], { ...env, KONTAIN_PUBKEY: ec.pub }), /does not verify with .*ecdsa-p256\.pub\.pem/, p);
    const unsigned = path.join(work, 'unsigned');
    cpSync(signed, unsigned, { recursive: true });
    rmSync(path.join(unsigned, 'SHA256SUMS.sig'));
    const r = await runScript([TAG], { ...(await serve(unsigned)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub });
    expectRefused(r, /release v0\.1-test is not signed \(.*SHA256SUMS\.sig not found\), and .* says it must be/, p);
    // Without a key the unsigned release installs as before.
    const plain = await runScript([TAG], { ...(await serve(unsigned)), KONTAIN_PREFIX: p });
    expect(plain.code, plain.stderr).to.equal(0);
    expect(plain.stdout).to.not.include('Signature');
  });

  it('an ECDSA P-256 signature is checked too, from a file:// release with no network', async () => {
    const dist = path.join(work, 'signed-ec');
    const r0 = await runKrel(['make', '--config', CONFIG, '--out', dist, '--signing-key', ec.file]);
    expect(r0.code, r0.stderr).to.equal(0);
    const offline = { KONTAIN_RELEASE_URL: 'http://127.0.0.1:9/kontainapp/km/releases/download', KONTAIN_PUBKEY: ec.pub };
    const p = newPrefix();
    const r = await runScript([`file://${dist}`], { ...offline, KONTAIN_PREFIX: p });
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`Signature of SHA256SUMS verified with ${ec.pub}`);
    const bad = newPrefix();
    const flipped = readFileSync(path.join(dist, 'SHA256SUMS.sig'));
    flipByte(flipped, -1);
    writeFileSync(path.join(dist, 'SHA256SUMS.sig'), flipped);
    expectRefused(await runScript([`file://${dist}`], { ...offline, KONTAIN_PREFIX: bad }), /does not verify/, bad);
  });

  it('kontain-release.pub beside the script is the key when KONTAIN_PUBKEY is unset', async () => {
    const dir = path.join(work, 'km-releases');
    mkdirSync(dir);
    const script = path.join(dir, 'kontain-install.sh');
    copyFileSync(SCRIPT, script);
    copyFileSync(ed.pub, path.join(dir, 'kontain-release.pub'));
    const good = newPrefix();
    const r = await runScript([TAG], { ...(await serve(signed)), KONTAIN_PREFIX: good }, undefined, script);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`Signature of SHA256SUMS verified with ${dir}/kontain-release.pub`);
    const bad = newPrefix();
    const dist = tampered('SHA256SUMS.sig', (b) => flipByte(b, 0));
    expectRefused(await runScript([TAG], { ...(await serve(dist)), KONTAIN_PREFIX: bad }, undefined, script), /does not verify/, bad);
  });

  it('a key without openssl on the machine is exit 11; a key file that is not a key is exit 2', async () => {
    const p = newPrefix();
    const env = { ...(await serve(signed)), KONTAIN_PREFIX: p, KONTAIN_PUBKEY: ed.pub };
    const noOpenssl = pathWithout(path.join(work, 'no-openssl'), ['openssl']);
    const r = await runScript([TAG], { ...env, PATH: noOpenssl });
    expect(r.code, r.stderr).to.equal(11);
    expect(errorLines(r)[0]).to.match(/openssl is not installed, and .* says releases must be signed: sudo apt-get install -y openssl/);
    const junk = path.join(work, 'junk.pub');
    writeFileSync(junk, 'not a key\n');
    const j = await runScript([TAG], { ...env, KONTAIN_PUBKEY: junk });
    expect(j.code, j.stderr).to.equal(2);
    expect(existsSync(p)).to.equal(false);
  });
});
