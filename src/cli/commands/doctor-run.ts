/** `krel doctor`: the prerequisites of `krel validate --vm`, found or missing, with the command to install them. */
import { UsageError } from '../../errors/index.js';
import {
  applyDoctorInstall,
  canInstallWithApt,
  planDoctor,
  type DoctorReport,
} from '../../vm/host-tools-check.js';
import type { CommandIo } from '../context.js';
import { abortController } from '../signals.js';

function show(ctx: CommandIo, report: DoctorReport): void {
  for (const c of report.checks) {
    ctx.logger.info(
      c.found
        ? `ok       ${c.command.padEnd(20)} ${c.path ?? ''}`
        : `MISSING  ${c.command.padEnd(20)} ${c.purpose}; install: ${c.install}`,
    );
  }
  for (const n of report.notes) ctx.logger.info(`note     ${n}`);
}

export async function runDoctor(ctx: CommandIo, flags: { install: boolean }): Promise<void> {
  let report = planDoctor(ctx.env);
  if (flags.install && !report.ok && !ctx.globals.dryRun) {
    if (!canInstallWithApt()) {
      throw new UsageError(`--install needs root and apt-get; run instead: ${report.installCommand ?? ''}`);
    }
    await ctx.logger.section(`apt-get install ${report.missingPackages.join(' ')}`, () =>
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
