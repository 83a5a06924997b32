/**
 * Merge the reports of one validation run on several machines (a CI matrix: one job per target) into one
 * report: the same guide and release, each target once, in the order given.
 */
import { readFile } from 'node:fs/promises';
import { unreadableReason } from '../errors/fs-error.js';
import { UsageError } from '../errors/index.js';
import type { TargetReport, ValidationReport } from './report.js';

function isReport(v: unknown): v is ValidationReport {
  const r = v as Partial<ValidationReport> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.version === 1 &&
    typeof r.doc === 'string' &&
    typeof r.tag === 'string' &&
    Array.isArray(r.targets)
  );
}

/** A report file as `krel validate --report FILE` (or --json) wrote it. */
export async function readReport(file: string): Promise<ValidationReport> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const why = unreadableReason(e);
    throw new UsageError(
      `cannot read the report ${file}: ${why} (name the files krel validate --report wrote)`,
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON: expected a report written by krel validate --report`);
  }
  if (!isReport(data)) {
    throw new UsageError(`${file} is not a krel validate report (version 1 with doc, tag and targets)`);
  }
  return data;
}

export function mergeReports(
  reports: readonly { file: string; report: ValidationReport }[],
): ValidationReport {
  const first = reports[0];
  if (first === undefined) throw new UsageError('no report to merge: name the report files');
  const targets: TargetReport[] = [];
  const from = new Map<string, string>();
  for (const { file, report } of reports) {
    if (report.tag !== first.report.tag || report.doc !== first.report.doc) {
      throw new UsageError(
        `${file} is of ${report.doc} at ${report.tag}, ${first.file} of ${first.report.doc} at ${first.report.tag}: ` +
          'merge the reports of one run only',
      );
    }
    for (const t of report.targets) {
      const seen = from.get(t.target);
      if (seen !== undefined) throw new UsageError(`target ${t.target} is in both ${seen} and ${file}`);
      from.set(t.target, file);
      targets.push(t);
    }
  }
  return {
    version: 1,
    doc: first.report.doc,
    source: first.report.source,
    tag: first.report.tag,
    passed: targets.every((t) => t.status === 'passed'),
    targets,
  };
}
