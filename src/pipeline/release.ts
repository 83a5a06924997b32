/**
 * `krel release` as a list of named stages over the domain functions (preflight, make, validate dist, publish,
 * validate release), sharing one release context and one typed result. Adding a capability (images, signing)
 * is one more entry here.
 */
import path from 'node:path';
import type { ReleaseContext } from '../context/release-context.js';
import { UsageError } from '../errors/index.js';
import { makeRelease, planRelease } from '../pack/make-release.js';
import type { ReleaseManifest } from '../pack/types.js';
import type { PublishResult } from '../publish/apply.js';
import { refusalError } from '../publish/plan.js';
import { applyPublish, planPublish } from '../publish/publish-release.js';
import type { ValidationReport } from '../validate/report.js';
import {
  applyValidation,
  planValidation,
  validationError,
  validationOptions,
  type ValidationRequest,
} from '../validate/validate-release.js';
import type { Stage } from './run-stages.js';

/** What `krel release` is asked, beyond the context. */
export interface ReleaseOptions {
  /** make's output and validate's dist (absolute). */
  out: string;
  /** Validation options for both validate stages (the source is set per stage). */
  validate: Omit<ValidationRequest, 'dist' | 'release' | 'store' | 'junit'>;
  /** Directory for validate-dist.xml and validate-release.xml (absolute). */
  junitDir?: string;
}

export interface ReleaseResult {
  tag: string;
  url?: string;
  manifest?: ReleaseManifest;
  validateDist?: ValidationReport;
  publish?: PublishResult;
  validateRelease?: ValidationReport;
}

/** Refuse at once what no stage could do: a GitHub release validated in a VM without network. */
export function checkReleaseOptions(ctx: ReleaseContext, o: ReleaseOptions): void {
  const onVm = o.validate.host === undefined || o.validate.vm !== undefined;
  if (ctx.storeSpec.kind === 'github' && onVm && o.validate.vmNetwork !== true) {
    throw new UsageError(
      'validating a GitHub release downloads from github.com, which the VM reaches only with --vm-network: add it',
    );
  }
}

async function validateStage(ctx: ReleaseContext, request: ValidationRequest): Promise<ValidationReport> {
  const planned = await planValidation(ctx, validationOptions(ctx, request));
  const report = await applyValidation(ctx, planned);
  const err = validationError(ctx, report);
  if (err !== undefined) throw err;
  return report;
}

/** The preflight alone: the tag rule and the store, read-only (also what --dry-run runs). */
export function preflightStage(result: ReleaseResult, o: ReleaseOptions): Stage<ReleaseContext> {
  return {
    name: 'preflight: tag rule and store (read-only)',
    async run(ctx) {
      const plan = await planPublish(ctx, { rulesOnly: true, dist: o.out });
      if (plan.action === 'refuse') throw refusalError(plan);
      ctx.logger.info(`${plan.action} ${result.tag}: allowed by the tag rules`);
    },
  };
}

/** The stages after the preflight, in order; each records its typed result. */
export function releaseStages(result: ReleaseResult, o: ReleaseOptions): Stage<ReleaseContext>[] {
  const junit = (name: string): { junit?: string } =>
    o.junitDir !== undefined ? { junit: path.join(o.junitDir, name) } : {};
  return [
    {
      name: 'make',
      async run(ctx) {
        const make = { out: o.out, level: 6, verify: true };
        result.manifest = await makeRelease(ctx, await planRelease(ctx, make), make);
      },
    },
    {
      name: 'validate dist',
      async run(ctx) {
        result.validateDist = await validateStage(ctx, {
          ...o.validate,
          dist: o.out,
          ...junit('validate-dist.xml'),
        });
      },
    },
    {
      name: 'publish',
      async run(ctx) {
        result.publish = await applyPublish(ctx, await planPublish(ctx, { dist: o.out }));
        result.url = result.publish.url;
      },
    },
    {
      name: 'validate release',
      async run(ctx) {
        result.validateRelease = await validateStage(ctx, {
          ...o.validate,
          release: result.tag,
          store: ctx.storeSpec,
          ...junit('validate-release.xml'),
        });
      },
    },
  ];
}
