/** The Markdown job summary ($GITHUB_STEP_SUMMARY): a table per target, failing output in a details block. */
import { formatDuration } from '../log/logger.js';
import { stepFailed, type ValidationReport } from './report.js';
import type { StepStatus } from './runner.js';

const ICON: Record<StepStatus, string> = {
  passed: '✅ passed',
  failed: '❌ failed',
  'timed-out': '⏱️ timed out',
  skipped: '⏭️ skipped',
  'not-run': '➖ not run',
};

const cell = (s: string): string => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** A collapsed block of lines, in a fence longer than any backtick run inside them. */
function details(summary: string, lang: string, lines: readonly string[]): string[] {
  const fence = '`'.repeat(Math.max(3, ...lines.map((l) => (/`+/.exec(l)?.[0].length ?? 0) + 1)));
  return [
    `<details><summary>${summary}</summary>`,
    '',
    `${fence}${lang}`,
    ...lines,
    fence,
    '',
    '</details>',
    '',
  ];
}

export function toMarkdown(report: ValidationReport): string {
  const out: string[] = [
    `### krel validate: ${report.passed ? '✅ passed' : '❌ failed'}`,
    '',
    `${cell(report.doc)} against ${cell(report.source)}`,
    '',
  ];
  for (const t of report.targets) {
    out.push(`#### ${cell(t.target)}: ${t.status} (${formatDuration(t.durationMs)})`, '');
    if (t.error !== undefined) out.push(`> ${cell(t.error)}`, '');
    if (t.steps.length > 0) {
      out.push('| # | Step | Result | Time |', '|---|---|---|---|');
      for (const s of t.steps) {
        const why = s.status === 'passed' || s.reason === undefined ? '' : ` (${cell(s.reason)})`;
        out.push(
          `| ${s.index} | ${cell(s.name)} | ${ICON[s.status]}${why} | ${formatDuration(s.durationMs)} |`,
        );
      }
      out.push('');
    }
    for (const s of t.steps.filter(stepFailed)) {
      if (s.diff !== undefined)
        out.push(...details(`Diff of step ${s.index} (${cell(s.name)})`, 'diff', s.diff));
      out.push(...details(`Output of step ${s.index} (${cell(s.name)})`, 'text', s.outputTail));
    }
  }
  return out.join('\n');
}
