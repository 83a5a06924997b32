/**
 * The make domain functions over the release context: planRelease (read-only, except that a missing input runs
 * krel.json "build" first, outside a dry run, and the plan is made again without it; a dry run's plan starts
 * with the run-build action) and makeRelease (carry out the plan's actions, then optionally verify).
 * `krel make` and the make stage of `krel release` call these and nothing else.
 */
import { RefusedError } from '../errors/index.js';
import type { ReleaseContext } from '../context/release-context.js';
import { formatBytes } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import { buildDir, runBuild } from './build-inputs.js';
import { limitYoungGenerationGrowth } from './heap.js';
import { applyMake, assertInputsPresent, planMake } from './make.js';
import type { MakePlan, ReleaseManifest } from './types.js';
import { verifyDist, type VerifyReport } from './verify.js';

export interface MakeOptions {
  /** --from DIR: package this prebuilt tree (never runs "build"). */
  from?: string;
  /** --out DIR (absolute); default krel.json "out". */
  out?: string;
  level: number;
  /** Re-hash the output as `krel verify` does. */
  verify: boolean;
}

export async function planRelease(ctx: ReleaseContext, o: MakeOptions): Promise<MakePlan> {
  limitYoungGenerationGrowth();
  const opts = {
    env: ctx.env,
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.out !== undefined ? { out: o.out } : {}),
  };
  let plan = await planMake(ctx.config, opts);
  const build = plan.build;
  if (plan.missing.length > 0 && build !== undefined && !ctx.options.dryRun) {
    await ctx.logger.section(`build: ${build}`, () =>
      runBuild(build, buildDir(plan.source, ctx.config.dir), ctx.logger, ctx.signal),
    );
    plan = await planMake(ctx.config, { ...opts, built: true });
  }
  if (!ctx.options.dryRun || build === undefined) assertInputsPresent(plan);
  return plan;
}

export async function makeRelease(
  ctx: ReleaseContext,
  plan: MakePlan,
  o: Pick<MakeOptions, 'level' | 'verify'>,
): Promise<ReleaseManifest> {
  const manifest = await ctx.logger.section(`make ${plan.out}`, async () => {
    for (const n of plan.notes) ctx.logger.info(n);
    const m = await applyMake(plan, {
      toolVersion: ctx.toolVersion,
      level: o.level,
      progress: createProgress(ctx.logger, { enabled: !ctx.options.json }),
      signal: ctx.signal,
    });
    for (const a of m.archives) {
      ctx.logger.info(`${a.name}: ${a.entries.length} entries, ${formatBytes(a.size)}, sha256 ${a.sha256}`);
    }
    return m;
  });
  if (o.verify) await ctx.logger.section('verify', () => verifyOrRefuse(plan.out, ctx));
  return manifest;
}

/** Every mismatch of a verify report as one RefusedError (exit 3; a single one is the message), if any. */
export function mismatchError(dir: string, report: VerifyReport): RefusedError | undefined {
  const [first, ...more] = report.problems;
  if (first === undefined) return undefined;
  if (more.length === 0) return new RefusedError(`${dir}: ${first}`);
  return new RefusedError(
    `${dir}: ${report.problems.length} mismatches against SHA256SUMS/release-manifest.json`,
    { details: report.problems },
  );
}

/** Verify a made directory, refusing any mismatch. */
export async function verifyOrRefuse(dir: string, ctx: Pick<ReleaseContext, 'logger'>): Promise<void> {
  const report = await verifyDist(dir);
  const err = mismatchError(dir, report);
  if (err !== undefined) throw err;
  ctx.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
}
