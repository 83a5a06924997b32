/** `krel delete TAG`: delete a replaceable release (and with --tag its git tag). */
import { Command } from 'commander';
import { applyCleanupPlan } from '../../publish/cleanup-apply.js';
import { buildDeletePlan, type CleanupPlan } from '../../publish/cleanup-plan.js';
import { formatCleanupPlan } from '../../publish/cleanup-render.js';
import { isForTag } from '../../publish/marker.js';
import { createStore } from '../../store/index.js';
import type { ReleaseStore } from '../../store/types.js';
import { checkTag } from '../../tag/index.js';
import { createContext, type CommandContext } from '../context.js';

interface DeleteFlags {
  store?: string;
  tag?: boolean;
  force?: boolean;
}

async function run(ctx: CommandContext, tagArg: string, flags: DeleteFlags): Promise<void> {
  const tag = checkTag(tagArg, 'argument');
  const config = await ctx.config();
  const store = createStore(config, ctx.env, ctx.logger, {
    ...(flags.store !== undefined ? { store: flags.store } : {}),
    cwd: ctx.cwd,
  });
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

export function deleteCommand(): Command {
  return new Command('delete')
    .description('delete the release of TAG (only tags matching release.replace unless --force)')
    .argument('<tag>', 'release tag, e.g. v0.1-test')
    .option('--tag', 'also delete the git tag')
    .option('--force', 'allow a tag that matches no replace pattern')
    .option('--store <spec>', '"github" or "dir:PATH" (default: krel.json release.store)')
    .addHelpText(
      'after',
      `
Drafts of TAG are deleted too. --dry-run lists what would be deleted.
Exit codes: 0 deleted (or planned); 2 bad tag; 3 refused: TAG matches no replace pattern (without --force),
the release is immutable, or there is nothing to delete; 4 failed part-way.`,
    )
    .action(async (tag: string, flags: DeleteFlags, cmd: Command) => {
      await run(createContext(cmd), tag, flags);
    });
}
