/**
 * applyPublishPlan: run a publish plan. Draft (leased to this run, lease.ts), upload + verify every asset, then
 * the swap (swap.ts: recheck, delete the old release, publish, move the tag) and check the public downloads.
 * Nothing half-done is visible: any failure before the swap deletes the draft and leaves the old release as it
 * was; a failure after the swap says exactly what state is left and that a rerun finishes it.
 */
import path from 'node:path';
import { ApplyError, InterruptedError, RefusedError, errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import type { ReleaseStore, StoredRelease } from '../store/types.js';
import { mapLimit } from '../util/concurrency.js';
import { leasedBody, startHeartbeat } from './heartbeat.js';
import { draftHolder } from './lease.js';
import { draftTagName } from './marker.js';
import type { PlanAsset, PlanStep, PublishPlan } from './plan-types.js';
import { refusalError } from './plan.js';
import type { RetryOptions } from '../util/retry.js';
import { discardOwnDraft, supersededBy, swapAndPublish } from './swap.js';
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

async function releaseById(store: ReleaseStore, id: string): Promise<StoredRelease | undefined> {
  return (await store.listReleases()).find((x) => x.id === id);
}

async function openDraft(plan: PublishPlan, o: ApplyPublishOptions): Promise<StoredRelease> {
  const { store, logger } = o;
  const run = plan.run;
  const marker = { tag: plan.tag, commit: plan.commit };
  for (const s of stepsOf(plan, 'delete-stale-draft')) {
    // Stale when planned; still stale now? (Another rerun may have resumed it since.)
    const r = await releaseById(store, s.releaseId);
    if (r === undefined || draftHolder(r, run, Date.now()) !== 'stale') {
      logger.info(`krel's draft ${s.releaseId} is gone or in use again: left alone`);
      continue;
    }
    logger.info(`deleting krel's stale draft ${s.releaseId} (commit ${s.commit})`);
    await store.deleteRelease(r);
  }
  const resume = stepsOf(plan, 'resume-draft')[0];
  if (resume !== undefined) {
    const found = await releaseById(store, resume.releaseId);
    if (found === undefined || draftHolder(found, run, Date.now()) !== 'stale')
      throw new RefusedError(
        `krel's abandoned draft ${resume.releaseId} of ${plan.tag} was deleted or resumed by another run meanwhile: rerun`,
      );
    // Take the draft over: our lease in its body, then read back that the lease is ours (last writer wins).
    await store.updateBody(found, leasedBody(found.body, marker, run));
    const draft = await releaseById(store, resume.releaseId);
    if (draft === undefined || draftHolder(draft, run, Date.now()) !== 'mine')
      throw new RefusedError(
        `another run resumed krel's draft ${resume.releaseId} of ${plan.tag} first: rerun later`,
      );
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
    body: leasedBody(body, marker, run),
    prerelease: plan.flags.prerelease,
  });
  logger.info(`created draft ${draft.id} pinned to ${plan.commit} (run ${run.id})`);
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

export async function applyPublishPlan(plan: PublishPlan, o: ApplyPublishOptions): Promise<PublishResult> {
  if (plan.action === 'refuse') {
    throw refusalError(plan);
  }
  const { store, logger } = o;
  let draft: StoredRelease | undefined;
  let stopHeartbeat = (): Promise<void> => Promise.resolve();
  try {
    draft = await logger.step('draft', () => openDraft(plan, o));
    const d = draft;
    stopHeartbeat = startHeartbeat(store, d, { tag: plan.tag, commit: plan.commit }, plan.run, logger);
    await logger.step('upload', () => uploadAll(plan, d, o));
    o.signal.throwIfAborted();
  } catch (e) {
    await stopHeartbeat();
    if (e instanceof RefusedError && draft === undefined) throw e;
    const left = draft === undefined ? 'no draft was created' : await discardOwnDraft(store, draft, plan.run);
    const old = plan.existing ? `the old release ${plan.existing.id} is untouched` : 'nothing was published';
    if (o.signal.aborted) throw new InterruptedError(`interrupted: uploads stopped, ${left}, ${old}`);
    throw new ApplyError(`${errorMessage(e)}; ${old}, ${left}`, { cause: e });
  }
  await stopHeartbeat();
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
        const other = await supersededBy(store, plan.tag, published);
        if (other !== undefined)
          throw new ApplyError(
            `published ${published.url}, but another run replaced it since (${other}): this run's release is superseded and nothing of the other run was touched`,
            { cause: e },
          );
        throw new ApplyError(`published ${published.url}, but ${errorMessage(e)}`, { cause: e });
      }
      logger.info(`${want.name}: public download matches sha256`);
      out.push({ name: want.name, size: want.size, sha256: want.sha256, url: got.downloadUrl });
    }
    return out;
  });
  return { url: published.url, id: published.id, tag: plan.tag, action: plan.action, assets: verified };
}
