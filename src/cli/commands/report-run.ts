/** `krel report merge`: read the reports, merge them, print and write the result; exit as validate would. */
import path from 'node:path';
import { mergeReports, readReport } from '../../validate/report-merge.js';
import { failedSteps } from '../../validate/report.js';
import { outcomeError } from '../../validate/validate.js';
import { writeReports } from '../../validate/validate-release.js';
import type { CommandIo } from '../context.js';

export interface MergeFlags {
  junit?: string;
  report?: string;
}

export async function runMerge(io: CommandIo, files: string[], flags: MergeFlags): Promise<void> {
  const reports = [];
  for (const file of files) reports.push({ file, report: await readReport(path.resolve(file)) });
  const merged = mergeReports(reports);
  for (const { target, step } of failedSteps(merged)) {
    io.logger.error(`[${target}] step ${step.index} "${step.name}" ${step.status}: ${step.reason ?? ''}`, {
      file: step.file,
      line: step.line,
      title: `krel validate ${target}`,
    });
  }
  await writeReports(io.logger, process.env, merged, {
    ...(flags.junit !== undefined ? { junit: path.resolve(flags.junit) } : {}),
    ...(flags.report !== undefined ? { report: path.resolve(flags.report) } : {}),
  });
  if (io.globals.json) io.printJson(merged);
  const err = outcomeError(merged);
  if (err !== undefined) throw err;
}
