/**
 * Plans for `krel delete` and `krel prune`: pure functions over the store's releases. krel only deletes
 * disposable releases: tags that match a replace pattern of krel.json, unless --force.
 */
import { RefusedError } from '../errors/index.js';
import type { StoredRelease } from '../store/types.js';
import { tagMatches, tagRule } from '../tag/index.js';

/** One thing a delete or prune does, in the order it is done. */
export type CleanupAction =
  | { kind: 'delete-release'; tag: string; releaseId: string; url: string }
  | { kind: 'delete-tag'; tag: string };

export interface CleanupPlan {
  version: 1;
  kind: 'delete' | 'prune';
  store: string;
  actions: CleanupAction[];
  /** Tags that match but are kept (prune). */
  keep: string[];
}

function guard(tag: string, replace: readonly string[], force: boolean): void {
  if (!force && tagRule(tag, replace) === 'refuse') {
    throw new RefusedError(
      `${tag} matches no replace pattern (${replace.join(', ') || 'none'}): krel deletes only replaceable ` +
        'releases; add the pattern to release.replace in krel.json or pass --force',
    );
  }
}

export interface DeleteFacts {
  store: string;
  tag: string;
  /** The releases of the tag, and krel's drafts for it. */
  releases: StoredRelease[];
  tagCommit: string | undefined;
  withTag: boolean;
  replace: readonly string[];
  force: boolean;
}

export function buildDeletePlan(f: DeleteFacts): CleanupPlan {
  guard(f.tag, f.replace, f.force);
  const mine = f.releases;
  for (const r of mine) {
    if (r.immutable) throw new RefusedError(`release ${f.tag} is immutable and cannot be deleted`);
  }
  if (mine.length === 0 && !(f.withTag && f.tagCommit !== undefined)) {
    throw new RefusedError(
      `no release ${f.tag} in ${f.store}${f.withTag ? ' and no such tag' : ''}: nothing to delete`,
    );
  }
  const actions: CleanupAction[] = mine.map((r) => ({
    kind: 'delete-release',
    tag: f.tag,
    releaseId: r.id,
    url: r.url,
  }));
  if (f.withTag && f.tagCommit !== undefined) actions.push({ kind: 'delete-tag', tag: f.tag });
  return { version: 1, kind: 'delete', store: f.store, actions, keep: [] };
}

export interface PruneFacts {
  store: string;
  /** Every release, newest first. */
  releases: StoredRelease[];
  match: string;
  keep: number;
  withTag: boolean;
  replace: readonly string[];
  force: boolean;
}

export function buildPrunePlan(f: PruneFacts): CleanupPlan {
  const matching = f.releases.filter((r) => !r.draft && tagMatches(r.tag, f.match));
  const doomed = matching.slice(f.keep);
  for (const r of doomed) guard(r.tag, f.replace, f.force);
  for (const r of doomed) {
    if (r.immutable)
      throw new RefusedError(`release ${r.tag} is immutable and cannot be deleted: prune refused`);
  }
  return {
    version: 1,
    kind: 'prune',
    store: f.store,
    actions: doomed.flatMap((r): CleanupAction[] => [
      { kind: 'delete-release', tag: r.tag, releaseId: r.id, url: r.url },
      ...(f.withTag ? [{ kind: 'delete-tag' as const, tag: r.tag }] : []),
    ]),
    keep: matching.slice(0, f.keep).map((r) => r.tag),
  };
}
