/**
 * Which steps a run takes: all, `--steps 2-5,7`, or `--from-step N` (steps N.. with 1..N-1 replayed first to
 * rebuild the session's state, unless `--no-replay`). Numbers are the guide's block numbers (`--lint` prints
 * them).
 */
import { UsageError } from '../errors/index.js';

export interface StepSelection {
  /** --steps LIST */
  steps?: string;
  /** --from-step N */
  fromStep?: number;
  /** false: --no-replay */
  replay?: boolean;
}

export interface SelectedSteps {
  /** Every index run, in order (replayed ones included). */
  run: number[];
  /** The ones run only to rebuild the session. */
  replay: number[];
}

function parseList(list: string, count: number): Set<number> {
  const picked = new Set<number>();
  for (const part of list.split(',').map((p) => p.trim())) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const from = Number(m?.[1]);
    const to = m?.[2] !== undefined ? Number(m[2]) : from;
    if (m === null || from < 1 || to < from) {
      throw new UsageError(`--steps ${list}: expected block numbers and ranges such as 2-5,7`);
    }
    if (to > count) throw new UsageError(`--steps ${list}: the guide has ${count} blocks`);
    for (let i = from; i <= to; i++) picked.add(i);
  }
  return picked;
}

export function selectSteps(count: number, sel: StepSelection): SelectedSteps {
  const all = Array.from({ length: count }, (_, i) => i + 1);
  if (sel.steps !== undefined && sel.fromStep !== undefined) {
    throw new UsageError('--steps and --from-step exclude each other: pick one');
  }
  if (sel.replay === false && sel.fromStep === undefined) {
    throw new UsageError('--no-replay goes with --from-step N');
  }
  if (sel.steps !== undefined) {
    const picked = parseList(sel.steps, count);
    return { run: all.filter((i) => picked.has(i)), replay: [] };
  }
  if (sel.fromStep !== undefined) {
    if (sel.fromStep > count)
      throw new UsageError(`--from-step ${sel.fromStep}: the guide has ${count} blocks`);
    const replay = sel.replay === false ? [] : all.filter((i) => i < sel.fromStep!);
    return { run: [...replay, ...all.filter((i) => i >= sel.fromStep!)], replay };
  }
  return { run: all, replay: [] };
}
