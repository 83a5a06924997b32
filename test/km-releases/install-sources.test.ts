/**
 * kontain-install.sh release sources: `latest` asks the GitHub API (the emulator) for the latest release,
 * file:///DIR installs an offline copy without any network.
 */
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fakeSha } from '../support/github-emulator/index.js';
import { draftRequest, emulatorStore, useGitHubEmulator } from '../support/github-emulator/testing.js';
import { type Run, errorLines, makeRelease, runScript, sha256, snapshotTree, tarGz } from '../support/install-releases.js';

const C1 = fakeSha('kontainapp/km#1');

describe('kontain-install.sh: latest and file:// releases', function () {
  this.timeout(60_000);
  const emu = useGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km', commits: [C1] }] });
  let work: string;
  let python: string; // a payload archive: payloads/python/bin/python3.km
  let n = 0;
  const newPrefix = (): string => {
    const parent = path.join(work, `p${++n}`);
    mkdirSync(parent);
    return path.join(parent, 'kontain');
  };
  /** A release directory `tag` under work/dist (tarballs, a python payload, SHA256SUMS). */
  const releaseDir = (tag: string, sums = true): string => {
    const dir = path.join(work, 'dist', tag);
    makeRelease(dir, path.join(work, 'trees', tag), { sums, payloads: { 'kontain-python.tar.gz': python } });
    return dir;
  };
  const expectFailed = (r: Run, code: number, message: RegExp): void => {
    expect(r.code, r.stderr).to.equal(code);
    expect(errorLines(r), r.stderr).to.have.length(1);
    expect(errorLines(r)[0]).to.match(message);
  };
  /** Publish the files of `dir` as release `tag` in the emulator, marked latest. */
  const publish = async (tag: string, dir: string): Promise<void> => {
    const store = emulatorStore(emu.gh);
    const draft = await store.createDraft(draftRequest(tag, C1));
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      await store.uploadAsset(draft, {
        name,
        file,
        size: statSync(file).size,
        sha256: sha256(file),
        contentType: 'application/octet-stream',
      });
    }
    await store.publish(draft, { tag, prerelease: false, makeLatest: 'true' });
  };
  const ghEnv = (prefix: string): NodeJS.ProcessEnv => ({
    KONTAIN_PREFIX: prefix,
    KONTAIN_API_URL: emu.gh.apiUrl,
    KONTAIN_RELEASE_URL: `${emu.gh.downloadsUrl}/kontainapp/km/releases/download`,
  });

  before(() => {
    work = mkdtempSync(path.join(os.tmpdir(), 'krel-install-sources-'));
    chmodSync(work, 0o755);
    const tree = path.join(work, 'python');
    mkdirSync(path.join(tree, 'payloads/python/bin'), { recursive: true });
    writeFileSync(path.join(tree, 'payloads/python/bin/python3.km'), 'python');
    python = tarGz(tree, path.join(work, 'python.tar.gz'), ['payloads']);
  });
  after(() => {
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('latest installs the repository latest release, as GitHub reports it, and records its tag', async () => {
    await publish('v1.0', releaseDir('v1.0'));
    await publish('v1.1', releaseDir('v1.1'));
    const p = newPrefix();
    const r = await runScript(['latest'], ghEnv(p));
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`Installed Kontain v1.1 in ${p}`);
    expect(readFileSync(path.join(p, '.kontain-release'), 'utf8')).to.equal('v1.1\n');
    const asked = emu.gh.requests.filter((q) => q.route === 'repos/get-latest-release');
    expect(asked.map((q) => q.status)).to.deep.equal([200]);
  });

  it('latest in a repository without a published release is exit 13, no prefix created', async () => {
    const p = newPrefix();
    expectFailed(
      await runScript(['latest'], ghEnv(p)),
      13,
      /kontainapp\/km has no published release: http:.*\/repos\/kontainapp\/km\/releases\/latest is not found/,
    );
    expect(readdirSync(path.dirname(p))).to.deep.equal([]);
  });

  describe('file:///DIR', () => {
    // No network: the release URL points nowhere reachable.
    const offline = (prefix: string): NodeJS.ProcessEnv => ({
      KONTAIN_PREFIX: prefix,
      KONTAIN_RELEASE_URL: 'http://127.0.0.1:9/kontainapp/km/releases/download',
    });

    it('installs from a local directory with no network, and -p takes payloads from the same directory', async () => {
      const dir = releaseDir('v2.0');
      const p = newPrefix();
      const r = await runScript([`file://${dir}`], offline(p));
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.include(`Installed Kontain file://${dir} in ${p}`);
      expect(readFileSync(path.join(p, '.kontain-release'), 'utf8')).to.equal(`file://${dir}\n`);
      const py = await runScript(['-p', 'python'], offline(p));
      expect(py.code, py.stderr).to.equal(0);
      expect(readFileSync(path.join(p, 'payloads/python/bin/python3.km'), 'utf8')).to.equal('python');
      const missing = await runScript(['-p', 'node'], offline(p));
      expectFailed(missing, 13, new RegExp(`release file://${dir} has no kontain-node\\.tar\\.gz: ${dir}/kontain-node\\.tar\\.gz not found`));
    });

    it('a local directory without SHA256SUMS is refused (exit 3), nothing changed', async () => {
      const dir = releaseDir('v2.0-nosums', false);
      const p = newPrefix();
      mkdirSync(p);
      const before = snapshotTree(p);
      expectFailed(await runScript([`file://${dir}`], offline(p)), 3, /has no SHA256SUMS/);
      expect(snapshotTree(p)).to.deep.equal(before);
    });

    it('a relative file: URL is a usage error (exit 2); a directory that does not exist is exit 13', async () => {
      expectFailed(await runScript(['file://dist/v2.0'], offline(newPrefix())), 2, /a local release is file:\/\/\/absolute\/path/);
      const gone = path.join(work, 'gone');
      expectFailed(await runScript([`file://${gone}`], offline(newPrefix())), 13, new RegExp(`${gone} is not a directory`));
    });

    it('a tarball that does not match the local SHA256SUMS is refused (exit 3)', async () => {
      const dir = releaseDir('v2.0-bad');
      writeFileSync(path.join(dir, 'kontain.tar.gz'), 'tampered');
      expectFailed(await runScript([`file://${dir}`], offline(newPrefix())), 3, /checksum mismatch for kontain\.tar\.gz/);
    });
  });
});
