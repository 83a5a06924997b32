/** JUnit XML: one testsuite per target, one testcase per step; failures carry the output tail. */
import { stepFailed, type ValidationReport } from './report.js';

/** XML 1.0 text: escape markup, drop characters XML cannot carry (control chars, lone surrogates). */
function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const secs = (ms: number): string => (ms / 1000).toFixed(3);

export function toJunitXml(report: ValidationReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = report.targets.flatMap((t) => t.steps);
  const count = (pred: (s: (typeof all)[number]) => boolean): number => all.filter(pred).length;
  const total = report.targets.reduce((a, t) => a + t.durationMs, 0);
  out.push(
    `<testsuites name="krel validate" tests="${all.length}" failures="${count(stepFailed)}" ` +
      `errors="${report.targets.filter((t) => t.status === 'error').length}" time="${secs(total)}">`,
  );
  for (const t of report.targets) {
    const failures = t.steps.filter(stepFailed).length;
    const skipped = t.steps.filter((s) => s.status === 'skipped' || s.status === 'not-run').length;
    out.push(
      `  <testsuite name="${xmlEscape(t.target)}" tests="${t.steps.length}" failures="${failures}" ` +
        `errors="${t.status === 'error' ? 1 : 0}" skipped="${skipped}" time="${secs(t.durationMs)}">`,
    );
    const props = Object.entries(t.details);
    if (props.length > 0) {
      out.push('    <properties>');
      for (const [k, v] of props)
        out.push(`      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`);
      out.push('    </properties>');
    }
    if (t.status === 'error') {
      out.push(`    <testcase name="provision and connect" classname="${xmlEscape(t.target)}" time="0">`);
      out.push(
        `      <error message="${xmlEscape(t.error ?? 'target error')}">${xmlEscape(t.consoleTail ?? '')}</error>`,
      );
      out.push('    </testcase>');
    }
    for (const s of t.steps) {
      const open = `    <testcase name="${xmlEscape(`${s.index}. ${s.name}`)}" classname="${xmlEscape(t.target)}" file="${xmlEscape(s.file)}" line="${s.line}" time="${secs(s.durationMs)}"`;
      if (s.status === 'passed') {
        out.push(`${open}/>`);
        continue;
      }
      out.push(`${open}>`);
      if (s.status === 'skipped' || s.status === 'not-run') {
        out.push(`      <skipped message="${xmlEscape(s.reason ?? s.status)}"/>`);
      } else {
        const type = s.status === 'timed-out' ? 'timeout' : 'failure';
        out.push(
          `      <failure type="${type}" message="${xmlEscape(s.reason ?? s.status)}">${xmlEscape([...(s.diff ?? []), ...s.outputTail].join('\n'))}</failure>`,
        );
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
