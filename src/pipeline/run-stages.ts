/**
 * A command is a pipeline of small named stages over the release context (goreleaser's pipes): each logs its
 * header, is timed, and may be skipped with a reason. The first failing stage stops the pipeline; its error (and
 * so its exit code) is the pipeline's. `krel release` is the longest pipeline; a single command is one stage.
 */
import { formatDuration, type Logger } from '../log/logger.js';

export interface Stage<C> {
  name: string;
  /** A reason to skip this stage, or undefined to run it. */
  skip?(ctx: C): string | undefined;
  run(ctx: C): Promise<void>;
}

export type StageStatus = 'done' | 'skipped' | 'failed' | 'not run';

export interface StageRecord {
  name: string;
  status: StageStatus;
  durationMs: number;
  reason?: string;
}

export async function runStages<C>(
  stages: readonly Stage<C>[],
  ctx: C,
  logger: Logger,
): Promise<StageRecord[]> {
  const records: StageRecord[] = stages.map((s) => ({ name: s.name, status: 'not run', durationMs: 0 }));
  try {
    for (const [i, stage] of stages.entries()) await runStage(stage, ctx, records[i]!, logger);
  } finally {
    if (stages.length > 1) logger.info(summaryLines(records).join('\n'));
  }
  return records;
}

async function runStage<C>(stage: Stage<C>, ctx: C, record: StageRecord, logger: Logger): Promise<void> {
  const reason = stage.skip?.(ctx);
  if (reason !== undefined) {
    logger.warn(`${stage.name}: skipped (${reason})`);
    Object.assign(record, { status: 'skipped', reason });
    return;
  }
  const started = Date.now();
  try {
    await logger.section(stage.name, () => stage.run(ctx));
    record.status = 'done';
  } catch (e) {
    record.status = 'failed';
    throw e;
  } finally {
    record.durationMs = Date.now() - started;
  }
}

function summaryLines(records: readonly StageRecord[]): string[] {
  return records.map(
    (r) =>
      `  ${r.status.padEnd(8)} ${r.name}${r.status === 'done' || r.status === 'failed' ? ` (${formatDuration(r.durationMs)})` : ''}${r.reason !== undefined ? `: ${r.reason}` : ''}`,
  );
}
