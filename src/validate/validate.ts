/**
 * Validation: plan (read-only: steps, targets, artifact source, and the actions: serve the artifacts, then
 * validate each target) and apply (carry out the plan's actions: start the host file server; for each target,
 * provision it, wait for SSH, open the reverse forward to the file server, run its steps, always dispose it).
 */
import { ApplyError, RefusedError, ValidationFailedError } from '../errors/index.js';
import { mapLimit } from '../util/concurrency.js';
import { type ArtifactSource, buildResolver, describeSource } from './artifacts.js';
import { startFileServer, type FileServer } from './file-server.js';
import { failedSteps, type TargetReport, type ValidationReport } from './report.js';
import type { Step } from './steps.js';
import { validateTarget, type TargetRun, type TargetRunOptions, type TargetSpec } from './validate-target.js';

export type { TargetSpec } from './validate-target.js';

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

/** What applying a plan needs: the per-target options (validate-target.ts) that are the same for every target. */
export interface ApplyValidateOptions extends Omit<
  TargetRunOptions,
  'source' | 'session' | 'serverPort' | 'label' | 'cancel'
> {
  plan: ValidatePlan;
  /** The planned steps and targets, looked up by the plan's actions (index, name). */
  steps: readonly Step[];
  targets: readonly TargetSpec[];
  /** Targets validated at once: VMs and hosts (default 2 each). */
  slots?: { vms: number; hosts: number };
  /** The first target that fails cancels the others. */
  failFast?: boolean;
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
    // The targets run concurrently; every target gets its report, whatever happens to the others (unless
    // --fail-fast: then the first failure cancels the rest).
    const width = Math.max(...runs.map((r) => r.spec.name.length));
    const cancel = new AbortController();
    const one = async (run: TargetRun): Promise<TargetReport> => {
      const r = await validateTarget(run, {
        ...opts,
        source: plan.source,
        session: plan.session,
        serverPort: files.port,
        label: run.spec.name.padEnd(width),
        cancel: cancel.signal,
      });
      if (
        opts.failFast === true &&
        (r.status === 'failed' || r.status === 'error') &&
        !cancel.signal.aborted
      ) {
        opts.logger.warn(`${run.spec.name} ${r.status}: cancelling the other targets (--fail-fast)`);
        cancel.abort();
      }
      return r;
    };
    // VMs and hosts each have their slots; the reports keep the plan's order.
    const group = (kind: 'vm' | 'host', limit: number): Promise<TargetReport[]> =>
      mapLimit(
        runs.filter((r) => r.spec.kind === kind),
        limit,
        one,
        { runAll: true },
      );
    const [vms, hosts] = await Promise.all([
      group('vm', opts.slots?.vms ?? 2),
      group('host', opts.slots?.hosts ?? 2),
    ]);
    const done = new Map([...vms, ...hosts].map((r) => [r.target, r]));
    const reports = runs.map((r) => done.get(r.spec.name)!);
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
