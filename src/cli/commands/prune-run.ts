/** `krel prune --match 'v*-daily' --keep N`: delete all but the newest N releases whose tag matches. */
import { buildPrunePlan } from '../../publish/cleanup-plan.js';
import type { CommandContext } from '../context.js';
import { openStore } from './store-run.js';
import { runCleanup } from './delete-run.js';

export interface PruneFlags {
  match: string;
  keep: number;
  store?: string;
  tag?: boolean;
  force?: boolean;
}

export async function runPrune(ctx: CommandContext, flags: PruneFlags): Promise<void> {
  const config = await ctx.config();
  const store = openStore(ctx, config, flags.store);
  const info = await store.info();
  const plan = buildPrunePlan({
    store: info.description,
    releases: await store.listReleases(),
    match: flags.match,
    keep: flags.keep,
    withTag: flags.tag === true,
    replace: config.release.replace,
    force: flags.force === true,
  });
  await runCleanup(ctx, plan, store);
}
