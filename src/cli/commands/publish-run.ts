/** `krel publish`: flags -> release context -> plan (printed on --dry-run) -> apply -> the release URL. */
import { refusalError } from '../../publish/plan.js';
import { applyPublish, planPublish } from '../../publish/publish-release.js';
import { formatPublishPlan } from '../../publish/render.js';
import { releaseContext, type CommandIo } from '../context.js';

export interface PublishFlags {
  store?: string;
  commit?: string;
  dist?: string;
}

export async function runPublish(io: CommandIo, flags: PublishFlags): Promise<void> {
  const ctx = await releaseContext(io, flags);
  const plan = await planPublish(ctx, flags.dist !== undefined ? { dist: io.resolve(flags.dist) } : {});
  if (io.globals.dryRun) {
    if (io.globals.json) io.printJson(plan);
    else io.print(formatPublishPlan(plan));
    if (plan.action === 'refuse') throw refusalError(plan);
    return;
  }
  const result = await applyPublish(ctx, plan);
  if (io.globals.json) io.printJson(result);
  else io.print(result.url);
}
