/** The result of a validation run: per target, per step. Serialised as-is for --json. */
import type { StepResult } from './runner.js';

/** error: the target could not run its steps; cancelled: stopped because another target failed (--fail-fast). */
export type TargetStatus = 'passed' | 'failed' | 'error' | 'cancelled';

export interface TargetReport {
  target: string;
  status: TargetStatus;
  /** Why the target could not run its steps (boot, SSH, host key), when status is "error". */
  error?: string;
  /** The error was a refusal (a host key other than the pinned one). */
  refused?: boolean;
  details: Record<string, string>;
  durationMs: number;
  steps: StepResult[];
  /** Last console lines (VM targets), when the target failed. */
  consoleTail?: string;
  /** Its full log (--log-dir). */
  logFile?: string;
}

export interface ValidationReport {
  version: 1;
  doc: string;
  source: string;
  tag: string;
  passed: boolean;
  targets: TargetReport[];
}

/** A step that ran and did not pass (failed or timed out), counted against the run (not continueOnError). */
export function stepFailed(s: StepResult): boolean {
  return (s.status === 'failed' || s.status === 'timed-out') && s.continueOnError !== true;
}

export function targetStatus(steps: readonly StepResult[]): TargetStatus {
  return steps.some((s) => stepFailed(s) || (s.status === 'not-run' && s.reason === 'interrupted'))
    ? 'failed'
    : 'passed';
}

export function failedSteps(report: ValidationReport): { target: string; step: StepResult }[] {
  return report.targets.flatMap((t) =>
    t.steps.filter(stepFailed).map((step) => ({ target: t.target, step })),
  );
}
