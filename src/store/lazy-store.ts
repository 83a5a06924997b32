/**
 * A ReleaseStore whose implementation is imported on its first call. Opening a store is synchronous (the
 * release context hands one out on first use), but the GitHub store's modules (octokit, got, bottleneck) cost a
 * large part of krel's start-up, and the local store's proper-lockfile some; a command whose store is never called
 * (make, validate --dist) does not load them.
 * Every check that can fail when the store is opened stays in createStore, before this.
 */
import type { ReleaseStore } from './types.js';

export function lazyStore(kind: ReleaseStore['kind'], open: () => Promise<ReleaseStore>): ReleaseStore {
  let real: Promise<ReleaseStore> | undefined;
  const store = (): Promise<ReleaseStore> => (real ??= open());
  return {
    kind,
    info: async () => (await store()).info(),
    listReleases: async () => (await store()).listReleases(),
    tagCommit: async (tag) => (await store()).tagCommit(tag),
    generateNotes: async (tag, commit) => (await store()).generateNotes(tag, commit),
    createDraft: async (req) => (await store()).createDraft(req),
    listAssets: async (release) => (await store()).listAssets(release),
    uploadAsset: async (release, req) => (await store()).uploadAsset(release, req),
    deleteAsset: async (release, asset) => (await store()).deleteAsset(release, asset),
    deleteRelease: async (release) => (await store()).deleteRelease(release),
    updateBody: async (release, body) => (await store()).updateBody(release, body),
    moveTag: async (tag, commit) => (await store()).moveTag(tag, commit),
    deleteTag: async (tag) => (await store()).deleteTag(tag),
    publish: async (release, req) => (await store()).publish(release, req),
    download: async (asset, signal) => (await store()).download(asset, signal),
  };
}
