/** The release of a tag as a test reads it back: the published one, else a draft of that tag. */
import type { ReleaseStore, StoredRelease } from '../../src/store/types.js';

export async function findRelease(store: ReleaseStore, tag: string): Promise<StoredRelease | undefined> {
  const all = (await store.listReleases()).filter((r) => r.tag === tag);
  return all.find((r) => !r.draft) ?? all[0];
}
