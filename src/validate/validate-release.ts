/**
 * The validate domain functions over the release context: planValidation (read-only: the guide's steps, the
 * artifact source, the targets) and applyValidation (run it, write the reports, fail with exit 5 on a failed
 * step). `krel validate` and the two validate stages of `krel release` call these and nothing else.
 */
import path from 'node:path';
import type { ReleaseContext } from '../context/release-context.js';
import type { Logger } from '../log/logger.js';
import { InterruptedError, UsageError } from '../errors/index.js';
import { appendStepSummary } from '../log/ci.js';
import { redact } from '../log/redact.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { checkArtifacts, checkSignedRelease, describeSource, hasReleaseKey } from './artifacts.js';
import { downloadReleaseFiles } from './release-download.js';
import { checkOutputPaths } from './output-paths.js';
import type { ValidationReport } from './report.js';
import { toJunitXml } from './report-junit.js';
import { toMarkdown } from './report-markdown.js';
import { formatMatrix, formatSummary } from './report-table.js';
import { openEventFile } from './events.js';
import { targetSlots } from './target-slots.js';
import { resolveSource, type SourceOptions } from './source.js';
import { lintError, lintGuide, formatLint, type LintReport } from './lint.js';
import type { LintTargets } from './lint-rules.js';
import { applyOverrides, unmatchedMessage } from './overrides.js';
import { selectSteps, type StepSelection } from './step-selection.js';
import { loadGuide, type Guide, type Step } from './steps.js';
import { VALIDATE_DEFAULTS } from './defaults.js';
import { buildTargets, parseImageList } from './targets.js';
import { applyValidate, outcomeError, planValidate, type TargetSpec, type ValidatePlan } from './validate.js';

/** Every validate option, defaults applied (validationOptions). */
export interface ValidationOptions extends SourceOptions, StepSelection {
  /** Guest images for fresh VMs ([] with only hosts). */
  vm: string[];
  /** Cloud image files for fresh VMs (--vm-image), absolute. */
  vmImages: string[];
  hosts: string[];
  identity?: string;
  knownHostKey?: string;
  knownHostsFile?: string;
  /** The guide (absolute). */
  doc: string;
  vmNetwork: boolean;
  keep: boolean;
  /** Boot VMs from scratch instead of restoring their image's saved machine state (--cold-boot). */
  coldBoot: boolean;
  junit?: string;
  /** The JSON report, also written to this file (--report). */
  report?: string;
  /** Targets at once; undefined: as many VMs as this machine holds (target-slots.ts), every host. */
  concurrency?: number;
  stepTimeoutSec: number;
  timeoutScale?: number;
  sshTimeoutSec: number;
  showOutputOf?: string;
  session: 'shared' | 'isolated';
  logDir?: string;
  /** The NDJSON event stream's file. */
  events?: string;
  failFast: boolean;
}

/** What the command line may say; everything else comes from krel.json or a default, here and only here. */
export interface ValidationRequest extends SourceOptions, StepSelection {
  vm?: string | true;
  vmImage?: string[];
  host?: string[];
  identity?: string;
  knownHostKey?: string;
  knownHosts?: string;
  doc?: string;
  vmNetwork?: boolean;
  keep?: boolean;
  coldBoot?: boolean;
  junit?: string;
  report?: string;
  concurrency?: number;
  stepTimeout?: number;
  timeoutScale?: number;
  sshTimeout?: number;
  showOutput?: string;
  logDir?: string;
  events?: string;
  failFast?: boolean;
}

