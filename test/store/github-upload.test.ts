import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { GitHubStore } from '../../src/store/github-store.js';
import type { StoredRelease } from '../../src/store/types.js';
import { findRelease } from '../support/find-release.js';
import {
  captureLogger,
  draftRequest,
  emulatorStore,
  useGitHubEmulator,
  writeAsset,
} from '../support/github-emulator/testing.js';

describe('github store uploads survive GitHub failures', () => {
  const emu = useGitHubEmulator();
  let dir: string;
  let store: GitHubStore;
  let draft: StoredRelease;
  let lines: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'krel-gh-upload-'));
    const log = captureLogger();
    lines = log.lines;
    store = emulatorStore(emu.gh, { logger: log.logger });
    draft = await store.createDraft(draftRequest('v1.0', emu.gh.state.repos[0]!.commits[0]!));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  function stored(name: string) {
    return emu.gh.state.repos[0]!.releases[0]!.assets.filter((a) => a.name === name);
  }

  it('the Nth upload answering 502 and the next dropping the connection still ends with one asset of the right digest', async () => {
    const { gh } = emu;
    const first = await writeAsset(dir, 'kontain.tar.gz', 'first\n');
    const big = await writeAsset(dir, 'kontain-python.tar.gz', 2 * 1024 * 1024);
    gh.faults.add({ route: 'uploadReleaseAsset', nth: 2, kind: { status: 502 } });
    gh.faults.add({ route: 'uploadReleaseAsset', nth: 3, kind: 'drop' });
    await store.uploadAsset(draft, first);
    const asset = await store.uploadAsset(draft, big);
    expect(asset).to.include({ state: 'uploaded', size: big.size, digest: `sha256:${big.sha256}` });
    expect(stored('kontain-python.tar.gz').map((a) => [a.state, a.digest])).to.deep.equal([
      ['uploaded', `sha256:${big.sha256}`],
    ]);
    const uploads = gh.requests.filter((r) => r.route === 'repos/upload-release-asset');
    expect(uploads.map((r) => [r.status, r.fault])).to.deep.equal([
      [201, undefined],
      [502, '502'],
      [0, 'drop'],
      [201, undefined],
    ]);
    // The drop left a starter asset; it was deleted before the retry.
    expect(gh.requests.filter((r) => r.route === 'repos/delete-release-asset')).to.have.length(1);
    expect(lines.join('\n')).to.match(
      /upload of kontain-python.tar.gz failed: GitHub answered 502; retrying/,
    );
  });

  it('a 422 already_exists deletes the existing asset of that name and uploads again', async () => {
    const { gh } = emu;
    const req = await writeAsset(dir, 'SHA256SUMS', 'sums\n');
    gh.faults.add({ route: 'repos/upload-release-asset', kind: 'already_exists' });
    const asset = await store.uploadAsset(draft, req);
    expect(asset.digest).to.equal(`sha256:${req.sha256}`);
    expect(stored('SHA256SUMS').map((a) => a.digest)).to.deep.equal([`sha256:${req.sha256}`]);
    expect(
      gh.requests.filter((r) => r.route === 'repos/upload-release-asset').map((r) => r.status),
    ).to.deep.equal([422, 201]);
  });

  it('a starter asset left by a failed upload is deleted before the retry', async () => {
    const { gh } = emu;
    const req = await writeAsset(dir, 'kontain-node.tar.gz', 4096);
    gh.faults.add({ route: 'uploadReleaseAsset', kind: 'starter' });
    await store.uploadAsset(draft, req);
    const deletes = gh.requests.filter((r) => r.route === 'repos/delete-release-asset');
    expect(deletes).to.have.length(1);
    expect(stored('kontain-node.tar.gz').map((a) => a.state)).to.deep.equal(['uploaded']);
  });

  it('an upload failing every attempt gives up with one line and leaves no asset of that name', async () => {
    const { gh } = emu;
    const req = await writeAsset(dir, 'kontain.tar.gz', 1000);
    gh.faults.add({ route: 'uploadReleaseAsset', times: 100, kind: 'starter' });
    const s = emulatorStore(gh, { uploadAttempts: 3 });
    let failure: Error | undefined;
    await s.uploadAsset(draft, req).catch((e: Error) => (failure = e));
    expect(failure?.message).to.equal(
      'could not upload kontain.tar.gz to kontainapp/km after 3 attempts: GitHub answered 502',
    );
    expect(stored('kontain.tar.gz')).to.deep.equal([]);
  });

  it('a secondary rate limit (403 + Retry-After) on an API call is waited out, then retried', async () => {
    const { gh } = emu;
    gh.faults.add({ route: 'repos/list-releases', kind: { status: 403, retryAfter: 1, secondary: true } });
    expect((await findRelease(store, 'v1.0'))?.id).to.equal(draft.id);
    const lists = gh.requests.filter((r) => r.route === 'repos/list-releases');
    expect(lists.map((r) => r.status)).to.deep.equal([403, 200]);
    expect(lists[1]!.start - lists[0]!.end).to.be.at.least(900);
    expect(lines.join('\n')).to.match(/GitHub secondary rate limit on GET .*: retrying in 1s/);
  });

  it('a primary rate limit (429, remaining 0) is waited out until the reset, then retried', async () => {
    const { gh } = emu;
    gh.faults.add({ route: 'GET /repos/*/*/git/ref/**', kind: { status: 429, retryAfter: 1 } });
    expect(await store.tagCommit('v1.0')).to.equal(undefined);
    const gets = gh.requests.filter((r) => r.route === 'git/get-ref');
    expect(gets.map((r) => r.status)).to.deep.equal([429, 404]);
    expect(gets[1]!.start - gets[0]!.end).to.be.at.least(900);
    expect(lines.join('\n')).to.match(/GitHub primary rate limit/);
  });

  it('a rate-limited upload (403 + Retry-After) waits as told and then uploads', async () => {
    const { gh } = emu;
    const req = await writeAsset(dir, 'kontain.tar.gz', 'x\n');
    gh.faults.add({ route: 'uploadReleaseAsset', kind: { status: 403, retryAfter: 1, secondary: true } });
    await store.uploadAsset(draft, req);
    const ups = gh.requests.filter((r) => r.route === 'repos/upload-release-asset');
    expect(ups.map((r) => r.status)).to.deep.equal([403, 201]);
    expect(ups[1]!.start - ups[0]!.end).to.be.at.least(900);
  });

  it('a dropped connection or a 5xx on an API call is retried', async () => {
    const { gh } = emu;
    gh.faults.add({ route: 'repos/get', kind: 'drop' });
    gh.faults.add({ route: 'repos/get', nth: 2, kind: { status: 500 } });
    expect((await store.info()).canWrite).to.equal(true);
    expect(gh.requests.filter((r) => r.route === 'repos/get').map((r) => r.status)).to.deep.equal([
      0, 500, 200,
    ]);
  });

  it('an aborted upload stops with an interruption and retries nothing', async () => {
    const { gh } = emu;
    const req = await writeAsset(dir, 'kontain.tar.gz', 8 * 1024 * 1024);
    const ac = new AbortController();
    let failure: Error | undefined;
    await store
      .uploadAsset(draft, { ...req, signal: ac.signal, onProgress: (n) => n > 0 && ac.abort() })
      .catch((e: Error) => (failure = e));
    expect(failure?.name).to.equal('InterruptedError');
    expect(gh.requests.filter((r) => r.route === 'repos/upload-release-asset').length).to.be.at.most(1);
  });
});
