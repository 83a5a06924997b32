import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import { findRelease } from '../support/find-release.js';
import {
  draftRequest,
  emulatorStore,
  useGitHubEmulator,
  writeAsset,
} from '../support/github-emulator/testing.js';

describe('github store against the GitHub emulator', () => {
  const emu = useGitHubEmulator();
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'krel-gh-store-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('creates a draft pinned to the commit, found by tag through the release list (drafts have no tag yet)', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const commit = gh.state.repos[0]!.commits[0]!;
    const draft = await store.createDraft(draftRequest('v1.0', commit, { body: 'notes' }));
    expect(draft).to.include({ tag: 'v1.0', draft: true, targetCommitish: commit, body: 'notes' });
    const found = await findRelease(store, 'v1.0');
    expect(found?.id).to.equal(draft.id);
    expect(await store.tagCommit('v1.0')).to.equal(undefined);
    expect(gh.requests.filter((r) => r.route === 'repos/get-release-by-tag')).to.deep.equal([]);
  });

  it('uploads an asset and reports state uploaded, its size and its sha256 digest', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const draft = await store.createDraft(draftRequest('v1.0', gh.state.repos[0]!.commits[1]!));
    const req = await writeAsset(dir, 'kontain.tar.gz', 'kontain bytes\n');
    const seen: number[] = [];
    const asset = await store.uploadAsset(draft, { ...req, onProgress: (n) => seen.push(n) });
    expect(asset).to.include({
      name: 'kontain.tar.gz',
      state: 'uploaded',
      size: req.size,
      digest: `sha256:${req.sha256}`,
    });
    expect(seen.at(-1)).to.equal(req.size);
    const upload = gh.requests.find((r) => r.route === 'repos/upload-release-asset')!;
    expect(upload.listener).to.equal('uploads');
    expect((await store.listAssets(draft)).map((a) => a.name)).to.deep.equal(['kontain.tar.gz']);
  });

  it('publishing a draft creates its tag at the commit and makes its assets downloadable without a token', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const commit = gh.state.repos[0]!.commits[0]!;
    const draft = await store.createDraft(draftRequest('v1.0', commit));
    await store.uploadAsset(draft, await writeAsset(dir, 'SHA256SUMS', 'abc  kontain.tar.gz\n'));
    const published = await store.publish(draft, { prerelease: false, makeLatest: 'true' });
    expect(published).to.include({ draft: false, tag: 'v1.0' });
    expect(await store.tagCommit('v1.0')).to.equal(commit);
    expect(gh.state.repos[0]!.latestReleaseId).to.equal(Number(published.id));
    const body = await text(await store.download(published.assets[0]!));
    expect(body).to.equal('abc  kontain.tar.gz\n');
    const download = gh.requests.at(-1)!;
    expect(download).to.include({ listener: 'web', status: 200 });
  });

  it('a prerelease is published as prerelease and never marked latest', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const draft = await store.createDraft(
      draftRequest('v0.9-beta', gh.state.repos[0]!.commits[0]!, { prerelease: true }),
    );
    const published = await store.publish(draft, { prerelease: true, makeLatest: 'true' });
    expect(published.prerelease).to.equal(true);
    expect(gh.state.repos[0]!.latestReleaseId).to.equal(undefined);
  });

  it('moveTag creates a missing tag and force-moves an existing one; deleteTag removes it', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const [c1, c2] = gh.state.repos[0]!.commits as [string, string];
    await store.moveTag('v0.1-test', c2);
    expect(await store.tagCommit('v0.1-test')).to.equal(c2);
    await store.moveTag('v0.1-test', c1); // backwards: needs force
    expect(gh.state.tagCommit(gh.state.repos[0]!, 'v0.1-test')).to.equal(c1);
    await store.deleteTag('v0.1-test');
    expect(await store.tagCommit('v0.1-test')).to.equal(undefined);
    await store.deleteTag('v0.1-test'); // already gone: not an error
  });

  it('deleteRelease removes a release and leaves its tag; listReleases pages through more than 100', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const commit = gh.state.repos[0]!.commits[0]!;
    for (let i = 0; i < 103; i++) await store.createDraft(draftRequest(`v0.0.${i}`, commit));
    const all = await store.listReleases();
    expect(all).to.have.length(103);
    expect(all[0]!.tag).to.equal('v0.0.102'); // newest first
    expect(await store.deleteRelease(all[0]!)).to.equal(true);
    expect(await findRelease(store, 'v0.0.102')).to.equal(undefined);
    // A release that is already gone (another run deleted it) is reported, not an error.
    expect(await store.deleteRelease(all[0]!)).to.equal(false);
    expect(gh.requests.filter((r) => r.route === 'repos/list-releases').length).to.be.greaterThan(2);
  });

  it("updateBody replaces a draft's body (krel's lease heartbeat)", async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const draft = await store.createDraft(draftRequest('v1.0', gh.state.repos[0]!.commits[0]!));
    await store.updateBody(draft, 'beat');
    expect(gh.state.repos[0]!.releases[0]!.body).to.equal('beat');
    expect(gh.state.repos[0]!.releases[0]!.draft).to.equal(true);
  });

  it('info reports the immutable-releases setting and write access', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    expect(await store.info()).to.deep.equal({
      description: 'github kontainapp/km',
      immutableReleases: false,
      canWrite: true,
    });
    gh.state.repos[0]!.immutableReleases = true;
    expect((await store.info()).immutableReleases).to.equal(true);
  });

  it('generateNotes returns GitHub generated notes for the commit', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const commit = gh.state.repos[0]!.commits[1]!;
    const notes = await store.generateNotes('v1.0', commit);
    expect(notes)
      .to.match(/What's Changed/)
      .and.to.include(commit.slice(0, 7));
  });

  it("a draft's asset cannot be downloaded without the token: download fails with the URL and 404", async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const draft = await store.createDraft(draftRequest('v1.0', gh.state.repos[0]!.commits[0]!));
    const asset = await store.uploadAsset(draft, await writeAsset(dir, 'a.tar.gz', 'a'));
    let failure: Error | undefined;
    await store.download(asset).catch((e: Error) => (failure = e));
    expect(failure?.message).to.equal(`download of ${asset.downloadUrl} failed: HTTP 404`);
  });

  it('a file that changed size since it was hashed is refused before any byte is sent', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const draft = await store.createDraft(draftRequest('v1.0', gh.state.repos[0]!.commits[0]!));
    const req = await writeAsset(dir, 'a.tar.gz', 'abc');
    let failure: Error | undefined;
    await store.uploadAsset(draft, { ...req, size: 10 }).catch((e: Error) => (failure = e));
    expect(failure?.message).to.equal(`${req.file} changed while publishing: 3 bytes, expected 10`);
    expect(gh.requests.filter((r) => r.listener === 'uploads')).to.deep.equal([]);
  });
});
