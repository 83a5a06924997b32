/**
 * A release is a pipeline of small named steps: each logs its header, is timed, and may be skipped with a
 * reason. The first failing step stops the pipeline; its error (and so its exit code) is the pipeline's.
 */
import { formatDuration, type Logger } from '../log/logger.js';

export interface Step {
  name: string;
  /** A reason to skip this step, or undefined to run it. */
  skip?(): string | undefined;
  run(): Promise<void>;
}

export interface StepRecord {
  name: string;
  status: 'done' | 'skipped' | 'failed' | 'not run';
  durationMs: number;
  reason?: string;
}

export async function runPipeline(steps: readonly Step[], logger: Logger): Promise<StepRecord[]> {
  const records: StepRecord[] = steps.map((s) => ({ name: s.name, status: 'not run', durationMs: 0 }));
  try {
    for (const [i, step] of steps.entries()) await runStep(step, records[i]!, logger);
  } finally {
    logger.info(summaryLines(records).join('\n'));
  }
  return records;
}

async function runStep(step: Step, record: StepRecord, logger: Logger): Promise<void> {
  const reason = step.skip?.();
  if (reason !== undefined) {
    logger.warn(`${step.name}: skipped (${reason})`);
    Object.assign(record, { status: 'skipped', reason });
    return;
  }
  const started = Date.now();
  try {
    await logger.step(step.name, () => step.run());
    record.status = 'done';
  } catch (e) {
    record.status = 'failed';
    throw e;
  } finally {
    record.durationMs = Date.now() - started;
  }
}

function summaryLines(records: readonly StepRecord[]): string[] {
  return records.map(
    (r) =>
      `  ${r.status.padEnd(8)} ${r.name}${r.status === 'done' || r.status === 'failed' ? ` (${formatDuration(r.durationMs)})` : ''}${r.reason !== undefined ? `: ${r.reason}` : ''}`,
  );
}
