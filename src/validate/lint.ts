/**
 * Lint before boot: every block of the guide classified as it will be run, with nothing booted. A block runs,
 * is skipped (and why), or is suspicious (lint-rules.ts); a block that would surely fail makes `--lint` exit 2
 * and stops `krel validate` before any VM starts.
 */
import { UsageError } from '../errors/index.js';
import {
  commandFindings,
  placeholderFindings,
  unknownFileFindings,
  type LintFinding,
  type LintTargets,
} from './lint-rules.js';
import { readShell } from './shell-words.js';
import type { Guide, Step, StepKind } from './steps.js';

export type BlockVerdict = 'runs' | 'skipped' | 'suspicious' | 'fails';

export interface BlockLint {
  index: number;
  line: number;
  name: string;
  lang: string;
  kind: StepKind;
  verdict: BlockVerdict;
  /** Why the block is skipped. */
  skip?: string;
  findings: LintFinding[];
  /** The krel.json overrides applied to it. */
  overrides: string[];
}

export interface LintReport {
  version: 1;
  kind: 'validate-lint';
  doc: string;
  targets: LintTargets;
  blocks: BlockLint[];
  /** Commands written in the prose, which krel never runs. */
  prose: { line: number; code: string; message: string }[];
  /** Blocks that would surely fail. */
  failing: number;
}

function lintStep(step: Step, targets: LintTargets, known: Set<string>, earlier: string): LintFinding[] {
  if (step.kind === 'file') known.add(step.writeTo ?? '');
  const text = readShell(step.kind === 'file' ? (step.before ?? '') : step.script);
  return [
    ...placeholderFindings(text),
    ...commandFindings(text, targets),
    ...unknownFileFindings(text, known, earlier),
  ];
}

export function lintGuide(doc: string, guide: Guide, targets: LintTargets): LintReport {
  const known = new Set<string>();
  let earlier = '';
  const blocks = guide.steps.map((step): BlockLint => {
    const base = {
      index: step.index,
      line: step.line,
      name: step.name,
      lang: step.lang,
      kind: step.kind,
      overrides: step.overrides,
    };
    if (step.skip !== undefined) return { ...base, verdict: 'skipped', skip: step.skip, findings: [] };
    const findings = lintStep(step, targets, known, earlier);
    earlier += `\n${step.script}`;
    const verdict = findings.some((f) => f.fails) ? 'fails' : findings.length > 0 ? 'suspicious' : 'runs';
    return { ...base, verdict, findings };
  });
  return {
    version: 1,
    kind: 'validate-lint',
    doc,
    targets,
    blocks,
    prose: guide.prose.map((p) => ({
      ...p,
      message:
        'a command in the prose is never run (krel runs fenced blocks): put it in a block if readers must run it',
    })),
    failing: blocks.filter((b) => b.verdict === 'fails').length,
  };
}

/** One line per block, then the prose commands; for --lint and the start of every validate. */
export function formatLint(report: LintReport): string[] {
  const where = report.targets.vm
    ? `krel's guest VMs${report.targets.network ? ' with network' : ', no network'}`
    : 'the given hosts';
  const count = (v: BlockVerdict): number => report.blocks.filter((b) => b.verdict === v).length;
  const lines = [
    `lint ${report.doc} (for ${where}): ${report.blocks.length} blocks: ${count('runs')} run, ` +
      `${count('skipped')} skipped, ${count('suspicious')} suspicious, ${count('fails')} would fail`,
  ];
  for (const b of report.blocks) {
    const head = `${String(b.index).padStart(3)}  line ${String(b.line).padEnd(4)} ${b.verdict.padEnd(10)} ${b.name}`;
    const why = b.verdict === 'skipped' ? (b.skip ?? '') : b.findings.map((f) => f.message).join('; ');
    lines.push(why === '' ? head : `${head}: ${why}`);
    for (const o of b.overrides) lines.push(`       override ${o}`);
  }
  for (const p of report.prose) lines.push(`  prose line ${p.line}: ${p.message}: ${p.code}`);
  return lines;
}

/** The error when some block would surely fail. */
export function lintError(report: LintReport): UsageError | undefined {
  const failing = report.blocks.filter((b) => b.verdict === 'fails');
  if (failing.length === 0) return undefined;
  const first = failing[0]!;
  return new UsageError(
    `${report.doc}: ${failing.length} block(s) would fail; first: block ${first.index} "${first.name}" ` +
      `(line ${first.line}): ${first.findings.find((f) => f.fails)?.message ?? ''} ` +
      `(krel validate --lint lists them; fix the guide or override them in krel.json validate.steps)`,
  );
}
