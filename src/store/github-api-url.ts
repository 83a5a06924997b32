/** The GitHub API root krel talks to: GITHUB_API_URL, else api.github.com (no octokit here: read at start-up). */
import { UsageError } from '../errors/index.js';

export const DEFAULT_API_URL = 'https://api.github.com';

/** GITHUB_API_URL, else api.github.com: an http(s) URL without credentials, or a UsageError naming it. */
export function githubApiUrl(env: NodeJS.ProcessEnv): string {
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
