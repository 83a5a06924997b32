/**
 * One target of a validation: provision it, wait for SSH, open the reverse forward to the host's file server,
 * run its steps in one session, always dispose it. Its lines carry a fixed-width `[target]` prefix and also go to
 * its own log file (--log-dir); its progress goes to the event stream (--events). Whatever happens, it returns
 * its report.
 */
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { HostKeyMismatchError, forwardIn, waitForSsh, type SshConnection } from '../ssh/index.js';
import type { Target, TargetProvider } from '../vm/types.js';
import { stepEnv, type ArtifactSource } from './artifacts.js';
import type { EventSink } from './events.js';
import { stepFailed, targetStatus, type TargetReport } from './report.js';
import { runSteps } from './runner.js';
import type { Step } from './steps.js';
import { openTargetLog } from './target-logs.js';

export interface TargetSpec {
  name: string;
  /** A VM started on this machine, or an existing host (VMs are bounded by this machine's cores and memory). */
  kind: 'vm' | 'host';
  provider: TargetProvider;
}

/** A target to validate with its steps, as a validate-target action names them. */
export interface TargetRun {
  spec: TargetSpec;
  steps: Step[];
  replay: Set<number>;
}

export interface TargetRunOptions {
  source: ArtifactSource;
  session: 'shared' | 'isolated';
  serverPort: number;
  /** The target's name padded to the longest one, for the log prefix. */
  label: string;
  logger: Logger;
  defaultTimeoutSec: number;
  /** Timeout multiplier; default: the target's timeScale (set by its provider), else 1. */
  timeoutScale?: number;
  /** How long a target may take to answer SSH after provisioning. Default 180 s. */
  sshTimeoutMs?: number;
  network?: boolean;
  keep?: boolean;
  /** Only this target's step output is printed (others at debug level). */
  showOutputOf?: string;
  /** Each target's full log goes to <logDir>/<target>.log. */
  logDir?: string;
  /** The NDJSON event stream (--events). */
  events?: EventSink;
  signal?: AbortSignal;
  /** Aborted when another target failed under --fail-fast. */
  cancel?: AbortSignal;
}

const CANCELLED = 'cancelled: another target failed (--fail-fast)';

export async function validateTarget(run: TargetRun, opts: TargetRunOptions): Promise<TargetReport> {
  const { spec } = run;
  const file = opts.logDir !== undefined ? openTargetLog(opts.logDir, spec.name) : undefined;
  const base = file !== undefined ? opts.logger.withSink(file.write) : opts.logger;
  const log = base.child(`[${opts.label}] `);
  const emit: EventSink = (e) => opts.events?.(e);
  emit({ target: spec.name, event: 'target-start' });
  const report = await runTarget(run, opts, base, log);
  const cancelled =
    opts.cancel?.aborted === true && opts.signal?.aborted !== true && report.status !== 'passed';
  const final: TargetReport = cancelled ? asCancelled(report) : report;
  if (file !== undefined) final.logFile = file.path;
  emit({
    target: spec.name,
    event: 'target-end',
    status: final.status,
    durationMs: final.durationMs,
    ...(final.error !== undefined ? { reason: final.error } : {}),
  });
  file?.close();
  return final;
}

/** A target stopped by --fail-fast: its interrupted steps did not fail, they were not run. */
function asCancelled(r: TargetReport): TargetReport {
  const steps = r.steps.map((s) =>
    s.reason === 'interrupted' ? { ...s, status: 'not-run' as const, reason: CANCELLED } : s,
  );
  const rest: TargetReport = { ...r, status: 'cancelled', steps };
  delete rest.error;
  delete rest.refused;
  return rest;
}

async function runTarget(
  run: TargetRun,
  opts: TargetRunOptions,
  base: Logger,
  log: Logger,
): Promise<TargetReport> {
  const { spec } = run;
  const started = Date.now();
  let target: Target | undefined;
  let conn: SshConnection | undefined;
  const report = (r: Omit<TargetReport, 'target' | 'durationMs' | 'details'>): TargetReport => ({
    target: spec.name,
    details: target?.details ?? {},
    durationMs: Date.now() - started,
    ...r,
  });
  const stopping = [opts.signal, opts.cancel].filter((s): s is AbortSignal => s !== undefined);
  try {
    target = await log.section('provision', () =>
      spec.provider.provision({
        logger: log,
        ...(stopping.length > 0 ? { signal: AbortSignal.any(stopping) } : {}),
        ...(opts.network !== undefined ? { network: opts.network } : {}),
        ...(opts.keep !== undefined ? { keep: opts.keep } : {}),
      }),
    );
    const t = target;
    const stop = AbortSignal.any([t.gone, ...stopping]);
    // A restored VM hands over the connection that set its clock; any other target is logged into here.
    conn =
      t.takeConnection?.() ??
      (await log.section('connect', () =>
        waitForSsh(t.endpoint, {
          deadline: Date.now() + (opts.sshTimeoutMs ?? 180_000),
          signal: stop,
          onAttempt: (n, e) => log.debug(`ssh attempt ${n}: ${e === undefined ? 'connected' : e.message}`),
        }),
      ));
    opts.events?.({ target: spec.name, event: 'target-ready', ...bootOf(t) });
    const fwd = await forwardIn(conn, opts.serverPort);
    try {
      const scale = opts.timeoutScale ?? t.timeScale ?? 1;
      if (scale !== 1) log.info(`step timeouts scaled x${scale} (${t.details.accelerator ?? 'slow target'})`);
      const steps = await runSteps({
        conn,
        steps: run.steps,
        replay: run.replay,
        session: opts.session,
        target: opts.label,
        logger: base,
        env: stepEnv(opts.source, fwd.remotePort),
        defaultTimeoutSec: opts.defaultTimeoutSec,
        timeoutScale: scale,
        signal: stop,
        showOutput: opts.showOutputOf === undefined || opts.showOutputOf === spec.name,
        onStep: ({ started: begun, step, result }) =>
          opts.events?.({
            target: spec.name,
            event: begun ? 'step-start' : 'step-end',
            step: step.index,
            name: step.name,
            ...(result !== undefined
              ? {
                  status: result.status,
                  durationMs: result.durationMs,
                  ...(result.reason !== undefined ? { reason: result.reason } : {}),
                }
              : {}),
          }),
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
    if (opts.cancel?.aborted !== true) log.error(msg);
    const tail = target?.consoleTail(40);
    if (tail !== undefined && tail.trim() !== '' && opts.cancel?.aborted !== true)
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

/** How the target came up, when its provider says (a VM: "cold boot" or "restored"). */
function bootOf(t: Target): { boot?: string } {
  const boot = t.details.boot ?? t.details.kind;
  return boot !== undefined ? { boot } : {};
}
