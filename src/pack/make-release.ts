/**
 * The make domain functions over the release context: planRelease (read-only, except that a missing input runs
 * krel.json "build" first, outside a dry run, and the plan is made again without it; a dry run's plan starts
 * with the run-build action) and makeRelease (carry out the plan's actions, then optionally verify).
 * `krel make` and the make stage of `krel release` call these and nothing else.
 */
import { loadPublicKey, type SigningKey } from '../attest/keys.js';
import { RefusedError } from '../errors/index.js';
import type { ReleaseContext } from '../context/release-context.js';
import { formatBytes } from '../log/logger.js';
import { createProgress } from '../log/progress.js';
import { buildDir, runBuild } from './build-inputs.js';
import { limitYoungGenerationGrowth } from './heap.js';
import { applyMake, assertInputsPresent, planMake } from './make.js';
import { planSigning, SIGNING_KEY_SOURCES } from './signing.js';
import { PROVENANCE_FILE, SIG_FILE, SUMS_FILE, type MakePlan, type ReleaseManifest } from './types.js';
import { verifyDist, type VerifyReport } from './verify.js';

export interface MakeOptions {
  /** --from DIR: package this prebuilt tree (never runs "build"). */
  from?: string;
  /** --out DIR (absolute); default krel.json "out". */
  out?: string;
  level: number;
  /** Re-hash the output as `krel verify` does. */
  verify: boolean;
  /** --signing-key FILE (absolute); default KREL_SIGNING_KEY, else krel.json sign.key. */
  signingKey?: string;
}

export async function planRelease(ctx: ReleaseContext, o: MakeOptions): Promise<MakePlan> {
  limitYoungGenerationGrowth();
  const signing = planSigning(ctx.config, ctx.env, ctx.cwd, o.signingKey);
  const opts = {
    env: ctx.env,
    tag: ctx.tag.tag,
    ...(ctx.repo !== undefined ? { repo: ctx.repo } : {}),
    ...(signing !== undefined ? { signing } : {}),
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
    ctx.logger.info(signingLine(plan));
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
  // The public half of the signing key checks what was just signed.
  const key = plan.signing !== undefined ? loadPublicKey(plan.signing.keyFile) : undefined;
  if (o.verify) await ctx.logger.section('verify', () => verifyOrRefuse(plan.out, ctx, key));
  return manifest;
}

/** The one log line that says whether and with what the release is signed. */
export function signingLine(plan: MakePlan): string {
  const s = plan.signing;
  if (s === undefined)
    return `not signed: no signing key (${SIGNING_KEY_SOURCES}); neither ${SIG_FILE} nor ${PROVENANCE_FILE} is written`;
  return `signing ${SUMS_FILE} and ${PROVENANCE_FILE} with the ${s.algorithm} key ${s.keyId.slice(0, 16)} (${s.from}: ${s.keyFile})`;
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

/** Verify a made directory (its signature too, with `key`), refusing any mismatch. */
export async function verifyOrRefuse(
  dir: string,
  ctx: Pick<ReleaseContext, 'logger'>,
  key?: SigningKey,
): Promise<VerifyReport> {
  const report = await verifyDist(dir, key !== undefined ? { key } : {});
  const err = mismatchError(dir, report);
  if (err !== undefined) throw err;
  for (const line of [...report.attested, ...report.notes]) ctx.logger.info(line);
  ctx.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
  return report;
}
