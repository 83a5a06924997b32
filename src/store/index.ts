/**
 * createStore: the ReleaseStore of a spec (the release context picks it: `--store`, else krel.json's).
 *   github   token GITHUB_RELEASE_TOKEN else GITHUB_TOKEN; API base GITHUB_API_URL else https://api.github.com
 *   dir:PATH the local release store rooted at PATH (relative to the current directory on the command line,
 *            to krel.json in the config)
 */
import type { StoreSpec } from '../config/store-spec.js';
import type { KrelConfig } from '../config/types.js';
import { RefusedError, UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { addSecret } from '../log/redact.js';
import { createDirStore } from './dir-store.js';
import { DEFAULT_API_URL } from './github-client.js';
import { createGitHubStore } from './github-store.js';
import { msFromEnv } from './tuning.js';
import type { ReleaseStore } from './types.js';

/** GITHUB_API_URL, else api.github.com: an http(s) URL without credentials, or a UsageError naming it. */
function githubApiUrl(env: NodeJS.ProcessEnv): string {
  const value = env.GITHUB_API_URL;
  if (value === undefined || value === '') return DEFAULT_API_URL;
  const fix = 'set it to the API root, e.g. https://api.github.com or https://HOST/api/v3';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // Not echoed: a value that is no URL may still hold a password.
    throw new UsageError(`GITHUB_API_URL is not a URL: ${fix}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`GITHUB_API_URL must be an http or https URL, not ${url.protocol}: ${fix}`);
  if (url.username !== '' || url.password !== '')
    throw new UsageError(
      'GITHUB_API_URL must not hold a user or password (user:password@): put the token in GITHUB_RELEASE_TOKEN or GITHUB_TOKEN',
    );
  return value;
}

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
  if (spec.kind === 'dir') return createDirStore({ root: spec.root, repo });
  const [owner = '', name = ''] = repo.split('/');
  const apiUrl = githubApiUrl(env);
  logger.debug(`github ${repo} at ${apiUrl}`);
  const retryBase = msFromEnv(env, 'KREL_RETRY_BASE_MS');
  const spacing = msFromEnv(env, 'KREL_GITHUB_WRITE_SPACING_MS');
  return createGitHubStore({
    owner,
    repo: name,
    token: githubToken(env),
    apiUrl,
    logger,
    ...(retryBase !== undefined ? { retryBaseMs: retryBase, uploadBaseDelayMs: retryBase } : {}),
    ...(spacing !== undefined ? { writeSpacingMs: spacing } : {}),
  });
}
