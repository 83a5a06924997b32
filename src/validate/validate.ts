/**
 * Validation: plan (read-only: steps, targets, artifact source, and the actions: serve the artifacts, then
 * validate each target) and apply (carry out the plan's actions: start the host file server; for each target,
 * provision it, wait for SSH, open the reverse forward to the file server, run its steps, always dispose it).
 */
import { errorMessage, ApplyError, RefusedError, ValidationFailedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { HostKeyMismatchError, forwardIn, waitForSsh, type SshConnection } from '../ssh/index.js';
import { mapLimit } from '../util/concurrency.js';
import type { Target, TargetProvider } from '../vm/types.js';
import { type ArtifactSource, buildResolver, describeSource, stepEnv } from './artifacts.js';
import { startFileServer, type FileServer } from './file-server.js';
import { failedSteps, stepFailed, targetStatus, type TargetReport, type ValidationReport } from './report.js';
import { runSteps } from './runner.js';
import type { Step } from './steps.js';

export interface TargetSpec {
  name: string;
  provider: TargetProvider;
}

/** One thing a validation does, in plan order (targets run concurrently, reported in this order). */
export type ValidateAction =
  | { kind: 'serve-artifacts'; source: ArtifactSource }
  /** Run these steps (by index, replayed ones included) on the target named, in one session. */
  | { kind: 'validate-target'; target: string; steps: number[]; replay: number[] };

export interface ValidatePlan {
  version: 1;
  kind: 'validate';
  doc: string;
  source: ArtifactSource;
  installScript: string;
  /** "shared": the steps share one shell session; "isolated": a fresh bash each. */
  session: 'shared' | 'isolated';
  /** The targets and the guide's steps that run (a summary; the actions say what runs). */
  targets: string[];
  steps: PlannedStep[];
  actions: ValidateAction[];
}

/** A step as the plan shows it: what it is, how it runs, what krel.json changed. */
export type PlannedStep = Pick<
  Step,
  'index' | 'name' | 'line' | 'kind' | 'skip' | 'timeoutSec' | 'expect' | 'overrides'
> & {
  replay?: boolean;
};

export function planValidate(input: {
  doc: string;
  steps: readonly Step[];
  /** Indexes replayed to rebuild the session before the selected steps. */
  replay?: readonly number[];
  session: 'shared' | 'isolated';
  source: ArtifactSource;
  installScript: string;
  targets: readonly TargetSpec[];
}): ValidatePlan {
  const indexes = input.steps.map((s) => s.index);
  const replay = [...(input.replay ?? [])];
  return {
    version: 1,
    kind: 'validate',
    doc: input.doc,
    source: input.source,
    installScript: input.installScript,
    session: input.session,
    targets: input.targets.map((t) => t.name),
    steps: input.steps.map((s) => ({
      index: s.index,
      name: s.name,
      line: s.line,
      kind: s.kind,
      expect: s.expect,
      overrides: s.overrides,
      ...(s.skip !== undefined ? { skip: s.skip } : {}),
      ...(s.timeoutSec !== undefined ? { timeoutSec: s.timeoutSec } : {}),
      ...(replay.includes(s.index) ? { replay: true } : {}),
    })),
    actions: [
      { kind: 'serve-artifacts', source: input.source },
      ...input.targets.map((t) => ({
        kind: 'validate-target' as const,
        target: t.name,
        steps: [...indexes],
        replay: [...replay],
      })),
    ],
  };
}

export interface ApplyValidateOptions {
  plan: ValidatePlan;
  /** The planned steps and targets, looked up by the plan's actions (index, name). */
  steps: readonly Step[];
  targets: readonly TargetSpec[];
  logger: Logger;
  defaultTimeoutSec: number;
  /** Timeout multiplier; default: the target's timeScale (set by its provider), else 1. */
  timeoutScale?: number;
  /** Targets validated at once. Default 2. */
  concurrency?: number;
  /** How long a target may take to answer SSH after provisioning. Default 180 s. */
  sshTimeoutMs?: number;
  network?: boolean;
  keep?: boolean;
  /** Only this target's step output is printed (others at debug level). */
  showOutputOf?: string;
  signal?: AbortSignal;
}

/** A target to validate with its steps, as a validate-target action names them. */
interface TargetRun {
  spec: TargetSpec;
  steps: Step[];
  replay: Set<number>;
}

function planned<T>(found: T | undefined, what: string): T {
  if (found === undefined)
    throw new Error(`internal: the validate plan names ${what}, which was not planned`);
  return found;
}

export async function applyValidate(opts: ApplyValidateOptions): Promise<ValidationReport> {
  const { plan } = opts;
  let server: FileServer | undefined;
  const runs: TargetRun[] = [];
  try {
    for (const a of plan.actions) {
      switch (a.kind) {
        case 'serve-artifacts':
          server = await startFileServer(buildResolver(a.source, { installScript: plan.installScript }));
          opts.logger.debug(`file server on 127.0.0.1:${server.port} (${describeSource(a.source)})`);
          break;
        case 'validate-target':
          runs.push({
            spec: planned(
              opts.targets.find((t) => t.name === a.target),
              `target ${a.target}`,
            ),
            steps: a.steps.map((i) =>
              planned(
                opts.steps.find((s) => s.index === i),
                `step ${i}`,
              ),
            ),
            replay: new Set(a.replay),
          });
          break;
      }
    }
    if (server === undefined) throw new Error('internal: a validate plan without serve-artifacts');
    const files = server;
    // The targets run concurrently; every target gets its report, whatever happens to the others.
    const reports = await mapLimit(
      runs,
      opts.concurrency ?? 2,
      (run) => validateTarget(run, files.port, opts),
      {
        runAll: true,
      },
    );
    opts.logger.debug(`file server answered: ${files.requests.join(', ') || 'nothing'}`);
    return {
      version: 1,
      doc: plan.doc,
      source: describeSource(plan.source),
      tag: plan.source.tag,
      passed: reports.every((r) => r.status === 'passed'),
      targets: reports,
    };
  } finally {
    await server?.close();
  }
}

async function validateTarget(
  { spec, steps: planSteps, replay }: TargetRun,
  serverPort: number,
  opts: ApplyValidateOptions,
): Promise<TargetReport> {
  const log = opts.logger.child(`[${spec.name}] `);
  const started = Date.now();
  let target: Target | undefined;
  let conn: SshConnection | undefined;
  const report = (r: Omit<TargetReport, 'target' | 'durationMs' | 'details'>): TargetReport => ({
    target: spec.name,
    details: target?.details ?? {},
    durationMs: Date.now() - started,
    ...r,
  });
  try {
    target = await log.section('provision', () =>
      spec.provider.provision({
        ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
        ...(opts.network !== undefined ? { network: opts.network } : {}),
        ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
      }),
    );
    const t = target;
    const stop = AbortSignal.any([t.gone, ...(opts.signal !== undefined ? [opts.signal] : [])]);
    conn = await log.section('connect', () =>
      waitForSsh(t.endpoint, {
        deadline: Date.now() + (opts.sshTimeoutMs ?? 180_000),
        signal: stop,
        onAttempt: (n, e) => log.debug(`ssh attempt ${n}: ${e === undefined ? 'connected' : e.message}`),
      }),
    );
    const fwd = await forwardIn(conn, serverPort);
    try {
      const scale = opts.timeoutScale ?? t.timeScale ?? 1;
      if (scale !== 1) log.info(`step timeouts scaled x${scale} (${t.details.accelerator ?? 'slow target'})`);
      const steps = await runSteps({
        conn,
        steps: planSteps,
        replay,
        session: opts.plan.session,
        target: spec.name,
        logger: opts.logger,
        env: stepEnv(opts.plan.source, fwd.remotePort),
        defaultTimeoutSec: opts.defaultTimeoutSec,
        timeoutScale: scale,
        signal: stop,
        showOutput: opts.showOutputOf === undefined || opts.showOutputOf === spec.name,
      });
      if (t.gone.aborted) {
        for (const s of steps)
          if (s.reason === 'interrupted') s.reason = `target died: ${errorMessage(t.gone.reason)}`;
      }
      const status = targetStatus(steps);
      for (const s of steps.filter(stepFailed)) {
        log.error(`step ${s.index} "${s.name}" ${s.status}: ${s.reason ?? ''}`, {
          file: s.file,
          line: s.line,
          title: `krel validate ${spec.name}`,
        });
      }
      const tail = status === 'failed' ? t.consoleTail(40) : '';
      return report({ status, steps, ...(tail.trim() !== '' ? { consoleTail: tail } : {}) });
    } finally {
      await fwd.close();
    }
  } catch (e) {
    const msg = errorMessage(e);
    log.error(msg);
    const tail = target?.consoleTail(40);
    if (tail !== undefined && tail.trim() !== '')
      log.info(`console of ${spec.name} (last lines):\n${tail.trimEnd()}`);
    return report({
      status: 'error',
      error: msg,
      ...(e instanceof HostKeyMismatchError ? { refused: true } : {}),
      steps: [],
      ...(tail !== undefined && tail.trim() !== '' ? { consoleTail: tail } : {}),
    });
  } finally {
    conn?.close();
    if (target !== undefined) {
      try {
        await target.dispose();
      } catch (e) {
        log.warn(`disposing ${spec.name}: ${errorMessage(e)}`);
      }
    }
  }
}

/** The error for the exit code: a failed step (5) outranks a refused host key (3) and a broken target (4). */
export function outcomeError(report: ValidationReport): Error | undefined {
  const failed = failedSteps(report);
  if (failed.length > 0) {
    const first = failed[0]!;
    return new ValidationFailedError(
      `validation failed: ${failed.length} step(s) failed; first: [${first.target}] step ${first.step.index} ` +
        `"${first.step.name}" (${first.step.reason ?? first.step.status})`,
    );
  }
  const refused = report.targets.find((t) => t.refused === true);
  if (refused !== undefined)
    return new RefusedError(refused.error ?? `host key of ${refused.target} refused`);
  const broken = report.targets.find((t) => t.status === 'error');
  if (broken !== undefined) {
    return new ApplyError(`validation could not run on ${broken.target}: ${broken.error ?? 'target error'}`);
  }
  return undefined;
}
