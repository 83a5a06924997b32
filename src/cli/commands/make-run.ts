/** `krel make`: flags -> release context -> plan (printed on --dry-run) -> archives, SHA256SUMS, manifest. */
import { statSync } from 'node:fs';
import { UsageError } from '../../errors/index.js';
import { formatPlan } from '../../pack/index.js';
import { makeRelease, planRelease } from '../../pack/make-release.js';
import { releaseContext, type CommandIo } from '../context.js';

export interface MakeFlags {
  from?: string;
  out?: string;
  verify?: boolean;
  level: number;
  signingKey?: string;
}

function existingDir(io: CommandIo, p: string, flag: string): string {
  const abs = io.resolve(p);
  let isDir = false;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    isDir = false;
  }
  if (!isDir) throw new UsageError(`${flag} ${p}: no such directory; pass the prebuilt tree to package`);
  return abs;
}

export async function runMake(io: CommandIo, flags: MakeFlags): Promise<void> {
  const ctx = await releaseContext(io);
  const options = {
    level: flags.level,
    verify: flags.verify === true,
    ...(flags.from !== undefined ? { from: existingDir(io, flags.from, '--from') } : {}),
    ...(flags.out !== undefined ? { out: io.resolve(flags.out) } : {}),
    ...(flags.signingKey !== undefined ? { signingKey: io.resolve(flags.signingKey) } : {}),
  };
  const plan = await planRelease(ctx, options);
  if (io.globals.dryRun) {
    if (io.globals.json) io.printJson(plan);
    else io.print(formatPlan(plan));
    return;
  }
  const manifest = await makeRelease(ctx, plan, options);
  if (io.globals.json) io.printJson(manifest);
}
