/**
 * The delete and prune domain functions over the release context: plan from what the store holds, then apply.
 * krel deletes only disposable releases (tags matching a replace pattern), unless forced.
 */
import type { ReleaseContext } from '../context/release-context.js';
import { checkTag } from '../tag/index.js';
import { applyCleanupPlan, type CleanupResult } from './cleanup-apply.js';
import { buildDeletePlan, buildPrunePlan, type CleanupPlan } from './cleanup-plan.js';
import { isForTag } from './marker.js';

export interface CleanupOptions {
  /** Also delete the git tag. */
  withTag: boolean;
  force: boolean;
}

export async function planDelete(
  ctx: ReleaseContext,
  tagArg: string,
  o: CleanupOptions,
): Promise<CleanupPlan> {
  const tag = checkTag(tagArg, 'argument');
  const store = ctx.store();
  const info = await store.info();
  return buildDeletePlan({
    store: info.description,
    tag,
    releases: (await store.listReleases()).filter((r) => isForTag(r, tag)),
    tagCommit: o.withTag ? await store.tagCommit(tag) : undefined,
    withTag: o.withTag,
    replace: ctx.config.release.replace,
    force: o.force,
  });
}

export async function planPrune(
  ctx: ReleaseContext,
  o: CleanupOptions & { match: string; keep: number },
): Promise<CleanupPlan> {
  const store = ctx.store();
  const info = await store.info();
  return buildPrunePlan({
    store: info.description,
    releases: await store.listReleases(),
    match: o.match,
    keep: o.keep,
    withTag: o.withTag,
    replace: ctx.config.release.replace,
    force: o.force,
  });
}

/** Apply a delete or prune plan; returns what was done. */
export async function applyCleanup(ctx: ReleaseContext, plan: CleanupPlan): Promise<CleanupResult> {
  const result = await applyCleanupPlan(plan, ctx.store(), ctx.logger);
  ctx.logger.info(
    `deleted ${result.deleted.length}${plan.kind === 'prune' ? `, kept ${plan.keep.length}` : ''}`,
  );
  return result;
}
