/** `krel make`: package the release archives, SHA256SUMS and release-manifest.json. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
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
} from '../../pack/index.js';
import { createContext, type CommandContext } from '../context.js';
import { abortController } from '../signals.js';
import { verifyOrRefuse } from './verify.js';

interface MakeFlags {
  from?: string;
  out?: string;
  verify?: boolean;
  level: number;
}

function parseLevel(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 9)
    throw new InvalidArgumentError('must be an integer from 1 to 9');
  return n;
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

async function run(ctx: CommandContext, flags: MakeFlags, toolVersion: string): Promise<void> {
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
    return;
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
}

export function makeCommand(): Command {
  return new Command('make')
    .description('package the release: archives from krel.json, SHA256SUMS and release-manifest.json')
    .option('--from <dir>', 'package this prebuilt tree instead of krel.json "source" (never runs "build")')
    .option('-o, --out <dir>', 'output directory, replaced atomically (default: krel.json "out", i.e. dist)')
    .option('--verify', 'after making, re-hash the output as `krel verify` does')
    .option('--level <1-9>', 'gzip compression level', parseLevel, 6)
    .addHelpText(
      'after',
      `
Inputs are read from krel.json "source" (or --from). When inputs are missing and krel.json has "build",
that command runs first (in the source directory); otherwise every missing input is listed and nothing is
written. Archives are byte-reproducible: entries sorted, owner 0/0, modes 0755/0644 (or the entry's "mode"),
mtime from SOURCE_DATE_EPOCH, else the HEAD commit time, else 1980-01-01.
--dry-run prints the plan; --json prints the release manifest (or the plan) on stdout.

Exit codes: 0 made (or planned); 2 bad krel.json or missing inputs; 3 an unsafe input (symlink leaving the
tree, fifo/socket/device), an output directory krel did not make, or --verify found a mismatch;
4 the build command failed.`,
    )
    .action(async (flags: MakeFlags, cmd: Command) => {
      await run(createContext(cmd), flags, cmd.parent?.version() ?? '0.0.0');
    });
}
