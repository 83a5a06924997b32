/** `krel prune --match 'v*-daily' --keep N`: delete all but the newest N releases whose tag matches. */
import { Command, InvalidArgumentError } from 'commander';
import { buildPrunePlan } from '../../publish/cleanup-plan.js';
import { createStore } from '../../store/index.js';
import { createContext, type CommandContext } from '../context.js';
import { runCleanup } from './delete.js';

interface PruneFlags {
  match: string;
  keep: number;
  store?: string;
  tag?: boolean;
  force?: boolean;
}

function parseKeep(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number, 0 or more');
  return n;
}

async function run(ctx: CommandContext, flags: PruneFlags): Promise<void> {
  const config = await ctx.config();
  const store = createStore(config, ctx.env, ctx.logger, {
    ...(flags.store !== undefined ? { store: flags.store } : {}),
    cwd: ctx.cwd,
  });
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

export function pruneCommand(): Command {
  return new Command('prune')
    .description('delete all but the newest N published releases whose tag matches a glob')
    .requiredOption('--match <glob>', "tag glob, e.g. 'v*-daily'")
    .requiredOption('--keep <n>', 'how many of the newest matching releases to keep', parseKeep)
    .option('--tag', 'also delete the git tags of pruned releases')
    .option('--force', 'allow deleting releases whose tag matches no replace pattern')
    .option('--store <spec>', '"github" or "dir:PATH" (default: krel.json release.store)')
    .addHelpText(
      'after',
      `
Only releases whose tag matches --match are considered; every one to delete must also match a replace
pattern of krel.json (release.replace), unless --force. Drafts are never pruned. --dry-run lists the plan.
Exit codes: 0 pruned (or planned); 2 bad arguments; 3 refused (a tag to delete matches no replace pattern,
or is immutable), nothing changed; 4 failed part-way.`,
    )
    .action(async (flags: PruneFlags, cmd: Command) => {
      await run(createContext(cmd), flags);
    });
}
