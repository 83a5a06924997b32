/** `krel delete TAG`: delete a replaceable release (and with --tag its git tag). */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { DeleteFlags } from './delete-run.js';

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
      const { runDelete } = await import('./delete-run.js');
      await runDelete(commandIo(cmd), tag, flags);
    });
}
