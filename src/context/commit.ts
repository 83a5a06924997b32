/** The commit a release is pinned to: --commit > GITHUB_SHA > BUILD_SOURCEVERSION > `git rev-parse HEAD`. */
import { UsageError } from '../errors/index.js';
import { git } from '../util/git.js';

export type CommitSource = '--commit' | 'GITHUB_SHA' | 'BUILD_SOURCEVERSION' | 'git';

export interface ResolvedCommit {
  commit: string;
  source: CommitSource;
}

const SHA = /^[0-9a-f]{7,64}$/;

function checked(value: string, source: CommitSource): ResolvedCommit {
  const commit = value.trim().toLowerCase();
  if (!SHA.test(commit)) {
    throw new UsageError(`commit "${value}" (from ${source}) is not a hex commit SHA: pass a full SHA`);
  }
  return { commit, source };
}

export async function resolveCommit(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv,
  dir: string,
): Promise<ResolvedCommit> {
  if (explicit !== undefined && explicit !== '') return checked(explicit, '--commit');
  if (env.GITHUB_SHA) return checked(env.GITHUB_SHA, 'GITHUB_SHA');
  if (env.BUILD_SOURCEVERSION) return checked(env.BUILD_SOURCEVERSION, 'BUILD_SOURCEVERSION');
  try {
    return checked(await git(dir, ['rev-parse', 'HEAD']), 'git');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(
      `cannot tell which commit to publish: ${dir} is not a git checkout; pass --commit SHA or set GITHUB_SHA`,
    );
  }
}
