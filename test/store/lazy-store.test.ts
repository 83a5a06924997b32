import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { KrelConfig } from '../../src/config/types.js';
import { RefusedError, UsageError } from '../../src/errors/index.js';
import { Logger } from '../../src/log/logger.js';
import { createStore } from '../../src/store/index.js';
import { lazyStore } from '../../src/store/lazy-store.js';
import type { ReleaseStore, StoredRelease } from '../../src/store/types.js';

const release: StoredRelease = {
  id: '7',
  tag: 'v1.0',
  name: 'v1.0',
  draft: true,
  prerelease: false,
  immutable: false,
  targetCommitish: 'a'.repeat(40),
  body: '',
  url: 'https://example.invalid/r/7',
  assets: [],
};

/** A store whose every method records its call and answers with what it was given. */
function recordingStore(calls: string[]): ReleaseStore {
  const fail = (): never => {
    throw new Error('not used by this test');
  };
  return {
    kind: 'dir',
    info: fail,
    listReleases: () => (calls.push('listReleases'), Promise.resolve([release])),
    tagCommit: (tag) => (calls.push(`tagCommit ${tag}`), Promise.resolve(`sha-of-${tag}`)),
    generateNotes: fail,
    createDraft: fail,
    listAssets: fail,
    uploadAsset: fail,
    deleteAsset: fail,
    deleteRelease: (r) => (calls.push(`deleteRelease ${r.id}`), Promise.resolve(true)),
    updateBody: (r, body) => (calls.push(`updateBody ${r.id} ${body}`), Promise.resolve()),
    moveTag: fail,
    deleteTag: fail,
    publish: fail,
    download: fail,
  };
}

describe('lazy release store', () => {
  it('opens its implementation on the first call, once, and forwards every argument and answer', async () => {
    const calls: string[] = [];
    let opened = 0;
    const store = lazyStore('dir', () => {
      opened++;
      return Promise.resolve(recordingStore(calls));
    });
    expect(store.kind).to.equal('dir');
    expect(opened).to.equal(0);
    const [tags, releases] = await Promise.all([store.tagCommit('v1.0'), store.listReleases()]);
    expect(tags).to.equal('sha-of-v1.0');
    expect(releases).to.deep.equal([release]);
    expect(await store.deleteRelease(release)).to.equal(true);
    await store.updateBody(release, 'lease');
    expect(opened).to.equal(1);
    expect(calls).to.deep.equal(['tagCommit v1.0', 'listReleases', 'deleteRelease 7', 'updateBody 7 lease']);
  });

  it('a store that cannot be opened fails the call that needed it', async () => {
    const store = lazyStore('github', () => Promise.reject(new Error('no octokit')));
    let failed: unknown;
    await store.listReleases().catch((e: unknown) => (failed = e));
    expect(failed).to.be.instanceOf(Error).with.property('message', 'no octokit');
  });
});

describe('createStore: the checks of opening a store run when it is opened, its modules on first use', () => {
  const config = { file: '/x/krel.json' } as KrelConfig;
  const logger = new Logger({ ci: 'none', quiet: true });

  it('github without a token is refused at once', () => {
    expect(() =>
      createStore({ config, spec: { kind: 'github' }, repo: 'kontainapp/km', env: {}, logger }),
    ).to.throw(RefusedError, /no GitHub token/);
  });

  it('github with a bad GITHUB_API_URL is a usage error at once', () => {
    const env = { GITHUB_TOKEN: 't', GITHUB_API_URL: 'ftp://example.invalid' };
    expect(() =>
      createStore({ config, spec: { kind: 'github' }, repo: 'kontainapp/km', env, logger }),
    ).to.throw(UsageError, /GITHUB_API_URL must be an http or https URL/);
  });

  it('a dir store of a repository that cannot name a path is a usage error at once', () => {
    expect(() =>
      createStore({ config, spec: { kind: 'dir', root: '/tmp/x' }, repo: 'kontainapp/..', env: {}, logger }),
    ).to.throw(UsageError, /repository/);
  });

  it('a dir store works through the lazy wrapper', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'krel-lazy-store-'));
    try {
      const store = createStore({
        config,
        spec: { kind: 'dir', root },
        repo: 'kontainapp/km',
        env: {},
        logger,
      });
      expect(store.kind).to.equal('dir');
      expect(await store.listReleases()).to.deep.equal([]);
      expect((await store.info()).description).to.equal(`dir ${path.join(root, 'kontainapp/km')}`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
