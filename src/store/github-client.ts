/**
 * Octokit as krel uses it: token auth, GitHub (or GHES) base URL, throttling that honours primary and
 * secondary rate limits and Retry-After (a bounded number of retries, each logged as a warning), writes
 * spaced as GitHub asks, and plugin-retry for transient failures of API calls (uploads go through got).
 */
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import Bottleneck from 'bottleneck';
import type { Logger } from '../log/logger.js';
import { DEFAULT_API_URL } from './github-api-url.js';

export interface GitHubClientOptions {
  token: string;
  /** GITHUB_API_URL (GitHub Enterprise: https://HOST/api/v3); default api.github.com. */
  apiUrl?: string;
  logger: Logger;
  userAgent?: string;
  /** How many times a rate-limited request is retried after waiting (default 3). */
  rateLimitRetries?: number;
  /** Retries of a failed (5xx, network) API call (default 3). */
  retries?: number;
  /** Base of the retry backoff in ms: attempt n waits n² × base (default 1000). */
  retryBaseMs?: number;
  /** Minimum gap between write requests in ms (GitHub asks for 1000); writes that notify (creating a
   * release) are spaced three times as far, as plugin-throttling does. */
  writeSpacingMs?: number;
}

const KrelOctokit = Octokit.plugin(throttling, retry);
export type GitHubClient = InstanceType<typeof KrelOctokit>;

export function createGitHubClient(opts: GitHubClientOptions): GitHubClient {
  const { logger } = opts;
  const rateLimitRetries = opts.rateLimitRetries ?? 3;
  const spacing = opts.writeSpacingMs ?? 1000;
  const onLimit =
    (kind: string) =>
    (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      const again = retryCount < rateLimitRetries;
      logger.warn(
        `GitHub ${kind} rate limit on ${options.method} ${options.url}: ` +
          (again
            ? `retrying in ${retryAfter}s (retry ${retryCount + 1} of ${rateLimitRetries})`
            : 'giving up'),
      );
      return again;
    };
  return new KrelOctokit({
    auth: opts.token,
    baseUrl: (opts.apiUrl ?? DEFAULT_API_URL).replace(/\/+$/, ''),
    userAgent: opts.userAgent ?? 'krel',
    log: {
      debug: (m: string) => logger.debug(m),
      info: (m: string) => logger.debug(m),
      warn: (m: string) => logger.warn(m),
      error: (m: string) => logger.debug(m),
    },
    throttle: {
      onRateLimit: onLimit('primary'),
      onSecondaryRateLimit: onLimit('secondary'),
      write: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing }),
      notifications: new Bottleneck.Group({ maxConcurrent: 1, minTime: spacing * 3 }),
    },
    retry: { retries: opts.retries ?? 3, retryAfterBaseValue: opts.retryBaseMs ?? 1000 },
  });
}
