/**
 * applyPublishPlan: run a publish plan. Draft, upload + verify every asset, then (replace only) delete the old
 * release and move the tag, then publish and check the public downloads. Nothing half-done is visible: any
 * failure before the swap deletes the draft and leaves the old release as it was; a failure after the swap
 * says exactly what state is left and that a rerun finishes it.
 */
import path from 'node:path';
import { ApplyError, InterruptedError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import type { ReleaseStore, StoredRelease } from '../store/types.js';
import { mapLimit } from './map-limit.js';
import { draftTagName, withMarker } from './marker.js';
import type { PlanAsset, PlanStep, PublishPlan } from './plan-types.js';
import { refusalError } from './plan.js';
import type { RetryOptions } from './retry.js';
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
}

const VERIFY_RETRY: RetryOptions = { attempts: 5, baseMs: 500 };

type StepOf<K extends PlanStep['kind']> = Extract<PlanStep, { kind: K }>;
function stepsOf<K extends PlanStep['kind']>(plan: PublishPlan, kind: K): StepOf<K>[] {
  return plan.steps.filter((s): s is StepOf<K> => s.kind === kind);
}

async function releaseById(store: ReleaseStore, id: string): Promise<StoredRelease> {
  const r = (await store.listReleases()).find((x) => x.id === id);
  if (r === undefined) throw new ApplyError(`release ${id} disappeared since the plan was made: rerun`);
  return r;
}

async function openDraft(plan: PublishPlan, o: ApplyPublishOptions): Promise<StoredRelease> {
  const { store, logger } = o;
  for (const s of stepsOf(plan, 'delete-stale-draft')) {
    logger.info(`deleting krel's stale draft ${s.releaseId} (commit ${s.commit})`);
    await store.deleteRelease(await releaseById(store, s.releaseId));
  }
  const resume = stepsOf(plan, 'resume-draft')[0];
  if (resume !== undefined) {
    const draft = await releaseById(store, resume.releaseId);
    logger.info(`resuming krel's draft ${draft.id}`);
    return draft;
  }
  let body = plan.notes.body;
  if (plan.notes.source === 'generate') {
    try {
      body = (await store.generateNotes(plan.tag, plan.commit)) ?? body;
    } catch (e) {
      logger.warn(`could not generate release notes (${errorMessage(e)}); using the asset list`);
    }
  }
  const draft = await store.createDraft({
    tag: draftTagName(plan.tag),
    commit: plan.commit,
    name: plan.tag,
    body: withMarker(body, { tag: plan.tag, commit: plan.commit }),
    prerelease: plan.flags.prerelease,
  });
  logger.info(`created draft ${draft.id} pinned to ${plan.commit}`);
  return draft;
}

