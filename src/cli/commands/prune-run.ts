/** `krel prune --match 'v*-daily' --keep N`: delete all but the newest N releases whose tag matches. */
import { planPrune } from '../../publish/cleanup-release.js';
import { releaseContext, type CommandIo } from '../context.js';
import { finishCleanup } from './delete-run.js';

export interface PruneFlags {
  match: string;
  keep: number;
  store?: string;
  tag?: boolean;
  force?: boolean;
}

export async function runPrune(io: CommandIo, flags: PruneFlags): Promise<void> {
  const ctx = await releaseContext(io, flags);
  const plan = await planPrune(ctx, {
    match: flags.match,
    keep: flags.keep,
    withTag: flags.tag === true,
    force: flags.force === true,
  });
  await finishCleanup(io, ctx, plan);
}
