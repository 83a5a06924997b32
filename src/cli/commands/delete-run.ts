/** `krel delete TAG`: delete a replaceable release (and with --tag its git tag). */
import { applyCleanupPlan } from '../../publish/cleanup-apply.js';
import { buildDeletePlan, type CleanupPlan } from '../../publish/cleanup-plan.js';
import { formatCleanupPlan } from '../../publish/cleanup-render.js';
import { isForTag } from '../../publish/marker.js';
import type { ReleaseStore } from '../../store/types.js';
import { checkTag } from '../../tag/index.js';
import type { CommandContext } from '../context.js';
import { openStore } from './store-run.js';

export interface DeleteFlags {
  store?: string;
  tag?: boolean;
  force?: boolean;
}

export async function runDelete(ctx: CommandContext, tagArg: string, flags: DeleteFlags): Promise<void> {
  const tag = checkTag(tagArg, 'argument');
  const config = await ctx.config();
  const store = openStore(ctx, config, flags.store);
  const info = await store.info();
  const plan = buildDeletePlan({
    store: info.description,
    tag,
    releases: (await store.listReleases()).filter((r) => isForTag(r, tag)),
    tagCommit: flags.tag === true ? await store.tagCommit(tag) : undefined,
    withTag: flags.tag === true,
    replace: config.release.replace,
    force: flags.force === true,
  });
  await runCleanup(ctx, plan, store);
}

/** Shared by delete and prune: print the plan on --dry-run, else apply it; --json reports what was deleted. */
export async function runCleanup(ctx: CommandContext, plan: CleanupPlan, store: ReleaseStore): Promise<void> {
  if (ctx.globals.dryRun) {
    if (ctx.globals.json) ctx.printJson(plan);
    else ctx.print(formatCleanupPlan(plan));
    return;
  }
  const result = await applyCleanupPlan(plan, store, ctx.logger);
  ctx.logger.info(
    `deleted ${result.deleted.length}${plan.kind === 'prune' ? `, kept ${plan.keep.length}` : ''}`,
  );
  if (ctx.globals.json) ctx.printJson({ ...plan, deleted: result.deleted });
}
