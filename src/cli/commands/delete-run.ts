/** `krel delete TAG`: delete a replaceable release (and with --tag its git tag). */
import { applyCleanup, planDelete } from '../../publish/cleanup-release.js';
import type { CleanupPlan } from '../../publish/cleanup-plan.js';
import { formatCleanupPlan } from '../../publish/cleanup-render.js';
import type { ReleaseContext } from '../../context/release-context.js';
import { releaseContext, type CommandIo } from '../context.js';

export interface DeleteFlags {
  store?: string;
  tag?: boolean;
  force?: boolean;
}

export async function runDelete(io: CommandIo, tagArg: string, flags: DeleteFlags): Promise<void> {
  const ctx = await releaseContext(io, flags);
  const plan = await planDelete(ctx, tagArg, { withTag: flags.tag === true, force: flags.force === true });
  await finishCleanup(io, ctx, plan);
}

/** Shared by delete and prune: print the plan on --dry-run, else apply it; --json reports what was deleted. */
export async function finishCleanup(io: CommandIo, ctx: ReleaseContext, plan: CleanupPlan): Promise<void> {
  if (io.globals.dryRun) {
    if (io.globals.json) io.printJson(plan);
    else io.print(formatCleanupPlan(plan));
    return;
  }
  const result = await applyCleanup(ctx, plan);
  if (io.globals.json) io.printJson({ ...plan, ...result });
}
