/**
 * The swap: delete the old release, publish the draft, move the tag. The only window in which no release of
 * the tag is visible.
 *
 * Why two or three runs of one tag at once end with exactly one published release whose tag and target agree:
 *  1. Right before the swap every run re-reads the tag (recheck) and stands down, deleting only its own draft,
 *     when the published release is not the one it planned to replace (another run got there first), or when
 *     another run holds a newer live draft (lease.ts: the later start wins, then the greater run id).
 *  2. Deleting the old release is done by id. The store says when it was already gone: then another run is
 *     mid-swap and this one stands down. Only one run can delete a given release, and a run deletes nothing
 *     but the release it planned to replace and its own draft — never another run's release or draft.
 *  3. The store publishes at most one release per tag (GitHub answers 422 already_exists; the dir store checks
 *     under its lock). So of the runs that reach publish, one wins; the others find the winner's release and
 *     stand down. The run that deleted the old release always goes on to publish, so a release exists at the end.
 *  4. The tag is moved only after a run's publish succeeded: a loser never touches it, so the winner's final
 *     move (and the check after it) leaves the tag at the winner's commit.
 */
import { ApplyError, RefusedError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredRelease } from '../store/types.js';
import { describeRival, draftHolder, outranks, type RunIdentity } from './lease.js';
import { isForTag, parseLease, parseMarker, withMarker } from './marker.js';
import type { PublishPlan } from './plan-types.js';

export interface SwapOptions {
  store: ReleaseStore;
  logger: Logger;
}

/** The releases of the tag and krel's drafts for it, as the store holds them now. */
async function readTag(store: ReleaseStore, tag: string): Promise<StoredRelease[]> {
  return (await store.listReleases()).filter((r) => isForTag(r, tag));
}

const publishedOf = (all: StoredRelease[], tag: string): StoredRelease[] =>
  all.filter((r) => !r.draft && r.tag === tag);

const describe = (r: StoredRelease): string => `${r.url} at ${r.targetCommitish}`;

/**
 * After a failure past the swap: the published release of the tag when it is no longer `ours` (a later run
 * replaced it, as a later publish of a replace tag may), else undefined.
 */
export async function supersededBy(
  store: ReleaseStore,
  tag: string,
  ours: StoredRelease,
): Promise<string | undefined> {
  const now = await readTag(store, tag).then(
    (all) => publishedOf(all, tag),
    () => [],
  );
  const other = now.find((r) => r.id !== ours.id);
  return other !== undefined && !now.some((r) => r.id === ours.id) ? describe(other) : undefined;
}

/** Delete this run's own draft if it still is this run's; say what happened to it. */
export async function discardOwnDraft(
  store: ReleaseStore,
  draft: StoredRelease,
  run: RunIdentity,
): Promise<string> {
  try {
    const now = (await store.listReleases()).find((r) => r.id === draft.id);
    if (now === undefined) return `its draft ${draft.id} is gone`;
    if (draftHolder(now, run, Date.now()) !== 'mine')
      return `its draft ${draft.id} was taken over by another run and left alone`;
    await store.deleteRelease(now);
    return `the draft ${draft.id} was deleted`;
  } catch (e) {
    return `the draft ${draft.id} could not be deleted (${errorMessage(e)}): a rerun resumes it`;
  }
}

/** Mark the draft as given up, so a rerun may resume it at once (best effort: the lease expires anyway). */
async function releaseLease(store: ReleaseStore, draft: StoredRelease): Promise<void> {
  const marker = parseMarker(draft.body);
  const lease = parseLease(draft.body);
  if (marker === undefined || lease === undefined) return;
  await store.updateBody(draft, withMarker(draft.body, marker, { ...lease, released: true })).catch(() => {});
}

/** Why this run must stand down before the swap, or undefined when it may go on. */
function rivalry(plan: PublishPlan, draft: StoredRelease, all: StoredRelease[]): string | undefined {
  const now = Date.now();
  const mine = all.find((r) => r.id === draft.id);
  if (mine === undefined || draftHolder(mine, plan.run, now) !== 'mine')
    return `its draft ${draft.id} was deleted or taken over by another run`;
  const published = publishedOf(all, plan.tag)[0];
  if (published?.id !== plan.existing?.id) {
    return published === undefined
      ? `another run deleted the old release ${plan.existing?.id ?? ''} of ${plan.tag} and is replacing it`
      : `another run published ${plan.tag} first (${describe(published)})`;
  }
  const myLease = parseLease(mine.body)!;
  const newer = all.find((r) => {
    if (!r.draft || r.id === draft.id || draftHolder(r, plan.run, now) !== 'live') return false;
    const lease = parseLease(r.body);
    return lease !== undefined && outranks(lease, myLease);
  });
  return newer === undefined
    ? undefined
    : `a newer krel publish of ${plan.tag} is under way (${describeRival(newer)})`;
}

/** Stand down: delete our own draft (only), then fail with one line that says so. */
async function standDown(
  plan: PublishPlan,
  draft: StoredRelease,
  o: SwapOptions,
  why: string,
  deletedOld: boolean,
): Promise<never> {
  const left = await discardOwnDraft(o.store, draft, plan.run);
  const msg = `${why}: this run stood down (${deletedOld ? `it had deleted the old release ${plan.existing?.id}, ` : ''}${left}; nothing of the other run was touched)`;
  throw deletedOld ? new ApplyError(msg) : new RefusedError(msg);
}

