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
import { checkArtifacts, describeSource } from './artifacts.js';
import { checkPublishedRelease } from './release-download.js';
import { checkOutputPaths } from './output-paths.js';
import type { ValidationReport } from './report.js';
import { toJunitXml } from './report-junit.js';
import { toMarkdown } from './report-markdown.js';
import { formatMatrix, formatSummary } from './report-table.js';
import { openEventFile } from './events.js';
import { targetSlots } from './target-slots.js';
import { resolveSource } from './source.js';
import { lintError, lintGuide, formatLint, type LintReport } from './lint.js';
import type { LintTargets } from './lint-rules.js';
import { applyOverrides, unmatchedMessage } from './overrides.js';
import { selectSteps } from './step-selection.js';
import { loadGuide, type Guide, type Step } from './steps.js';
import { buildTargets } from './targets.js';
import { applyValidate, outcomeError, planValidate, type TargetSpec, type ValidatePlan } from './validate.js';
import type { ValidationOptions } from './validation-options.js';

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
  if (
    src.kind === 'url' &&
    (await checkPublishedRelease(src, { installScript: plan.installScript }, ctx.signal))
  ) {
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
