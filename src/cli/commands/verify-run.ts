/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import path from 'node:path';
import { ConfigError, RefusedError } from '../../errors/index.js';
import { limitYoungGenerationGrowth, verifyDist } from '../../pack/index.js';
import type { CommandContext } from '../context.js';

/** krel.json's "out"; ./dist when there is no krel.json. A krel.json that is invalid is reported, not ignored. */
async function defaultDir(ctx: CommandContext): Promise<string> {
  try {
    return (await ctx.config()).out;
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    return path.resolve(ctx.cwd, 'dist');
  }
}

/** Verify DIR; every mismatch becomes one line of a RefusedError (exit 3); a single one is the message. */
export async function verifyOrRefuse(ctx: CommandContext, dir: string, json: boolean): Promise<void> {
  const report = await verifyDist(dir);
  if (json) ctx.printJson(report);
  const [first, ...more] = report.problems;
  if (first !== undefined && more.length === 0) throw new RefusedError(`${dir}: ${first}`);
  if (first !== undefined) {
    throw new RefusedError(
      `${dir}: ${report.problems.length} mismatches against SHA256SUMS/release-manifest.json`,
      { details: report.problems },
    );
  }
  ctx.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
}

export async function runVerify(ctx: CommandContext, dirArg: string | undefined): Promise<void> {
  // Verify streams every member through short-lived buffers, as make does.
  limitYoungGenerationGrowth();
  const dir = dirArg !== undefined ? path.resolve(ctx.cwd, dirArg) : await defaultDir(ctx);
  await verifyOrRefuse(ctx, dir, ctx.globals.json);
}
