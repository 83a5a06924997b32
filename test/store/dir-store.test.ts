import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';
import { createDirStore } from '../../src/store/dir-store.js';
import { findRelease } from '../support/find-release.js';
import type { ReleaseStore, UploadRequest } from '../../src/store/types.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('local release store (dir)', () => {
  let root: string;
  let store: ReleaseStore;
  let src: string;
  const download = (...p: string[]): string => path.join(root, 'kontainapp/km/releases/download', ...p);
  const file = (name: string, content: string): UploadRequest => {
    const f = path.join(src, name);
    writeFileSync(f, content);
    return { name, file: f, size: content.length, sha256: sha(content), contentType: 'application/gzip' };
  };
  const draftReq = {
    tag: 'krel-draft/v1.0',
    commit: 'a'.repeat(40),
    name: 'v1.0',
    body: 'b',
    prerelease: false,
  };

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'krel-dir-store-'));
    src = mkdtempSync(path.join(tmpdir(), 'krel-dir-src-'));
    store = createDirStore({ root, repo: 'kontainapp/km' });
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(src, { recursive: true, force: true });
  });

  it('a draft is a hidden directory; its assets are not at the release URL until it is published', async () => {
    const draft = await store.createDraft(draftReq);
    expect(readdirSync(download())).to.deep.equal([`.draft-${draft.id}`]);
    const a = await store.uploadAsset(draft, file('kontain.tar.gz', 'core\n'));
    expect(a).to.include({
      name: 'kontain.tar.gz',
      size: 5,
      state: 'uploaded',
      digest: `sha256:${sha('core\n')}`,
    });
    expect(existsSync(download('v1.0'))).to.equal(false);
    const rel = await store.publish(draft, { tag: 'v1.0', prerelease: false, makeLatest: 'true' });
    expect(rel).to.include({ tag: 'v1.0', draft: false, id: draft.id });
    expect(readdirSync(download())).to.deep.equal(['v1.0']);
    expect(readFileSync(download('v1.0', 'kontain.tar.gz'), 'utf8')).to.equal('core\n');
    const [asset] = await store.listAssets(rel);
    expect(fileURLToPath(asset!.downloadUrl)).to.equal(download('v1.0', 'kontain.tar.gz'));
    expect(await text(await store.download(asset!))).to.equal('core\n');
  });

  it('an interrupted upload shows as a starter asset, and deleteAsset clears it', async () => {
    const draft = await store.createDraft(draftReq);
    const ctl = new AbortController();
    ctl.abort(new Error('stop'));
    const req = file('big.bin', 'x'.repeat(1 << 20));
    let failed = false;
    await store.uploadAsset(draft, { ...req, signal: ctl.signal }).catch(() => (failed = true));
    expect(failed).to.equal(true);
    writeFileSync(download(`.draft-${draft.id}`, '.upload', 'big.bin'), 'partial');
    const assets = await store.listAssets(draft);
    expect(assets.map((a) => [a.name, a.state])).to.deep.equal([['big.bin', 'starter']]);
    await store.deleteAsset(draft, assets[0]!);
    expect(await store.listAssets(draft)).to.deep.equal([]);
  });

  it('uploading a name that is already there fails like GitHub already_exists', async () => {
    const draft = await store.createDraft(draftReq);
    await store.uploadAsset(draft, file('a.bin', '1'));
    let message = '';
    await store.uploadAsset(draft, file('a.bin', '1')).catch((e: Error) => (message = e.message));
    expect(message).to.match(/already exists/);
  });

  it('publishing over an existing release of the tag is refused; deleting it first works', async () => {
    const first = await store.createDraft(draftReq);
    const old = await store.publish(first, { tag: 'v1.0', prerelease: false, makeLatest: 'true' });
    const second = await store.createDraft(draftReq);
    let message = '';
    await store
      .publish(second, { tag: 'v1.0', prerelease: false, makeLatest: 'true' })
      .catch((e: Error) => (message = e.message));
    expect(message).to.match(/already exists/);
    await store.deleteRelease(old);
    const rel = await store.publish(second, { tag: 'v1.0', prerelease: false, makeLatest: 'true' });
    expect(rel.id).to.equal(second.id);
    expect(readdirSync(download())).to.deep.equal(['v1.0']);
  });

  it('deleting a release another process already deleted and replaced reports it gone and leaves the newcomer', async () => {
    const old = await store.publish(await store.createDraft(draftReq), {
      tag: 'v1.0',
      prerelease: false,
      makeLatest: 'true',
    });
    // Another process: delete the old release and publish its own under the same tag.
    const other = createDirStore({ root, repo: 'kontainapp/km' });
    expect(await other.deleteRelease(old)).to.equal(true);
    const newcomer = await other.publish(await other.createDraft(draftReq), {
      tag: 'v1.0',
      prerelease: false,
      makeLatest: 'true',
    });
    expect(await store.deleteRelease(old)).to.equal(false);
    expect((await findRelease(store, 'v1.0'))?.id).to.equal(newcomer.id);
  });

  it("updateBody rewrites a draft's body and the store's lock is released after each change", async () => {
    const draft = await store.createDraft(draftReq);
    await store.updateBody(draft, 'new body');
    await store.updateBody(draft, 'newer body');
    expect((await store.listReleases())[0]!.body).to.equal('newer body');
    expect(existsSync(path.join(root, 'kontainapp/km/.krel.lock'))).to.equal(false);
  });

  it('tags live in refs/tags and move atomically; listReleases is newest first, drafts included', async () => {
    expect(await store.tagCommit('v1.0')).to.equal(undefined);
    await store.moveTag('v1.0', 'b'.repeat(40));
    await store.moveTag('v1.0', 'c'.repeat(40));
    expect(await store.tagCommit('v1.0')).to.equal('c'.repeat(40));
    expect(readFileSync(path.join(root, 'kontainapp/km/refs/tags/v1.0'), 'utf8')).to.equal(
      `${'c'.repeat(40)}\n`,
    );
    await store.deleteTag('v1.0');
    expect(await store.tagCommit('v1.0')).to.equal(undefined);
    const a = await store.createDraft(draftReq);
    await store.publish(a, { tag: 'v1.0', prerelease: false, makeLatest: 'true' });
    await new Promise((r) => setTimeout(r, 5));
    const b = await store.createDraft({ ...draftReq, tag: 'krel-draft/v2.0' });
    expect((await store.listReleases()).map((r) => [r.id, r.draft])).to.deep.equal([
      [b.id, true],
      [a.id, false],
    ]);
  });

  it('info reports the immutable-releases setting from settings.json and write access', async () => {
    expect(await store.info()).to.deep.include({ immutableReleases: false, canWrite: true });
    const settings = path.join(root, 'kontainapp/km/settings.json');
    await store.moveTag('v0', 'd'.repeat(40)); // creates the repo directory
    writeFileSync(settings, JSON.stringify({ immutableReleases: true }));
    expect((await store.info()).immutableReleases).to.equal(true);
  });

  it('asset names with a path or a leading dot are refused', async () => {
    const draft = await store.createDraft(draftReq);
    for (const name of ['../x', '.krel-release.json']) {
      let message = '';
      await store.uploadAsset(draft, { ...file('ok', '1'), name }).catch((e: Error) => (message = e.message));
      expect(message, name).to.match(/asset name/);
    }
  });
});
