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
  for (const [i, step] of steps.entries()) {
    const record = records[i]!;
    const reason = step.skip?.();
    if (reason !== undefined) {
      logger.warn(`${step.name}: skipped (${reason})`);
      Object.assign(record, { status: 'skipped', reason });
      continue;
    }
    const started = Date.now();
    try {
      await logger.step(step.name, () => step.run());
      Object.assign(record, { status: 'done', durationMs: Date.now() - started });
    } catch (e) {
      Object.assign(record, { status: 'failed', durationMs: Date.now() - started });
      logger.info(summaryLines(records).join('\n'));
      throw e;
    }
  }
  logger.info(summaryLines(records).join('\n'));
  return records;
}

function summaryLines(records: readonly StepRecord[]): string[] {
  return records.map(
    (r) =>
      `  ${r.status.padEnd(8)} ${r.name}${r.status === 'done' || r.status === 'failed' ? ` (${formatDuration(r.durationMs)})` : ''}${r.reason !== undefined ? `: ${r.reason}` : ''}`,
  );
}