export function validationOptions(ctx: ReleaseContext, r: ValidationRequest): ValidationOptions {
  const abs = (p: string): string => path.resolve(ctx.cwd, p);
  const onVm = (r.host === undefined && r.vmImage === undefined) || r.vm !== undefined;
  const vm = !onVm ? [] : r.vm === undefined || r.vm === true ? ctx.config.validate.vm : parseImageList(r.vm);
  return {
    vm,
    vmImages: (r.vmImage ?? []).map(abs),
    hosts: r.host ?? [],
    doc: r.doc !== undefined ? abs(r.doc) : ctx.config.validate.doc,
    vmNetwork: r.vmNetwork ?? false,
    keep: r.keep ?? false,
    coldBoot: r.coldBoot ?? false,
    failFast: r.failFast ?? false,
    stepTimeoutSec: r.stepTimeout ?? ctx.config.validate.stepTimeoutSec,
    sshTimeoutSec: r.sshTimeout ?? VALIDATE_DEFAULTS.sshTimeoutSec,
    session: ctx.config.validate.session,
    ...(r.steps !== undefined ? { steps: r.steps } : {}),
    ...(r.fromStep !== undefined ? { fromStep: r.fromStep } : {}),
    ...(r.replay !== undefined ? { replay: r.replay } : {}),
    ...(r.identity !== undefined ? { identity: abs(r.identity) } : {}),
    ...(r.knownHostKey !== undefined ? { knownHostKey: r.knownHostKey } : {}),
    ...(r.knownHosts !== undefined ? { knownHostsFile: abs(r.knownHosts) } : {}),
    ...(r.junit !== undefined ? { junit: abs(r.junit) } : {}),
    ...(r.report !== undefined ? { report: abs(r.report) } : {}),
    ...(r.logDir !== undefined ? { logDir: abs(r.logDir) } : {}),
    ...(r.events !== undefined ? { events: abs(r.events) } : {}),
    ...(r.concurrency !== undefined ? { concurrency: r.concurrency } : {}),
    ...(r.timeoutScale !== undefined ? { timeoutScale: r.timeoutScale } : {}),
    ...(r.showOutput !== undefined ? { showOutputOf: r.showOutput } : {}),
    ...(r.dist !== undefined ? { dist: r.dist } : {}),
    ...(r.release !== undefined ? { release: r.release } : {}),
    ...(r.store !== undefined ? { store: r.store } : {}),
  };
}

/** A planned validation: the printable plan and what applying it needs. */
export interface PlannedValidation {
  plan: ValidatePlan;
  steps: readonly Step[];
  targets: readonly TargetSpec[];
  options: ValidationOptions;
}

/**
 * The guide as it will run: its blocks with krel.json's overrides applied. An override that picks no block of
 * the configured guide is an error (the guide changed under it); of another guide (--doc), a warning.
 */
async function guideOf(ctx: ReleaseContext, o: ValidationOptions): Promise<{ doc: string; guide: Guide }> {
  const doc = path.relative(ctx.cwd, o.doc) || o.doc;
  const raw = await loadGuide(o.doc, doc);
  const { steps, unmatched } = applyOverrides(raw.steps, ctx.config.validate.steps);
  const first = unmatched[0];
  if (first !== undefined && path.resolve(o.doc) === path.resolve(ctx.config.validate.doc)) {
    throw new UsageError(unmatchedMessage(first, doc));
  }
  for (const u of unmatched) ctx.logger.warn(unmatchedMessage(u, doc));
  return { doc, guide: { ...raw, steps } };
}

/** `krel validate --lint`: every block classified, nothing booted, no artifacts needed. */
export async function lintValidation(ctx: ReleaseContext, o: ValidationOptions): Promise<LintReport> {
  const { doc, guide } = await guideOf(ctx, o);
  return lintGuide(doc, guide, lintTargets(ctx, o));
}

function lintTargets(ctx: ReleaseContext, o: ValidationOptions): LintTargets {
  const c = ctx.config;
  return {
    vm: o.vm.length > 0 || o.vmImages.length > 0,
    network: o.vmNetwork,
    releaseFiles: [
      ...c.archives.map((a) => a.name),
      ...c.assets.map((a) => a.name),
      path.basename(c.validate.installScript),
      'default-release',
    ],
  };
}

export async function planValidation(ctx: ReleaseContext, o: ValidationOptions): Promise<PlannedValidation> {
  const { doc: docName, guide } = await guideOf(ctx, o);
  const lint = lintGuide(docName, guide, lintTargets(ctx, o));
  const notes = formatLint(lint);
  ctx.logger.info(notes[0] ?? '');
  for (const b of lint.blocks.filter((x) => x.verdict === 'suspicious' || x.verdict === 'fails')) {
    ctx.logger.warn(
      `block ${b.index} "${b.name}" (line ${b.line}): ${b.findings.map((f) => f.message).join('; ')}`,
    );
  }
  for (const p of lint.prose) ctx.logger.warn(`${docName}:${p.line}: ${p.message}: ${p.code}`);
  const bad = lintError(lint);
  if (bad !== undefined) throw bad;
  const selected = selectSteps(guide.steps.length, o);
  const steps = guide.steps.filter((s) => selected.run.includes(s.index));
  checkOutputPaths(o);
  const source = resolveSource(ctx, o);
  const installScript = ctx.config.validate.installScript;
  checkArtifacts(source, { installScript });
  if (source.kind === 'url' && (o.vm.length > 0 || o.vmImages.length > 0) && !o.vmNetwork) {
    throw new UsageError(
      `--release ${source.tag} downloads from ${source.baseUrl}, which a VM cannot reach without --vm-network`,
    );
  }
  const targets = await buildTargets({
    vm: o.vm,
    vmImages: o.vmImages,
    coldBoot: o.coldBoot,
    hosts: o.hosts,
    ...(o.identity !== undefined ? { identity: o.identity } : {}),
    hostKeys: {
      ...(o.knownHostKey !== undefined ? { knownHostKey: o.knownHostKey } : {}),
      ...(o.knownHostsFile !== undefined ? { knownHostsFile: o.knownHostsFile } : {}),
    },
    logger: ctx.logger,
  });
  if (o.showOutputOf !== undefined && !targets.some((t) => t.name === o.showOutputOf)) {
    throw new UsageError(
      `--show-output ${o.showOutputOf}: no such target (targets: ${targets.map((t) => t.name).join(', ')})`,
    );
  }
  const plan = planValidate({
    doc: docName,
    steps,
    replay: selected.replay,
    session: o.session,
    source,
    installScript,
    targets,
  });
  return { plan, steps, targets, options: o };
}

