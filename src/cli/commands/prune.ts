/** `krel prune --match 'v*-daily' --keep N`: delete all but the newest N releases whose tag matches. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import { tagGlob, wholeNumber } from '../options.js';
import type { PruneFlags } from './prune-run.js';

export function pruneCommand(): Command {
  return new Command('prune')
    .description('delete all but the newest N published releases whose tag matches a glob')
    .requiredOption('--match <glob>', "tag glob, e.g. 'v*-daily'", tagGlob)
    .requiredOption('--keep <n>', 'how many of the newest matching releases to keep', wholeNumber)
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
      const { runPrune } = await import('./prune-run.js');
      await runPrune(commandIo(cmd), flags);
    });
}
