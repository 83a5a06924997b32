/**
 * The commander program. Exported so tests drive it in-process; only main.ts calls process.exit.
 */
import { Command, Option } from 'commander';
import { redact } from '../log/redact.js';
import { COMMANDS } from './commands/index.js';
import { TOOL_VERSION } from './version.js';

export function buildProgram(): Command {
  const program = new Command('krel')
    .description('Package, publish and prove Kontain releases.')
    .version(TOOL_VERSION, '-V, --version', 'print the krel version')
    .option('--json', 'machine-readable output on stdout (logs stay on stderr)', false)
    .option('-n, --dry-run', 'plan only: print what would be done and change nothing', false)
    .option('-v, --verbose', 'more detail in the logs', false)
    .addOption(new Option('-c, --config <file>', 'path to krel.json').env('KREL_CONFIG'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput(OUTPUT);
  program.addHelpText(
    'after',
    `
Exit codes:
  0 ok (dry run included)   1 internal error   2 usage or config error
  3 refused by a rule or preflight (nothing changed)   4 apply failed part-way
  5 validation ran and a step failed   130 interrupted
  141 the reader of krel's output went away (krel ... | head)`,
  );
  for (const make of COMMANDS) {
    const cmd = make();
    inheritSettings(cmd);
    program.addCommand(cmd);
  }
  return program;
}

/** commander's own messages (unknown option, missing argument) may echo a value that holds a secret. */
const OUTPUT = { writeErr: (s: string) => void process.stderr.write(redact(s)) };

/** addCommand copies no settings: each command and its subcommands exit through main.ts and print redacted. */
function inheritSettings(cmd: Command): void {
  cmd.exitOverride().configureOutput(OUTPUT);
  for (const sub of cmd.commands) inheritSettings(sub);
}
