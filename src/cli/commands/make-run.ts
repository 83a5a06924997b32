/** `krel make`: package the release archives, SHA256SUMS and release-manifest.json. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors/index.js';
import { formatBytes } from '../../log/logger.js';
import { createProgress } from '../../log/progress.js';
import {
  applyMake,
  assertInputsPresent,
  buildDir,
  formatPlan,
  limitYoungGenerationGrowth,
  planMake,
  runBuild,
  type MakePlan,
  type ReleaseManifest,
} from '../../pack/index.js';
import type { CommandContext } from '../context.js';
import { abortController } from '../signals.js';
import { verifyOrRefuse } from './verify-run.js';

export interface MakeFlags {
  from?: string;
  out?: string;
  verify?: boolean;
  level: number;
}

function existingDir(cwd: string, p: string, flag: string): string {
  const abs = path.resolve(cwd, p);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${flag} ${p}: no such directory; pass the prebuilt tree to package`);
  return abs;
}

export async function runMake(
  ctx: CommandContext,
  flags: MakeFlags,
  toolVersion: string,
): Promise<ReleaseManifest | undefined> {
  limitYoungGenerationGrowth();
  const config = await ctx.config();
  const opts = {
    env: ctx.env,
    ...(flags.from !== undefined ? { from: existingDir(ctx.cwd, flags.from, '--from') } : {}),
    ...(flags.out !== undefined ? { out: path.resolve(ctx.cwd, flags.out) } : {}),
  };
  let plan: MakePlan = await planMake(config, opts);
  const build = plan.build;
  if (plan.missing.length > 0 && build !== undefined && !ctx.globals.dryRun) {
    await ctx.logger.step(`build: ${build}`, () =>
      runBuild(build, buildDir(plan.source, config.dir), ctx.logger, abortController.signal),
    );
    plan = await planMake(config, opts);
    delete plan.build;
  }
  if (ctx.globals.dryRun) {
    if (build === undefined) assertInputsPresent(plan);
    if (ctx.globals.json) ctx.printJson(plan);
    else ctx.print(formatPlan(plan));
    return undefined;
  }
  assertInputsPresent(plan);
  const manifest = await ctx.logger.step(`make ${plan.out}`, async () => {
    const m = await applyMake(plan, {
      toolVersion,
      level: flags.level,
      progress: createProgress(ctx.logger, { enabled: !ctx.globals.json }),
      signal: abortController.signal,
    });
    for (const a of m.archives) {
      ctx.logger.info(`${a.name}: ${a.entries.length} entries, ${formatBytes(a.size)}, sha256 ${a.sha256}`);
    }
    return m;
  });
  if (flags.verify === true) await ctx.logger.step('verify', () => verifyOrRefuse(ctx, plan.out, false));
  if (ctx.globals.json) ctx.printJson(manifest);
  return manifest;
}
