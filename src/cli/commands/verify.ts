/** `krel verify [DIR]`: re-hash a made release directory against its SHA256SUMS and release-manifest.json. */
import path from 'node:path';
import { Command } from 'commander';
import { RefusedError } from '../../errors/index.js';
import { verifyDist } from '../../pack/index.js';
import { createContext, type CommandContext } from '../context.js';

async function defaultDir(ctx: CommandContext): Promise<string> {
  try {
    return (await ctx.config()).out;
  } catch {
    return path.resolve(ctx.cwd, 'dist');
  }
}

/** Verify DIR; every mismatch becomes one line of a RefusedError (exit 3). */
export async function verifyOrRefuse(ctx: CommandContext, dir: string, json: boolean): Promise<void> {
  const report = await verifyDist(dir);
  if (json) ctx.printJson(report);
  const n = report.problems.length;
  if (n > 0) {
    throw new RefusedError(
      `${dir}: ${n} mismatch${n === 1 ? '' : 'es'} against SHA256SUMS/release-manifest.json`,
      {
        details: report.problems,
      },
    );
  }
  ctx.logger.info(`verified ${report.verified.length} files in ${dir}: all match`);
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('re-hash a release directory against SHA256SUMS and release-manifest.json')
    .argument('[dir]', 'the directory krel make wrote (default: krel.json "out", else ./dist)')
    .addHelpText(
      'after',
      `
Checks every file against SHA256SUMS, every archive against the manifest (size, sha256), and re-lists each
archive comparing its members (path, type, size, mode, sha256, link, owner 0/0, mtime) with the manifest.

Exit codes: 0 everything matches; 2 DIR is missing or holds neither SHA256SUMS nor release-manifest.json;
3 a mismatch: one line per mismatch follows. --json prints the report on stdout.`,
    )
    .action(async (dirArg: string | undefined, _flags: unknown, cmd: Command) => {
      const ctx = createContext(cmd);
      const dir = dirArg !== undefined ? path.resolve(ctx.cwd, dirArg) : await defaultDir(ctx);
      await verifyOrRefuse(ctx, dir, ctx.globals.json);
    });
}
