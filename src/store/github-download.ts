/** Download a published asset the way a user does: no token, redirects followed, streamed. */
import type { Readable } from 'node:stream';
import got, { HTTPError, RequestError as GotRequestError } from 'got';
import { GitHubError } from './github-errors.js';

export async function downloadAsset(url: string, userAgent: string, signal?: AbortSignal): Promise<Readable> {
  const stream = got.stream(url, {
    headers: { accept: 'application/octet-stream', 'user-agent': userAgent },
    followRedirect: true,
    retry: { limit: 0 },
    ...(signal ? { signal } : {}),
  });
  try {
    await new Promise<void>((resolve, reject) => {
      stream.once('response', () => resolve());
      stream.once('error', reject);
    });
  } catch (e) {
    stream.destroy();
    if (e instanceof HTTPError)
      throw new GitHubError(
        'apply',
        `download of ${url} failed: HTTP ${e.response.statusCode}`,
        e.response.statusCode,
      );
    if (e instanceof GotRequestError)
      throw new GitHubError('apply', `download of ${url} failed: ${e.code || e.message}`, 0);
    throw e;
  }
  return stream;
}
