/**
 * The timestamp every archive entry carries and the commit the release is made from:
 * SOURCE_DATE_EPOCH, else the HEAD commit time of the config's git repository, else a fixed epoch.
 */
import { UsageError } from '../errors/index.js';
import { git } from '../util/git.js';
import type { EpochSource } from './types.js';

/** Used when neither SOURCE_DATE_EPOCH nor a git commit gives a date: 1980-01-01T00:00:00Z. */
export const FIXED_EPOCH = 315532800;

/** git's answer, or undefined when there is none (not a repository, no commits yet, or no git). */
async function gitOrNothing(dir: string, args: string[]): Promise<string | undefined> {
  const out = await git(dir, args).catch(() => '');
  return out === '' ? undefined : out;
}

export async function headCommit(dir: string): Promise<string | null> {
  return (await gitOrNothing(dir, ['rev-parse', '--verify', '-q', 'HEAD'])) ?? null;
}

export async function resolveSourceDate(
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<{ epoch: number; from: EpochSource }> {
  const raw = env.SOURCE_DATE_EPOCH;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
      throw new UsageError(
        `SOURCE_DATE_EPOCH must be whole seconds since 1970 (e.g. 1700000000), got "${raw}": fix or unset it`,
      );
    }
    return { epoch: Number(raw), from: 'SOURCE_DATE_EPOCH' };
  }
  const ct = await gitOrNothing(dir, ['log', '-1', '--format=%ct']);
  if (ct !== undefined && /^\d+$/.test(ct)) return { epoch: Number(ct), from: 'git' };
  return { epoch: FIXED_EPOCH, from: 'fixed' };
}
