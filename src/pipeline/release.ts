/**
 * `krel release` as a list of named stages over the domain functions (preflight, make, validate dist, images,
 * publish, validate release), sharing one release context and one typed result. Adding a capability (images, signing)
 * is one more entry here.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ReleaseContext } from '../context/release-context.js';
import { UsageError } from '../errors/index.js';
import type { BuiltImage } from '../images/build.js';
import {
  applyImagesBuild,
  applyImagesPush,
  imagesStoreRoot,
  planImagesBuild,
  planImagesPush,
} from '../images/images-release.js';
import { makeRelease, planRelease } from '../pack/make-release.js';
import type { ReleaseManifest } from '../pack/types.js';
import type { PublishResult } from '../publish/apply.js';
import { refusalError } from '../publish/plan.js';
import { applyPublish, planPublish } from '../publish/publish-release.js';
import { checkFolderPath } from '../validate/output-paths.js';
import type { ValidationReport } from '../validate/report.js';
import { applyValidation, planValidation, validationError } from '../validate/validate-release.js';
import { validationOptions, type ValidationRequest } from '../validate/validation-options.js';
import type { Stage } from './run-stages.js';

/** What `krel release` is asked, beyond the context. */
export interface ReleaseOptions {
  /** make's output and validate's dist (absolute). */
  out: string;
  /** Validation options for both validate stages (the source is set per stage). */
  validate: Omit<ValidationRequest, 'dist' | 'release' | 'store' | 'junit'>;
  /** Directory for validate-dist.xml and validate-release.xml (absolute). */
  junitDir?: string;
  /** Where the images stage pushes the runenv images of krel.json; undefined: build them only. */
  images: { registry?: string; plainHttp: boolean; tag?: string; userAgent: string };
}

export interface ReleaseResult {
  tag: string;
  url?: string;
  manifest?: ReleaseManifest;
  validateDist?: ValidationReport;
  images?: { built: BuiltImage[]; pushed: string[] };
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

/** Build the runenv images into the local image store, then push them when a registry is given. */
async function imagesStage(
  ctx: ReleaseContext,
  o: ReleaseOptions['images'],
): Promise<NonNullable<ReleaseResult['images']>> {
  const access = { plainHttp: o.plainHttp, userAgent: o.userAgent };
  const root = imagesStoreRoot(ctx.config.dir, ctx.cwd, undefined);
  const plan = await planImagesBuild(ctx, { root, names: [], rebuild: false, access });
  const built = await applyImagesBuild(ctx, plan, { root, access });
  if (o.registry === undefined) {
    ctx.logger.info(`${built.length} images in ${root}; not pushed (no --images-registry)`);
    return { built, pushed: [] };
  }
  const push = await planImagesPush(ctx, {
    root,
    registry: o.registry,
    names: [],
    access,
    ...(o.tag !== undefined ? { tag: o.tag } : {}),
  });
  return { built, pushed: (await applyImagesPush(ctx, push)).tagged };
}

/** The preflight alone: the tag rule and the store, read-only (also what --dry-run runs). */
export function preflightStage(result: ReleaseResult, o: ReleaseOptions): Stage<ReleaseContext> {
  return {
    name: 'preflight: tag rule and store (read-only)',
    async run(ctx) {
      if (o.junitDir !== undefined) checkFolderPath('--junit-dir', o.junitDir);
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
        if (o.junitDir !== undefined) mkdirSync(o.junitDir, { recursive: true });
        result.validateDist = await validateStage(ctx, {
          ...o.validate,
          dist: o.out,
          ...junit('validate-dist.xml'),
        });
      },
    },
    {
      name: 'images',
      skip: (ctx) => (ctx.config.images.length === 0 ? 'no images in krel.json' : undefined),
      async run(ctx) {
        result.images = await imagesStage(ctx, o.images);
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
