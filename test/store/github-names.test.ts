/**
 * Names in the URLs krel builds: every path segment that carries a tag, an asset name, an owner or a repo is
 * percent-encoded, so a name reaches GitHub as itself and never as another name (or a fragment, or a query).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { expect } from 'chai';
import { refPath } from '../../src/store/github-api.js';
import { findRelease } from '../support/find-release.js';
import {
  draftRequest,
  emulatorStore,
  useGitHubEmulator,
  writeAsset,
} from '../support/github-emulator/testing.js';

describe('names in GitHub URLs', () => {
  const emu = useGitHubEmulator({ repos: [{ owner: 'kontain-app', repo: 'km.rel_1' }] });
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'krel-gh-names-'))));
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  /** The paths of the git ref reads, moves and deletes since request number `from`. */
  const refPaths = (from: number) =>
    emu.gh.requests
      .slice(from)
      .filter((r) => /^git\/(get|update|delete)-ref$/.test(r.route ?? ''))
      .map((r) => r.url);

  it('refPath encodes each segment of a ref and keeps the slashes between them', () => {
    expect(refPath('tags/v1.0+build.5')).to.equal('tags/v1.0%2Bbuild.5');
    expect(refPath('tags/v1#x/ü%41?')).to.equal('tags/v1%23x/%C3%BC%2541%3F');
  });

  it('a tag with + or unicode round-trips through create, read, move and delete, sent percent-encoded', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const [c1, c2] = gh.state.repos[0]!.commits as [string, string];
    for (const [tag, encoded] of [
      ['v1.0+build.5', 'v1.0%2Bbuild.5'],
      ['v1.0-ünï/cödé', 'v1.0-%C3%BCn%C3%AF/c%C3%B6d%C3%A9'],
    ] as const) {
      const from = gh.requests.length;
      await store.moveTag(tag, c1);
      expect(gh.state.repos[0]!.refs.get(`refs/tags/${tag}`), tag).to.equal(c1);
      expect(await store.tagCommit(tag)).to.equal(c1);
      await store.moveTag(tag, c2);
      expect(await store.tagCommit(tag)).to.equal(c2);
      await store.deleteTag(tag);
      expect(gh.state.repos[0]!.refs.has(`refs/tags/${tag}`), tag).to.equal(false);
      const paths = refPaths(from);
      expect(paths, tag).to.have.length.at.least(4);
      for (const p of paths) expect(p, tag).to.include(`/tags/${encoded}`);
    }
  });

  it('deleting or moving tag v1.0#x-daily or v1%2e0 touches that tag, never v1.0', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const [c1, c2] = gh.state.repos[0]!.commits as [string, string];
    const refs = gh.state.repos[0]!.refs;
    await store.moveTag('v1.0', c1);
    for (const tag of ['v1.0#x-daily', 'v1%2e0', 'v1.0?x']) {
      await store.moveTag(tag, c1);
      await store.moveTag(tag, c2);
      expect(refs.get(`refs/tags/${tag}`), tag).to.equal(c2);
      expect(await store.tagCommit(tag), tag).to.equal(c2);
      await store.deleteTag(tag);
      expect(refs.has(`refs/tags/${tag}`), tag).to.equal(false);
      expect(refs.get('refs/tags/v1.0'), `after ${tag}`).to.equal(c1);
    }
  });

  it('a release of a tag with + and an asset named with + are found and downloaded as themselves', async () => {
    const { gh } = emu;
    const store = emulatorStore(gh);
    const commit = gh.state.repos[0]!.commits[0]!;
    const tag = 'v2.0+meta.1';
    const draft = await store.createDraft(draftRequest(tag, commit));
    await store.uploadAsset(draft, await writeAsset(dir, 'kontain+x.1.tar.gz', 'plus bytes\n'));
    const published = await store.publish(draft, { prerelease: false, makeLatest: 'true' });
    expect(published.tag).to.equal(tag);
    expect((await findRelease(store, tag))?.id).to.equal(published.id);
    expect(published.assets.map((a) => a.name)).to.deep.equal(['kontain+x.1.tar.gz']);
    expect(await text(await store.download(published.assets[0]!))).to.equal('plus bytes\n');
    const upload = gh.requests.find((r) => r.route === 'repos/upload-release-asset')!;
    expect(new URL(upload.url, 'http://x').searchParams.get('name')).to.equal('kontain+x.1.tar.gz');
    const repoPaths = gh.requests.filter((r) => r.listener === 'api').map((r) => r.url);
    for (const p of repoPaths) expect(p).to.match(/^\/repos\/kontain-app\/km\.rel_1\//);
  });
});
