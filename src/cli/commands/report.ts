/** `krel report merge FILE...`: one validation report from the reports of a CI matrix (one job per target). */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { MergeFlags } from './report-run.js';

export function reportCommand(): Command {
  const report = new Command('report').description('work with validation reports').addHelpText(
    'after',
    `
krel report merge FILE... [--junit FILE] [--report FILE] [--json] joins the --report files of one validation run
made on several machines (a CI matrix: one job per target) into one report; krel report merge --help says more.`,
  );
  report
    .command('merge')
    .description('merge the JSON reports of one validation run (one per target) into one report')
    .argument('<files...>', 'reports written by krel validate --report FILE')
    .option('--junit <file>', 'write the merged JUnit XML report')
    .option('--report <file>', 'write the merged JSON report')
    .addHelpText(
      'after',
      `
Prints the per-step tables and the final table of every target, appends the Markdown summary to
$GITHUB_STEP_SUMMARY, and reports each failed step as an error (an annotation in CI). --json prints the
merged report on stdout. Exit codes as krel validate's: 0 every target passed; 5 a step failed; 3 a host key
was refused; 4 a target could not be provisioned; 2 a file that is not a report of the same guide and tag, or a
target named twice.`,
    )
    .action(async (files: string[], flags: MergeFlags, cmd: Command) => {
      const { runMerge } = await import('./report-run.js');
      await runMerge(commandIo(cmd), files, flags);
    });
  return report;
}
