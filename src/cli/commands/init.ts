/** `krel init`: krel.json, the km-releases skeleton and the release workflows for a repository that has none. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { InitFlags } from './init-run.js';

export function initCommand(): Command {
  return new Command('init')
    .description('start a repository on krel: krel.json from a build tree, the release workflow, the docs')
    .option('--from <dir>', 'the build tree to package (default: ./build)')
    .option(
      '--repo <owner/name>',
      'GitHub repository of the releases (default: the github.com origin remote)',
    )
    .option('--docs', 'also write km-releases/: the install script, README.md and GettingStarted.md')
    .option('--azure', 'also write the Azure Pipelines twin, .azure-pipelines/release.yml')
    .option('--force', 'rewrite files that exist')
    .addHelpText(
      'after',
      `
Writes krel.json (or --config PATH) with the archives kontain-install.sh installs: kontain.tar.gz from the
tree's top-level directories and files, and kontain-NAME.tar.gz per payloads/NAME; "$schema" points into
node_modules/krel. Writes .github/workflows/release.yml, whose steps use the krel action of this version.
Without --docs (and without a km-releases/ of the repository's own) krel validate runs the guide and
installer of the installed package.
Never overwrites a file: when any target exists nothing is written (exit 3) unless --force.
--dry-run lists the files it would write (--json: the plan); --json prints {root, tree, notes, done}.

Exit codes: 0 written (or planned); 2 no build tree, a bad --repo; 3 a target exists (named), nothing
written; 4 failed part-way (the message names what was written).`,
    )
    .action(async (flags: InitFlags, cmd: Command) => {
      const { runInit } = await import('./init-run.js');
      await runInit(commandIo(cmd), flags);
    });
}