export async function applyValidation(ctx: ReleaseContext, v: PlannedValidation): Promise<ValidationReport> {
  const { plan, options: o } = v;
  ctx.logger.info(
    `validating ${plan.doc} (${v.steps.length} steps) on ${plan.targets.join(', ')}: ${describeSource(plan.source)}`,
  );
  const src = plan.source;
  if (src.kind === 'url' && hasReleaseKey({ installScript: plan.installScript })) {
    // A release on GitHub is checked here, like a local one in the plan, before any target installs it.
    const files = await downloadReleaseFiles(src.baseUrl, src.tag, ctx.signal);
    if (files.sums === undefined) {
      throw new UsageError(
        `release ${src.tag} has no SHA256SUMS at ${src.baseUrl}/${src.tag}/: publish it first`,
      );
    }
    checkSignedRelease(`release ${src.tag} at ${src.baseUrl}`, files, { installScript: plan.installScript });
    ctx.logger.info(`release ${src.tag}: signature and attestations verified before installing`);
  }
  const count = (kind: 'vm' | 'host'): number => v.targets.filter((t) => t.kind === kind).length;
  const slots = targetSlots({ vms: count('vm'), hosts: count('host') }, o.concurrency);
  if (v.targets.length > 1) ctx.logger.info(`targets at once: ${slots.reason}`);
  const events = o.events !== undefined ? openEventFile(o.events) : undefined;
  let report: ValidationReport;
  try {
    report = await applyValidate({
      plan,
      steps: v.steps,
      targets: v.targets,
      logger: ctx.logger,
      defaultTimeoutSec: o.stepTimeoutSec,
      slots,
      sshTimeoutMs: o.sshTimeoutSec * 1000,
      network: o.vmNetwork,
      keep: o.keep,
      failFast: o.failFast,
      signal: ctx.signal,
      ...(o.timeoutScale !== undefined ? { timeoutScale: o.timeoutScale } : {}),
      ...(o.showOutputOf !== undefined ? { showOutputOf: o.showOutputOf } : {}),
      ...(o.logDir !== undefined ? { logDir: o.logDir } : {}),
      ...(events !== undefined ? { events: events.emit } : {}),
    });
  } finally {
    events?.close();
  }
  await writeReports(ctx.logger, ctx.env, report, o);
  return report;
}

/** The summary on stderr, and the report files asked for (--junit, --report, the CI step summary). */
export async function writeReports(
  logger: Logger,
  env: Readonly<Record<string, string | undefined>>,
  report: ValidationReport,
  o: { junit?: string; report?: string },
): Promise<void> {
  for (const line of [...formatSummary(report), ...formatMatrix(report)]) logger.info(line);
  if (o.junit !== undefined) {
    await writeFileAtomic(o.junit, redact(toJunitXml(report)));
    logger.info(`JUnit report: ${o.junit}`);
  }
  if (o.report !== undefined) {
    await writeFileAtomic(o.report, redact(`${JSON.stringify(report, null, 2)}\n`));
    logger.info(`JSON report: ${o.report}`);
  }
  appendStepSummary(redact(toMarkdown(report)), env);
}

/** The error a finished validation ends with (interrupted, or exit 5 for a failed step), if any. */
export function validationError(ctx: ReleaseContext, report: ValidationReport): Error | undefined {
  if (ctx.signal.aborted) return new InterruptedError('interrupted: the targets were cleaned up');
  return outcomeError(report);
}