/** What the swap actions of one run have seen and done so far (apply keeps one per run). */
export interface SwapState {
  /** The tag's releases as the recheck read them. */
  seen?: StoredRelease[];
  /** The old release was deleted by this run. */
  deletedOld: boolean;
  /** What is done, for the message of a failure part-way. */
  done: string[];
}

export const newSwapState = (): SwapState => ({ deletedOld: false, done: [] });

/** A failure inside the swap: give the lease up (a rerun may resume at once) and say what state is left. */
async function swapFailed(
  draft: StoredRelease,
  o: SwapOptions,
  s: SwapState,
  what: string,
  e: unknown,
): Promise<ApplyError> {
  await releaseLease(o.store, draft);
  return new ApplyError(
    `${what} failed: ${errorMessage(e)}. State: ${s.done.length > 0 ? s.done.join(', ') + ', ' : ''}` +
      `draft ${draft.id} complete but not published: rerun to finish`,
    { cause: e },
  );
}

/** The recheck action (point 1 above): stand down unless the tag is as planned and no newer run is live. */
export async function recheck(
  plan: PublishPlan,
  draft: StoredRelease,
  o: SwapOptions,
  s: SwapState,
): Promise<void> {
  const all = await readTag(o.store, plan.tag);
  const why = rivalry(plan, draft, all);
  if (why !== undefined) return standDown(plan, draft, o, why, false);
  s.seen = all;
}

/** The delete-old action (point 2): delete the planned old release by id; stand down when it is gone. */
export async function deleteOld(
  plan: PublishPlan,
  releaseId: string,
  draft: StoredRelease,
  o: SwapOptions,
  s: SwapState,
): Promise<void> {
  const all = s.seen ?? (await readTag(o.store, plan.tag));
  const old = publishedOf(all, plan.tag).find((r) => r.id === releaseId);
  const goneFirst = `another run deleted the old release ${releaseId} of ${plan.tag} first`;
  if (old === undefined) return standDown(plan, draft, o, goneFirst, false);
  let deleted: boolean;
  try {
    deleted = await o.store.deleteRelease(old);
  } catch (e) {
    throw await swapFailed(draft, o, s, `deleting the old release ${old.id}`, e);
  }
  if (!deleted) return standDown(plan, draft, o, goneFirst, false);
  s.deletedOld = true;
  s.done.push(`old release ${old.id} deleted`);
  o.logger.info(`deleted the old release ${old.id}`);
}

/** The publish action (point 3): publish the draft; when another run published first, stand down. */
export async function publishDraft(
  plan: PublishPlan,
  a: { prerelease: boolean; makeLatest: 'true' | 'false' | 'legacy' },
  draft: StoredRelease,
  o: SwapOptions,
  s: SwapState,
): Promise<StoredRelease> {
  const { store, logger } = o;
  const tag = plan.tag;
  let published: StoredRelease;
  try {
    published = await store.publish(draft, { tag, prerelease: a.prerelease, makeLatest: a.makeLatest });
  } catch (e) {
    const winner = await readTag(store, tag).then(
      (now) => publishedOf(now, tag).find((r) => r.id !== draft.id),
      () => undefined,
    );
    if (winner !== undefined)
      return standDown(
        plan,
        draft,
        o,
        `another run published ${tag} first (${describe(winner)})`,
        s.deletedOld,
      );
    throw await swapFailed(draft, o, s, `publishing draft ${draft.id}`, e);
  }
  logger.info(`published ${published.url}`);
  return published;
}

/**
 * The move-tag action (point 4), after publishing: the tag goes to our commit, then we check that our release is
 * the one published release of the tag and that the tag points at its commit (moving it once more if it does
 * not). When the plan has no move-tag (the tag was at our commit already), the publish is followed by this
 * check alone, which moves the tag only if another run moved it meanwhile.
 */
export async function settleTag(
  plan: PublishPlan,
  to: string,
  published: StoredRelease,
  o: SwapOptions,
): Promise<void> {
  const { store, logger } = o;
  const tag = plan.tag;
  const moveFailed = (e: unknown): ApplyError =>
    new ApplyError(
      `published ${published.url}, but moving tag ${tag} to ${to} failed: ${errorMessage(e)}; ` +
        `move the tag by hand or rerun`,
      { cause: e },
    );
  for (let attempt = 1; ; attempt++) {
    let at: string | undefined;
    try {
      at = await store.tagCommit(tag);
      if (at !== to) {
        await store.moveTag(tag, to);
        logger.info(`tag ${tag} -> ${to}${at === undefined ? '' : ` (was ${at})`}`);
      }
    } catch (e) {
      throw moveFailed(e);
    }
    const now = publishedOf(await readTag(store, tag), tag);
    if (now.length > 1)
      throw new ApplyError(
        `published ${published.url}, but ${tag} now has ${now.length} published releases (${now.map((r) => r.id).join(', ')}): delete the wrong one`,
      );
    if (now[0]?.id !== published.id) {
      throw new ApplyError(
        `published ${published.url}, but it was superseded: another run has replaced it since${now[0] ? ` (${describe(now[0])})` : ''}`,
      );
    }
    const final = await store.tagCommit(tag);
    if (final === to) return;
    if (attempt >= 3)
      throw new ApplyError(
        `published ${published.url}, but tag ${tag} keeps moving (now at ${final ?? 'nothing'}, not ${to})`,
      );
  }
}
