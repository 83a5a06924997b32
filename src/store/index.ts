/**
 * createStore: the ReleaseStore of a spec (the release context picks it: `--store`, else krel.json's).
 *   github   token GITHUB_RELEASE_TOKEN else GITHUB_TOKEN; API base GITHUB_API_URL else https://api.github.com
 *   dir:PATH the local release store rooted at PATH (relative to the current directory on the command line,
 *            to krel.json in the config)
 */
import path from 'node:path';
import type { StoreSpec } from '../config/store-spec.js';
import type { KrelConfig } from '../config/types.js';
import { RefusedError, UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { addSecret } from '../log/redact.js';
import { dirLayout } from './dir-layout.js';
import { githubApiUrl } from './github-api-url.js';
import { lazyStore } from './lazy-store.js';
import { msFromEnv } from './tuning.js';
import type { ReleaseStore } from './types.js';

function githubToken(env: NodeJS.ProcessEnv): string {
  const token = env.GITHUB_RELEASE_TOKEN || env.GITHUB_TOKEN;
  if (token === undefined || token === '') {
    throw new RefusedError(
      'no GitHub token: set GITHUB_RELEASE_TOKEN (or GITHUB_TOKEN) to a token that can write releases',
    );
  }
  addSecret(token);
  return token;
}

export interface CreateStoreInput {
  config: KrelConfig;
  spec: StoreSpec;
  /** owner/name, already checked (the release context resolves it). */
  repo: string | undefined;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export function createStore(input: CreateStoreInput): ReleaseStore {
  const { config, spec, env, logger } = input;
  const repo = input.repo;
  if (repo === undefined) {
    throw new UsageError(
      `no repository: set "repo": "owner/name" in ${config.file} or the GITHUB_REPOSITORY variable`,
    );
  }
  if (spec.kind === 'dir') {
    const { root } = spec;
    dirLayout(path.resolve(root), repo); // what opening it checks, now; its module (proper-lockfile) on first call
    return lazyStore('dir', async () => (await import('./dir-store.js')).createDirStore({ root, repo }));
  }
  const [owner = '', name = ''] = repo.split('/');
  const apiUrl = githubApiUrl(env);
  logger.debug(`github ${repo} at ${apiUrl}`);
  const retryBase = msFromEnv(env, 'KREL_RETRY_BASE_MS');
  const spacing = msFromEnv(env, 'KREL_GITHUB_WRITE_SPACING_MS');
  const token = githubToken(env);
  // octokit and got load on the store's first call, not at start-up (lazy-store.ts).
  return lazyStore('github', async () =>
    (await import('./github-store.js')).createGitHubStore({
      owner,
      repo: name,
      token,
      apiUrl,
      logger,
      ...(retryBase !== undefined ? { retryBaseMs: retryBase, uploadBaseDelayMs: retryBase } : {}),
      ...(spacing !== undefined ? { writeSpacingMs: spacing } : {}),
    }),
  );
}
