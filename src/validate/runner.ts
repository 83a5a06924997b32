/**
 * Run the steps on one connected target, in order, in the guide's shell session (session.ts) unless isolated:
 * each step under timeout(1), output streamed through the logger as `[target step N] ...`. Transcript steps
 * compare each command's output with the transcript (expected-output.ts). The first failing step stops the run
 * (steps depend on each other; continueOnError lets one fail); the rest are reported as not run.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { exec, type SshConnection } from '../ssh/index.js';
import { ExpectMatcher, LineSplitter, Tail } from './output.js';
import { closeSessionCommand, sessionDir, stepShellCommand } from './session.js';
import { markers, stepProgram } from './step-program.js';
import type { Step } from './steps.js';
import { TranscriptCheck, transcriptVerdict } from './transcript-check.js';

export type StepStatus = 'passed' | 'failed' | 'skipped' | 'timed-out' | 'not-run';

export interface StepResult {
  index: number;
  name: string;
  file: string;
  line: number;
  status: StepStatus;
  exitCode: number | null;
  durationMs: number;
  /** Effective timeout in seconds (after scaling). */
  timeoutSec: number;
  /** Last lines of stdout and stderr, interleaved as received. */
  outputTail: string[];
  /** expect texts the output did not contain. */
  expectMissing?: string[];
  /** A transcript command whose output differs: the unified diff, expected -> actual. */
  diff?: string[];
  /** Why the step did not run or did not pass, in one line. */
  reason?: string;
  /** The step may fail without failing the run (continueOnError). */
  continueOnError?: boolean;
  /** Run only to rebuild the session's state before the selected steps (--from-step). */
  replayed?: boolean;
}

export interface RunStepsOptions {
  conn: SshConnection;
  steps: readonly Step[];
  /** Target name, used in every log prefix. */
  target: string;
  logger: Logger;
  env: Readonly<Record<string, string>>;
  defaultTimeoutSec: number;
  /** "shared" (default): one shell session for the steps; "isolated": a fresh bash per step. */
  session?: 'shared' | 'isolated';
  /** Indexes of steps run only to rebuild the session (reported as replayed). */
  replay?: ReadonlySet<number>;
  /** Multiplier for every timeout (slow emulated targets). */
  timeoutScale?: number;
  tailLines?: number;
  signal?: AbortSignal;
  /** Print step output at info level (otherwise only with --verbose). Default true. */
  showOutput?: boolean;
  /** Told when a step starts running and when its result is known (skipped and not-run ones included). */
  onStep?: (e: { started: boolean; step: Step; result?: StepResult }) => void;
}

type Outcome = Pick<
  StepResult,
  'status' | 'exitCode' | 'durationMs' | 'outputTail' | 'expectMissing' | 'diff' | 'reason'
>;

export async function runSteps(opts: RunStepsOptions): Promise<StepResult[]> {
  const session = { dir: sessionDir(randomBytes(16).toString('hex')), created: false };
  try {
    return await runAll(opts, session);
  } finally {
    if (session.created) {
      // Always, even after an interrupt: what the steps left running dies with the session.
      await exec(opts.conn, closeSessionCommand(session.dir), { timeoutMs: 30_000 }).catch(() => undefined);
    }
  }
}

async function runAll(
  opts: RunStepsOptions,
  session: { dir: string; created: boolean },
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const scale = opts.timeoutScale ?? 1;
  let stopped: string | undefined;
  /** The shared steps that ended on their own, newest first: where the next step's state comes from. */
  const ended: number[] = [];
  const push = (step: Step, r: StepResult): void => {
    results.push(r);
    opts.onStep?.({ started: false, step, result: r });
  };
  for (const step of opts.steps) {
    const timeoutSec = Math.ceil((step.timeoutSec ?? opts.defaultTimeoutSec) * scale);
    const base = {
      index: step.index,
      name: step.name,
      file: step.file,
      line: step.line,
      timeoutSec,
      ...(step.continueOnError === true ? { continueOnError: true } : {}),
      ...(opts.replay?.has(step.index) === true ? { replayed: true } : {}),
    };
    const log = opts.logger.child(`[${opts.target} step ${step.index}] `);
    const idle = { exitCode: null, durationMs: 0, outputTail: [] };
    if (stopped !== undefined || opts.signal?.aborted) {
      push(step, { ...base, ...idle, status: 'not-run', reason: stopped ?? 'interrupted' });
      continue;
    }
    if (step.skip !== undefined) {
      log.info(`${step.name}: skipped (${step.skip})`);
      push(step, { ...base, ...idle, status: 'skipped', reason: step.skip });
      continue;
    }
    opts.onStep?.({ started: true, step });
    const shared = opts.session !== 'isolated' && step.isolated !== true;
    log.info(`${step.name} (timeout ${timeoutSec}s${base.replayed === true ? ', replayed' : ''})`);
    // The first step to run makes the session directory; the close removes it from then on, whatever happens.
    const create = !session.created;
    session.created = true;
    const outcome = await runOne(opts, step, {
      timeoutSec,
      log,
      session: { dir: session.dir, shared, index: step.index, from: [...ended], create },
    });
    if (shared && outcome.status !== 'timed-out') ended.unshift(step.index);
    const r: StepResult = { ...base, ...outcome };
    push(step, r);
    log.info(
      `${step.name}: ${r.status}${r.reason !== undefined ? ` (${r.reason})` : ''} in ${(r.durationMs / 1000).toFixed(1)}s`,
    );
    for (const l of r.diff ?? []) log.info(l);
    if (r.status !== 'passed') {
      if (step.continueOnError === true)
        log.warn(`step ${step.index} did not pass; continuing (continueOnError)`);
      else stopped = `step ${step.index} "${step.name}" did not pass`;
    }
  }
  return results;
}

