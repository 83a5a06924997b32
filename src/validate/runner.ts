/**
 * Run the steps on one connected target, in order: each in a fresh bash with `set -euo pipefail`, under timeout(1),
 * output streamed through the logger as `[target step N] ...`. The first failing step stops the run (steps
 * depend on each other); the rest are reported as not run.
 */
import type { Logger } from '../log/logger.js';
import { exec, shellQuote, type SshConnection } from '../ssh/index.js';
import { ExpectMatcher, LineSplitter, Tail } from './output.js';
import type { Step } from './steps.js';

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
  /** Why the step did not run or did not pass, in one line. */
  reason?: string;
}

export interface RunStepsOptions {
  conn: SshConnection;
  steps: readonly Step[];
  /** Target name, used in every log prefix. */
  target: string;
  logger: Logger;
  env: Readonly<Record<string, string>>;
  defaultTimeoutSec: number;
  /** Multiplier for every timeout (slow emulated targets). */
  timeoutScale?: number;
  tailLines?: number;
  signal?: AbortSignal;
  /** Print step output at info level (otherwise only with --verbose). Default true. */
  showOutput?: boolean;
}

/**
 * The command sent for one step: the script is one quoted word; timeout(1) kills its whole process group.
 * The shell options are set inside the script, after any rc file the server's bash reads (Debian's bash reads
 * bash.bashrc under sshd, and it is not written for -u); on the script's first line, so line numbers hold.
 */
export function stepCommand(script: string, timeoutSec: number): string {
  const body = `set -euo pipefail; ${script}`;
  return `cd && exec timeout --kill-after=10 ${timeoutSec} bash -c ${shellQuote(body)}`;
}

export async function runSteps(opts: RunStepsOptions): Promise<StepResult[]> {
  const results: StepResult[] = [];
  const scale = opts.timeoutScale ?? 1;
  let stopped: string | undefined;
  for (const step of opts.steps) {
    const timeoutSec = Math.ceil((step.timeoutSec ?? opts.defaultTimeoutSec) * scale);
    const base = {
      index: step.index,
      name: step.name,
      file: step.file,
      line: step.line,
      timeoutSec,
    };
    const log = opts.logger.child(`[${opts.target} step ${step.index}] `);
    if (stopped !== undefined || opts.signal?.aborted) {
      results.push({
        ...base,
        status: 'not-run',
        exitCode: null,
        durationMs: 0,
        outputTail: [],
        reason: stopped ?? 'interrupted',
      });
      continue;
    }
    if (step.skip !== undefined) {
      log.info(`${step.name}: skipped (${step.skip})`);
      results.push({
        ...base,
        status: 'skipped',
        exitCode: null,
        durationMs: 0,
        outputTail: [],
        reason: step.skip,
      });
      continue;
    }
    log.info(`${step.name} (timeout ${timeoutSec}s)`);
    const result = await runOne(opts, step, timeoutSec, log);
    const r: StepResult = { ...base, ...result };
    results.push(r);
    log.info(
      `${step.name}: ${r.status}${r.reason !== undefined ? ` (${r.reason})` : ''} in ${(r.durationMs / 1000).toFixed(1)}s`,
    );
    if (r.status !== 'passed') stopped = `step ${step.index} "${step.name}" did not pass`;
  }
  return results;
}

async function runOne(
  opts: RunStepsOptions,
  step: Step,
  timeoutSec: number,
  log: Logger,
): Promise<
  Pick<StepResult, 'status' | 'exitCode' | 'durationMs' | 'outputTail' | 'expectMissing' | 'reason'>
> {
  const tail = new Tail(opts.tailLines ?? 40);
  const matcher = new ExpectMatcher(step.expect);
  const show = opts.showOutput ?? true;
  const onLine = (line: string): void => {
    tail.add(line);
    if (show) log.info(line);
    else log.debug(line);
  };
  const out = new LineSplitter(onLine);
  const err = new LineSplitter(onLine);
  const r = await exec(opts.conn, stepCommand(step.script, timeoutSec), {
    env: opts.env,
    // timeout(1) on the target stops the step; this is the backstop if the target stops answering.
    timeoutMs: (timeoutSec + 20) * 1000,
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    onStdout: (d) => matcher.push('stdout', out.push(d)),
    onStderr: (d) => matcher.push('stderr', err.push(d)),
  });
  out.flush();
  err.flush();
  const common = { exitCode: r.exitCode, durationMs: r.durationMs, outputTail: tail.get() };
  const remoteTimeout =
    (r.exitCode === 124 || r.exitCode === 137) && r.durationMs >= timeoutSec * 1000 - 1000;
  if (r.aborted) return { ...common, status: 'failed', reason: 'interrupted' };
  if (r.timedOut || remoteTimeout) {
    return { ...common, status: 'timed-out', reason: `no result within ${timeoutSec}s` };
  }
  if (r.exitCode !== 0) {
    const how = r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit code ${r.exitCode}`;
    return { ...common, status: 'failed', reason: how };
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
