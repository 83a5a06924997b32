/**
 * applyPublishPlan: run a publish plan's actions in order, each kind by one case of a switch, and nothing else.
 * Draft (leased to this run, lease.ts), upload + verify every asset, then the swap (swap.ts: recheck, delete the
 * old release, publish, move the tag) and check the public downloads.
 * Nothing half-done is visible: any failure before the swap deletes the draft and leaves the old release as it
 * was; a failure after the swap says exactly what state is left and that a rerun finishes it.
 */
import path from 'node:path';
import { ApplyError, InterruptedError, RefusedError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import type { ReleaseStore, StoredAsset, StoredRelease } from '../store/types.js';
import { mapLimit } from '../util/concurrency.js';
import { leasedBody, startHeartbeat } from './heartbeat.js';
import { draftHolder } from './lease.js';
import { draftTagName } from './marker.js';
import type { PlanAsset, PublishPlan, PublishPlanAction } from './plan-types.js';
import { refusalError } from './plan.js';
import type { RetryOptions } from '../util/retry.js';
import {
  deleteOld,
  discardOwnDraft,
  newSwapState,
  publishDraft,
  recheck,
  settleTag,
  supersededBy,
  type SwapState,
} from './swap.js';
import { uploadProblem, uploadVerified } from './upload.js';
import { verifyDownload } from './verify.js';

export interface ApplyPublishOptions {
  store: ReleaseStore;
  logger: Logger;
  signal: AbortSignal;
  concurrency: number;
  verifyRetry?: RetryOptions;
  progress?: boolean;
}

export interface PublishResult {
  url: string;
  id: string;
  tag: string;
  action: 'create' | 'replace';
  assets: { name: string; size: number; sha256: string; url: string }[];
  /** The plan's actions carried out, in order. */
  done: PublishPlanAction[];
}

const VERIFY_RETRY: RetryOptions = { attempts: 5, baseMs: 500 };

type ActionOf<K extends PublishPlanAction['kind']> = Extract<PublishPlanAction, { kind: K }>;

/** The logged section an action runs in; consecutive actions of one section share it. */
type Section = 'draft' | 'upload' | 'publish' | 'verify';
const SECTION: Record<PublishPlanAction['kind'], Section> = {
  'delete-stale-draft': 'draft',
  'create-draft': 'draft',
  'resume-draft': 'draft',
  'delete-asset': 'upload',
  'keep-asset': 'upload',
  upload: 'upload',
  recheck: 'publish',
  'delete-old': 'publish',
  publish: 'publish',
  'move-tag': 'publish',
  'verify-download': 'verify',
};

/** One run of a plan: what its actions have made so far. */
interface Run {
  plan: PublishPlan;
  o: ApplyPublishOptions;
  draft?: StoredRelease;
  stopHeartbeat: () => Promise<void>;
  swap: SwapState;
  published?: StoredRelease;
  publishedAssets?: StoredAsset[];
  verified: PublishResult['assets'];
  done: PublishPlanAction[];
}

async function releaseById(store: ReleaseStore, id: string): Promise<StoredRelease | undefined> {
  return (await store.listReleases()).find((x) => x.id === id);
}

function draftOf(r: Run, a: PublishPlanAction): StoredRelease {
  if (r.draft === undefined) throw new Error(`plan action ${a.kind} comes before a draft`);
  return r.draft;
}

function publishedOf(r: Run, a: PublishPlanAction): StoredRelease {
  if (r.published === undefined) throw new Error(`plan action ${a.kind} comes before publish`);
  return r.published;
}

function assetOf(plan: PublishPlan, name: string): PlanAsset {
  const a = plan.assets.find((x) => x.name === name);
  if (a === undefined) throw new Error(`plan action names unknown asset ${name}`);
  return a;
}

function holdDraft(r: Run, draft: StoredRelease): void {
  r.draft = draft;
  r.stopHeartbeat = startHeartbeat(
    r.o.store,
    draft,
    { tag: r.plan.tag, commit: r.plan.commit },
    r.plan.run,
    r.o.logger,
  );
}

async function deleteStaleDraft(r: Run, a: ActionOf<'delete-stale-draft'>): Promise<void> {
  const { store, logger } = r.o;
  // Stale when planned; still stale now? (Another rerun may have resumed it since.)
  const found = await releaseById(store, a.releaseId);
  if (found === undefined || draftHolder(found, r.plan.run, Date.now()) !== 'stale') {
    logger.info(`krel's draft ${a.releaseId} is gone or in use again: left alone`);
    return;
  }
  logger.info(`deleting krel's stale draft ${a.releaseId} (commit ${a.commit})`);
  await store.deleteRelease(found);
}

async function resumeDraft(r: Run, a: ActionOf<'resume-draft'>): Promise<StoredRelease> {
  const { store, logger } = r.o;
  const { plan } = r;
  const found = await releaseById(store, a.releaseId);
  if (found === undefined || draftHolder(found, plan.run, Date.now()) !== 'stale')
    throw new RefusedError(
      `krel's abandoned draft ${a.releaseId} of ${plan.tag} was deleted or resumed by another run meanwhile: rerun`,
    );
  // Take the draft over: our lease in its body, then read back that the lease is ours (last writer wins).
  await store.updateBody(found, leasedBody(found.body, { tag: plan.tag, commit: plan.commit }, plan.run));
  const draft = await releaseById(store, a.releaseId);
  if (draft === undefined || draftHolder(draft, plan.run, Date.now()) !== 'mine')
    throw new RefusedError(
      `another run resumed krel's draft ${a.releaseId} of ${plan.tag} first: rerun later`,
    );
  logger.info(`resuming krel's draft ${draft.id}`);
  return draft;
}

async function createDraft(r: Run, a: ActionOf<'create-draft'>): Promise<StoredRelease> {
  const { store, logger } = r.o;
  const { plan } = r;
  let body = plan.notes.body;
  if (plan.notes.source === 'generate') {
    try {
      body = (await store.generateNotes(plan.tag, a.commit)) ?? body;
    } catch (e) {
      logger.warn(`could not generate release notes (${errorMessage(e)}); using the asset list`);
    }
  }
  const draft = await store.createDraft({
    tag: draftTagName(plan.tag),
    commit: a.commit,
    name: plan.tag,
    body: leasedBody(body, { tag: plan.tag, commit: a.commit }, plan.run),
    prerelease: plan.flags.prerelease,
  });
  logger.info(`created draft ${draft.id} pinned to ${a.commit} (run ${plan.run.id})`);
  return draft;
}

async function deleteDraftAsset(r: Run, a: ActionOf<'delete-asset'>, draft: StoredRelease): Promise<void> {
  const { store, logger } = r.o;
  for (const x of (await store.listAssets(draft)).filter((x) => x.name === a.name)) {
    logger.info(`deleting draft asset ${x.name} (${a.reason})`);
    await store.deleteAsset(draft, x);
  }
}

/** Consecutive upload actions, at most `concurrency` at once; the first failure stops the others. */
async function uploadAll(r: Run, uploads: ActionOf<'upload'>[], draft: StoredRelease): Promise<void> {
  const { store, logger } = r.o;
  const inner = new AbortController();
  const signal = AbortSignal.any([r.o.signal, inner.signal]);
  const progress = createProgress(logger, { enabled: r.o.progress ?? true });
  try {
    await mapLimit(uploads, r.o.concurrency, async (u) => {
      const a = assetOf(r.plan, u.name);
      const bar = progress.item(a.name, a.size);
      try {
        await uploadVerified(
          {
            store,
            draft,
            file: path.join(r.plan.dist, a.name),
            logger,
            signal,
            onProgress: (n) => bar.tick(n),
          },
          a,
        );
        bar.done();
        logger.info(`${a.name}: uploaded, sha256 verified`);
      } catch (e) {
        inner.abort(e);
        throw e;
      }
    });
  } finally {
    progress.stop();
  }
}

/** After the uploads: the draft as the store sees it now must hold every asset, verified. */
async function checkDraftAssets(r: Run, draft: StoredRelease): Promise<void> {
  const now = await r.o.store.listAssets(draft);
  for (const a of r.plan.assets) {
    const got = now.find((x) => x.name === a.name);
    const problem = got === undefined ? 'missing' : uploadProblem(got, a);
    if (problem !== undefined)
      throw new ApplyError(`draft asset ${a.name} is not right after upload: ${problem}`);
  }
}

async function verifyPublished(
  r: Run,
  a: ActionOf<'verify-download'>,
  published: StoredRelease,
): Promise<void> {
  const { store, logger } = r.o;
  const want = assetOf(r.plan, a.name);
  r.publishedAssets ??= await store.listAssets(published);
  const got = r.publishedAssets.find((x) => x.name === want.name);
  if (got === undefined) throw new ApplyError(`published release ${published.url} has no asset ${want.name}`);
  try {
    await verifyDownload(store, got, want, {
      logger,
      retry: r.o.verifyRetry ?? VERIFY_RETRY,
      signal: r.o.signal,
    });
  } catch (e) {
    if (r.o.signal.aborted)
      throw new InterruptedError(`interrupted while checking downloads; ${published.url} is published`);
    const other = await supersededBy(store, r.plan.tag, published);
    if (other !== undefined)
      throw new ApplyError(
        `published ${published.url}, but another run replaced it since (${other}): this run's release is superseded and nothing of the other run was touched`,
        { cause: e },
      );
    throw new ApplyError(`published ${published.url}, but ${errorMessage(e)}`, { cause: e });
  }
  logger.info(`${want.name}: public download matches sha256`);
  r.verified.push({ name: want.name, size: want.size, sha256: want.sha256, url: got.downloadUrl });
}

/** Carry out a run of actions, each by its kind; consecutive uploads go together. */
async function runActions(r: Run, actions: PublishPlanAction[]): Promise<void> {
  const { plan, o } = r;
  for (let i = 0; i < actions.length;) {
    const a = actions[i]!;
    switch (a.kind) {
      case 'delete-stale-draft':
        await deleteStaleDraft(r, a);
        break;
      case 'create-draft':
        holdDraft(r, await createDraft(r, a));
        break;
      case 'resume-draft':
        holdDraft(r, await resumeDraft(r, a));
        break;
      case 'delete-asset':
        await deleteDraftAsset(r, a, draftOf(r, a));
        break;
      case 'keep-asset':
        o.logger.info(`${a.name}: already uploaded, digest matches`);
        break;
      case 'upload': {
        let end = i;
        while (actions[end]?.kind === 'upload') end++;
        const uploads = actions.slice(i, end) as ActionOf<'upload'>[];
        await uploadAll(r, uploads, draftOf(r, a));
        r.done.push(...uploads);
        i = end;
        continue;
      }
      case 'recheck':
        await recheck(plan, draftOf(r, a), o, r.swap);
        break;
      case 'delete-old':
        await deleteOld(plan, a.releaseId, draftOf(r, a), o, r.swap);
        break;
      case 'publish':
        r.published = await publishDraft(plan, a, draftOf(r, a), o, r.swap);
        // No move-tag planned (the tag was at our commit): still check that the publish holds.
        if (!plan.actions.some((x) => x.kind === 'move-tag'))
          await settleTag(plan, plan.commit, r.published, o);
        break;
      case 'move-tag':
        await settleTag(plan, a.to, publishedOf(r, a), o);
        break;
      case 'verify-download':
        await verifyPublished(r, a, publishedOf(r, a));
        break;
      default: {
        const unknown: never = a;
        throw new Error(`unknown publish plan action ${JSON.stringify(unknown)}`);
      }
    }
    r.done.push(a);
    i++;
  }
}

/** Before the swap: a failure deletes this run's own draft and leaves the old release as it was. */
async function beforeSwap(r: Run, work: () => Promise<void>): Promise<void> {
  const { plan, o } = r;
  try {
    await work();
    o.signal.throwIfAborted();
  } catch (e) {
    await r.stopHeartbeat();
    if (e instanceof RefusedError && r.draft === undefined) throw e;
    const left =
      r.draft === undefined ? 'no draft was created' : await discardOwnDraft(o.store, r.draft, plan.run);
    const old = plan.existing ? `the old release ${plan.existing.id} is untouched` : 'nothing was published';
    if (o.signal.aborted) throw new InterruptedError(`interrupted: uploads stopped, ${left}, ${old}`);
    throw new ApplyError(`${errorMessage(e)}; ${old}, ${left}`, { cause: e });
  }
}

export async function applyPublishPlan(plan: PublishPlan, o: ApplyPublishOptions): Promise<PublishResult> {
  if (plan.action === 'refuse') {
    throw refusalError(plan);
  }
  const r: Run = {
    plan,
    o,
    stopHeartbeat: () => Promise.resolve(),
    swap: newSwapState(),
    verified: [],
    done: [],
  };
  const { actions } = plan;
  // One section per run of consecutive actions of one section kind (draft, upload, publish, verify).
  for (let i = 0; i < actions.length;) {
    const section = SECTION[actions[i]!.kind];
    let end = i;
    while (end < actions.length && SECTION[actions[end]!.kind] === section) end++;
    const batch = actions.slice(i, end);
    i = end;
    if (section === 'draft') {
      await beforeSwap(r, () => o.logger.section(section, () => runActions(r, batch)));
    } else if (section === 'upload') {
      await beforeSwap(r, () =>
        o.logger.section(section, async () => {
          await runActions(r, batch);
          await checkDraftAssets(r, draftOf(r, batch[0]!));
        }),
      );
    } else {
      await r.stopHeartbeat();
      await o.logger.section(section, () => runActions(r, batch));
    }
  }
  await r.stopHeartbeat();
  if (r.published === undefined) throw new Error(`the publish plan of ${plan.tag} has no publish action`);
  return {
    url: r.published.url,
    id: r.published.id,
    tag: plan.tag,
    action: plan.action,
    assets: r.verified,
    done: r.done,
  };
}