async function runOne(
  opts: RunStepsOptions,
  step: Step,
  how: {
    timeoutSec: number;
    log: Logger;
    session: { dir: string; shared: boolean; index: number; from: readonly number[]; create: boolean };
  },
): Promise<Outcome> {
  const { timeoutSec, log } = how;
  const tail = new Tail(opts.tailLines ?? 40);
  const matcher = new ExpectMatcher(step.expect);
  const show = opts.showOutput ?? true;
  const onLine = (line: string): void => {
    tail.add(line);
    if (show) log.info(line);
    else log.debug(line);
  };
  const nonce = randomBytes(8).toString('hex');
  const mark = markers(nonce);
  const transcript = step.kind === 'transcript' ? new TranscriptCheck(step, mark.end, onLine) : undefined;
  const deliver = transcript !== undefined ? (l: string): void => transcript.line(l) : onLine;
  // The exit marker ends the step; a blank line is held back, as the marker's own newline may have made it.
  const exited = new AbortController();
  let exitStatus: number | undefined;
  let held = false;
  const out = new LineSplitter((l) => {
    const m = exitStatus === undefined ? mark.exit.exec(l) : null;
    if (m !== null) {
      held = false;
      exitStatus = Number(m[1]);
      exited.abort();
      return;
    }
    if (held) deliver('');
    held = l === '' && exitStatus === undefined;
    if (!held) deliver(l);
  });
  const err = new LineSplitter(onLine);
  const r = await exec(
    opts.conn,
    stepShellCommand({
      program: stepProgram(step, nonce),
      timeoutSec,
      afterExit: mark.printExit,
      session: how.session,
      ...(step.env !== undefined ? { env: step.env } : {}),
    }),
    {
      env: opts.env,
      // timeout(1) on the target stops the step; this is the backstop if the target stops answering.
      timeoutMs: (timeoutSec + 20) * 1000,
      until: exited.signal,
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
      onStdout: (d) => matcher.push('stdout', out.push(d)),
      onStderr: (d) => matcher.push('stderr', err.push(d)),
    },
  );
  if (!r.detached) {
    out.flush();
    err.flush();
  }
  const exitCode = exitStatus ?? r.exitCode;
  const common = { exitCode, durationMs: r.durationMs, outputTail: tail.get() };
  const remoteTimeout = (exitCode === 124 || exitCode === 137) && r.durationMs >= timeoutSec * 1000 - 1000;
  if (r.aborted) return { ...common, status: 'failed', reason: 'interrupted' };
  if (r.timedOut || remoteTimeout) {
    return { ...common, status: 'timed-out', reason: `no result within ${timeoutSec}s` };
  }
  if (transcript !== undefined) {
    const verdict = transcriptVerdict(step, transcript, exitCode);
    if (verdict !== undefined) return { ...common, status: 'failed', ...verdict };
  } else if (exitCode !== 0) {
    const how2 = exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit code ${exitCode}`;
    return { ...common, status: 'failed', reason: how2 };
  }
  const missing = matcher.missing();
  if (missing.length > 0) {
    return {
      ...common,
      status: 'failed',
      expectMissing: missing,
      reason: `output lacks ${missing.map((m) => JSON.stringify(m)).join(', ')}`,
    };
  }
  return { ...common, status: 'passed' };
}