async function uploadAll(plan: PublishPlan, draft: StoredRelease, o: ApplyPublishOptions): Promise<void> {
  const { store, logger } = o;
  const deletions = stepsOf(plan, 'delete-asset');
  if (deletions.length > 0) {
    const present = await store.listAssets(draft);
    for (const d of deletions) {
      for (const a of present.filter((x) => x.name === d.name)) {
        logger.info(`deleting draft asset ${a.name} (${d.reason})`);
        await store.deleteAsset(draft, a);
      }
    }
  }
  for (const k of stepsOf(plan, 'keep-asset')) logger.info(`${k.name}: already uploaded, digest matches`);
  const uploads = stepsOf(plan, 'upload').map((u) => assetOf(plan, u.name));
  const inner = new AbortController();
  const signal = AbortSignal.any([o.signal, inner.signal]);
  const progress = createProgress(logger, { enabled: o.progress ?? true });
  try {
    await mapLimit(uploads, o.concurrency, async (a) => {
      const bar = progress.item(a.name, a.size);
      try {
        await uploadVerified(
          {
            store,
            draft,
            file: path.join(plan.dist, a.name),
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
  // The draft as the store sees it now must hold every asset, verified.
  const now = await store.listAssets(draft);
  for (const a of plan.assets) {
    const got = now.find((x) => x.name === a.name);
    const problem = got === undefined ? 'missing' : uploadProblem(got, a);
    if (problem !== undefined)
      throw new ApplyError(`draft asset ${a.name} is not right after upload: ${problem}`);
  }
}

function assetOf(plan: PublishPlan, name: string): PlanAsset {
  const a = plan.assets.find((x) => x.name === name);
  if (a === undefined) throw new Error(`plan step names unknown asset ${name}`);
  return a;
}

async function discardDraft(draft: StoredRelease | undefined, o: ApplyPublishOptions): Promise<string> {
  if (draft === undefined) return 'no draft was created';
  try {
    await o.store.deleteRelease(draft);
    return `the draft ${draft.id} was deleted`;
  } catch (e) {
    return `the draft ${draft.id} could not be deleted (${errorMessage(e)}): a rerun resumes it`;
  }
}

/** Delete the old release, move the tag, publish: the only window in which no release is visible. */
async function swapAndPublish(
  plan: PublishPlan,
  draft: StoredRelease,
  o: ApplyPublishOptions,
): Promise<StoredRelease> {
  const { store, logger } = o;
  const done: string[] = [];
  const fail = (what: string, e: unknown): ApplyError =>
    new ApplyError(
      `${what} failed: ${errorMessage(e)}. State: ${done.length > 0 ? done.join(', ') + ', ' : ''}` +
        `draft ${draft.id} complete but not published: rerun to finish`,
      { cause: e },
    );
  for (const s of stepsOf(plan, 'delete-old')) {
    try {
      await store.deleteRelease(await releaseById(store, s.releaseId));
    } catch (e) {
      throw fail(`deleting the old release ${s.releaseId}`, e);
    }
    done.push(`old release ${s.releaseId} deleted`);
    logger.info(`deleted the old release ${s.releaseId}`);
  }
  for (const s of stepsOf(plan, 'move-tag')) {
    try {
      await store.moveTag(plan.tag, s.to);
    } catch (e) {
      throw fail(`moving tag ${plan.tag} to ${s.to}`, e);
    }
    done.push(`tag ${plan.tag} at ${s.to}`);
    logger.info(`tag ${plan.tag} -> ${s.to}${s.from ? ` (was ${s.from})` : ''}`);
  }
  try {
    const published = await store.publish(draft, {
      tag: plan.tag,
      prerelease: plan.flags.prerelease,
      makeLatest: plan.flags.makeLatest,
    });
    logger.info(`published ${published.url}`);
    return published;
  } catch (e) {
    throw fail(`publishing draft ${draft.id}`, e);
  }
}

export async function applyPublishPlan(plan: PublishPlan, o: ApplyPublishOptions): Promise<PublishResult> {
  if (plan.action === 'refuse') {
    throw refusalError(plan);
  }
  const { store, logger } = o;
  let draft: StoredRelease | undefined;
  try {
    draft = await logger.step('draft', () => openDraft(plan, o));
    const d = draft;
    await logger.step('upload', () => uploadAll(plan, d, o));
    o.signal.throwIfAborted();
  } catch (e) {
    const left = await discardDraft(draft, o);
    const old = plan.existing ? `the old release ${plan.existing.id} is untouched` : 'nothing was published';
    if (o.signal.aborted) throw new InterruptedError(`interrupted: uploads stopped, ${left}, ${old}`);
    throw new ApplyError(`${errorMessage(e)}; ${old}, ${left}`, { cause: e });
  }
  const d = draft;
  const published = await logger.step('publish', () => swapAndPublish(plan, d, o));
  const assets = await store.listAssets(published);
  const verified = await logger.step('verify', async () => {
    const out: PublishResult['assets'] = [];
    for (const want of plan.assets) {
      const got = assets.find((a) => a.name === want.name);
      if (got === undefined)
        throw new ApplyError(`published release ${published.url} has no asset ${want.name}`);
      try {
        await verifyDownload(store, got, want, {
          logger,
          retry: o.verifyRetry ?? VERIFY_RETRY,
          signal: o.signal,
        });
      } catch (e) {
        if (o.signal.aborted)
          throw new InterruptedError(`interrupted while checking downloads; ${published.url} is published`);
        throw new ApplyError(`published ${published.url}, but ${errorMessage(e)}`, { cause: e });
      }
      logger.info(`${want.name}: public download matches sha256`);
      out.push({ name: want.name, size: want.size, sha256: want.sha256, url: got.downloadUrl });
    }
    return out;
  });
  return { url: published.url, id: published.id, tag: plan.tag, action: plan.action, assets: verified };
}
