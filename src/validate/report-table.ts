/** The human summary printed on stderr after a run: one row per step, per target. */
import { formatDuration } from '../log/logger.js';
import { stepFailed, type ValidationReport } from './report.js';
import type { StepStatus } from './runner.js';

const MARK: Record<StepStatus, string> = {
  passed: 'ok',
  failed: 'FAIL',
  'timed-out': 'TIMEOUT',
  skipped: 'skip',
  'not-run': '-',
};

export function formatSummary(report: ValidationReport): string[] {
  const lines: string[] = [`Validation of ${report.doc} (${report.source})`];
  for (const t of report.targets) {
    const extra = Object.entries(t.details)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    lines.push(
      `${t.target}: ${t.status.toUpperCase()} in ${formatDuration(t.durationMs)}${extra ? ` (${extra})` : ''}`,
    );
    if (t.error !== undefined) lines.push(`  error: ${t.error}`);
    const width = Math.max(4, ...t.steps.map((s) => s.name.length));
    for (const s of t.steps) {
      const status = MARK[s.status].padEnd(7);
      const time = s.status === 'not-run' || s.status === 'skipped' ? '' : formatDuration(s.durationMs);
      const why = s.status === 'passed' ? '' : (s.reason ?? '');
      lines.push(
        `  ${String(s.index).padStart(2)}  ${status} ${s.name.padEnd(width)}  ${time.padStart(6)}  ${why}`.trimEnd(),
      );
    }
    for (const s of t.steps.filter(stepFailed)) {
      if (s.diff !== undefined) {
        lines.push(`  step ${s.index} "${s.name}": output differs from the transcript:`);
        for (const l of s.diff) lines.push(`    ${l}`);
      }
      lines.push(`  output of step ${s.index} "${s.name}" (last ${s.outputTail.length} lines):`);
      for (const l of s.outputTail) lines.push(`    | ${l}`);
    }
  }
  return lines;
}

/** The final table, one row per target: result, time, the first failed step, its log file. */
export function formatMatrix(report: ValidationReport): string[] {
  const rows = report.targets.map((t) => {
    const failed = t.steps.find(stepFailed);
    return [
      t.target,
      t.status.toUpperCase(),
      formatDuration(t.durationMs),
      failed !== undefined ? `${failed.index} "${failed.name}"` : t.error !== undefined ? t.error : '-',
      t.logFile ?? '-',
    ];
  });
  const head = ['target', 'result', 'time', 'failed step', 'log'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((c, i) => (i < cells.length - 1 ? c.padEnd(widths[i]!) : c)).join('  ')}`.trimEnd();
  return ['Targets:', line(head), ...rows.map(line)];
}
