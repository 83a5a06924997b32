/**
 * A transcript step's check: its output cut into commands at the marker lines, each compared with the output the
 * transcript shows (expected-output.ts), and the verdict on exit codes and differences.
 */
import { OutputMatcher } from './expected-output.js';
import type { Step } from './steps.js';

/** Cuts a transcript's output into its commands at the marker lines and compares each. */
export class TranscriptCheck {
  private k = 0;
  private matcher: OutputMatcher | undefined;
  private heldBlank = false;
  readonly exits: number[] = [];
  private firstDiff: { k: number; diff: string[] } | undefined;
  mismatches = 0;

  constructor(
    private readonly step: Step,
    private readonly pattern: RegExp,
    private readonly show: (line: string) => void,
  ) {
    this.begin();
  }

  line(l: string): void {
    const m = this.pattern.exec(l);
    if (m !== null) {
      this.heldBlank = false; // the newline before the marker
      this.end(Number(m[1]));
      return;
    }
    if (this.heldBlank) this.show('');
    this.heldBlank = l === '';
    if (!this.heldBlank) this.show(l);
    this.matcher?.push(l);
  }

  /** The first command whose output differs, as a diff headed by the command. */
  diff(): string[] | undefined {
    if (this.firstDiff === undefined) return undefined;
    const c = this.step.commands?.[this.firstDiff.k];
    return [`command ${this.firstDiff.k + 1}: $ ${c?.command.split('\n')[0] ?? ''}`, ...this.firstDiff.diff];
  }

  private begin(): void {
    const c = this.step.commands?.[this.k];
    this.matcher = c === undefined ? undefined : new OutputMatcher(c.expected);
    if (c !== undefined) for (const l of c.command.split('\n')) this.show(`$ ${l}`);
  }

  private end(status: number): void {
    this.exits.push(status);
    if (this.matcher !== undefined && !this.matcher.matches()) {
      this.mismatches++;
      this.firstDiff ??= { k: this.k, diff: this.matcher.diff() };
    }
    this.k++;
    this.begin();
  }
}

/** Why a transcript step failed, or undefined when every command ran as shown. */
export function transcriptVerdict(
  step: Step,
  t: TranscriptCheck,
  exitCode: number | null,
): { reason: string; diff?: string[] } | undefined {
  const commands = step.commands ?? [];
  const diff = t.diff();
  const withDiff = diff !== undefined ? { diff } : {};
  const firstLine = (k: number): string => commands[k]?.command.split('\n')[0] ?? '';
  for (let k = 0; k < t.exits.length; k++) {
    const shown = commands[k]?.exitCode ?? 0;
    if (t.exits[k] !== shown) {
      return {
        reason: `command ${k + 1} (${firstLine(k)}) exited ${t.exits[k]}, the transcript shows ${shown === 0 ? 'success' : `[${shown}]`}`,
        ...withDiff,
      };
    }
  }
  if (t.exits.length < commands.length) {
    const k = t.exits.length;
    return {
      reason: `command ${k + 1} (${firstLine(k)}) ended the shell (exit code ${exitCode ?? 'none'})`,
      ...withDiff,
    };
  }
  if (t.mismatches > 0) {
    return {
      reason: `the output of ${t.mismatches} command(s) differs from the transcript (first: ${diff?.[0] ?? ''})`,
      ...withDiff,
    };
  }
  if (exitCode !== 0) return { reason: `exit code ${exitCode ?? 'none'}` };
  return undefined;
}
