/** `krel doctor`: the prerequisites of `krel validate --vm`, found or missing, with the command to install them. */
import { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import {
  applyDoctorInstall,
  canInstallWithApt,
  planDoctor,
  type DoctorReport,
} from '../../validate/doctor.js';
import { createContext, type CommandContext } from '../context.js';
import { abortController } from '../signals.js';

function show(ctx: CommandContext, report: DoctorReport): void {
  for (const c of report.checks) {
    ctx.logger.info(
      c.found
        ? `ok       ${c.command.padEnd(20)} ${c.path ?? ''}`
        : `MISSING  ${c.command.padEnd(20)} ${c.purpose}; install: ${c.install}`,
    );
  }
  for (const n of report.notes) ctx.logger.info(`note     ${n}`);
}

async function run(ctx: CommandContext, flags: { install: boolean }): Promise<void> {
  let report = planDoctor(ctx.env);
  if (flags.install && !report.ok && !ctx.globals.dryRun) {
    if (!canInstallWithApt()) {
      throw new UsageError(`--install needs root and apt-get; run instead: ${report.installCommand ?? ''}`);
    }
    await ctx.logger.step(`apt-get install ${report.missingPackages.join(' ')}`, () =>
      applyDoctorInstall(report, ctx.logger, abortController.signal),
    );
    report = planDoctor(ctx.env);
  }
  if (ctx.globals.json) ctx.printJson(report);
  else show(ctx, report);
  if (!report.ok) {
    throw new UsageError(
      `missing prerequisites: ${report.checks
        .filter((c) => !c.found)
        .map((c) => c.command)
        .join(', ')}; install them with: ${report.installCommand ?? ''} (or krel doctor --install as root)`,
    );
  }
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check the prerequisites of krel validate --vm and say how to install what is missing')
    .option('--install', 'install the missing ones with apt-get (root)', false)
    .addHelpText(
      'after',
      '\nExit 0 when everything is present, 2 when something is missing (listed with its install command).',
    )
    .action(async (flags: { install: boolean }, cmd: Command) => {
      await run(createContext(cmd), flags);
    });
}
