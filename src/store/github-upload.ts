/**
 * One release asset upload with got: a fresh file stream per attempt, explicit Content-Length and content type,
 * streamed to the release's upload_url (never buffered). Transient failures (5xx, connection reset or dropped)
 * and 422 already_exists clean up any asset of that name (GitHub leaves `starter` or partial ones) and retry
 * with exponential backoff; rate limits wait as GitHub says. Resolves with the asset as GitHub reports it.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import got, { RequestError as GotRequestError } from 'got';
import { InterruptedError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { retry } from '../util/retry.js';
import { GitHubError, gitHubHttpError } from './github-errors.js';
import type { ApiAsset } from './github-map.js';

export interface AssetUploadOptions {
  /** The release's upload_url (the `{?name,label}` template is stripped). */
  uploadUrl: string;
  token: string;
  userAgent: string;
  /** "owner/repo", for messages. */
  repo: string;
  name: string;
  label?: string;
  file: string;
  size: number;
  contentType: string;
  /** Lowercase hex sha256: when GitHub reports a digest, it must match (else the upload is retried). */
  sha256?: string;
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  logger: Logger;
  /** Attempts in all (default 5). */
  attempts?: number;
  /** Backoff base in ms: attempt n waits base × 2^(n-1), at most 30 s (default 1000). */
  baseDelayMs?: number;
  listAssets(): Promise<ApiAsset[]>;
  deleteAsset(id: number): Promise<void>;
}

/** upload_url (with or without its URI template) + name/label -> the URL to POST to. */
function uploadTarget(uploadUrl: string, name: string, label?: string): string {
  const url = new URL(uploadUrl.replace(/\{[^}]*\}$/, ''));
  url.searchParams.set('name', name);
  if (label !== undefined) url.searchParams.set('label', label);
  return url.href;
}

type Attempt =
  | { kind: 'done'; asset: ApiAsset }
  | { kind: 'retry'; reason: string; cleanup: boolean; waitMs?: number }
  | { kind: 'fail'; error: Error };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function rateLimitWaitMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  const retryAfter = Number(headers['retry-after']);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  if (headers['x-ratelimit-remaining'] === '0') {
    const reset = Number(headers['x-ratelimit-reset']) * 1000;
    if (Number.isFinite(reset)) return Math.max(reset - Date.now(), 0) + 1000;
  }
  return undefined;
}

async function attemptOnce(o: AssetUploadOptions, target: string): Promise<Attempt> {
  // A file that changed size would send a body shorter or longer than its Content-Length.
  const actual = (await stat(o.file)).size;
  if (actual !== o.size)
    return {
      kind: 'fail',
      error: new GitHubError(
        'usage',
        `${o.file} changed while publishing: ${actual} bytes, expected ${o.size}`,
        0,
      ),
    };
  const body = createReadStream(o.file, { highWaterMark: 4 * 1024 * 1024 });
  const ctx = { repo: o.repo, action: `upload ${o.name}` };
  try {
    const request = got.post(target, {
      body,
      headers: {
        accept: 'application/vnd.github.v3+json',
        authorization: `token ${o.token}`,
        'content-type': o.contentType,
        'content-length': String(o.size),
        'user-agent': o.userAgent,
      },
      throwHttpErrors: false,
      followRedirect: false,
      retry: { limit: 0 },
      responseType: 'text',
      timeout: { connect: 30_000, response: 10 * 60_000 },
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const onProgress = o.onProgress;
    if (onProgress)
      void request.on('uploadProgress', (p: { transferred: number }) => onProgress(p.transferred));
    const res = await request;
    const data = parseJson(res.body);
    const status = res.statusCode;
    if (status === 201) {
      const asset = data as ApiAsset;
      const problem =
        asset.state !== 'uploaded'
          ? `state is ${asset.state}`
          : asset.size !== o.size
            ? `size is ${asset.size}, expected ${o.size}`
            : o.sha256 !== undefined &&
                typeof asset.digest === 'string' &&
                asset.digest !== `sha256:${o.sha256}`
              ? `digest is ${asset.digest}, expected sha256:${o.sha256}`
              : undefined;
      return problem === undefined
        ? { kind: 'done', asset }
        : { kind: 'retry', reason: `GitHub stored a bad copy (${problem})`, cleanup: true };
    }
    const err = gitHubHttpError(ctx, status, data);
    if (status === 422 && err.hasCode('already_exists'))
      return { kind: 'retry', reason: 'an asset of that name already exists', cleanup: true, waitMs: 0 };
    if (status >= 500) return { kind: 'retry', reason: `GitHub answered ${status}`, cleanup: true };
    const wait = status === 403 || status === 429 ? rateLimitWaitMs(res.headers) : undefined;
    if (wait !== undefined)
      return { kind: 'retry', reason: `rate limited (${status})`, cleanup: false, waitMs: wait };
    return { kind: 'fail', error: err };
  } catch (e) {
    if (o.signal?.aborted === true)
      return { kind: 'fail', error: new InterruptedError(`upload of ${o.name} interrupted`) };
    // Never keep got's error: its options carry the authorization header.
    if (e instanceof GotRequestError)
      return { kind: 'retry', reason: `connection failed (${e.code || e.message})`, cleanup: true };
    throw e;
  } finally {
    body.destroy();
  }
}

/** Delete every asset of this name (a starter, a partial one or an old copy). */
async function removeLeftovers(o: AssetUploadOptions): Promise<void> {
  for (const a of await o.listAssets()) {
    if (a.name !== o.name) continue;
    o.logger.debug(`deleting leftover asset ${a.name} (id ${a.id}, state ${a.state})`);
    await o.deleteAsset(a.id);
  }
}

/** A failed attempt worth another one. */
class RetryableUpload extends Error {
  constructor(
    message: string,
    readonly waitMs: number | undefined,
  ) {
    super(message);
  }
}

export async function uploadReleaseAsset(o: AssetUploadOptions): Promise<ApiAsset> {
  const target = uploadTarget(o.uploadUrl, o.name, o.label);
  const attempts = o.attempts ?? 5;
  try {
    return await retry(
      async () => {
        const result = await attemptOnce(o, target);
        if (result.kind === 'done') return result.asset;
        if (result.kind === 'fail') throw result.error;
        // Also after the last attempt: nothing half-uploaded stays behind.
        if (result.cleanup) await removeLeftovers(o);
        throw new RetryableUpload(result.reason, result.waitMs);
      },
      {
        attempts,
        baseMs: o.baseDelayMs ?? 1000,
        maxMs: 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
        shouldRetry: (e) => e instanceof RetryableUpload,
        onRetry: (e, attempt, computed) => {
          const r = e as RetryableUpload;
          const wait = r.waitMs ?? computed;
          o.logger.warn(
            `upload of ${o.name} failed: ${r.message}; retrying in ${(wait / 1000).toFixed(1)}s (attempt ${attempt + 1} of ${attempts})`,
          );
          return wait;
        },
      },
    );
  } catch (e) {
    if (o.signal?.aborted === true) throw new InterruptedError(`upload of ${o.name} interrupted`);
    if (!(e instanceof RetryableUpload)) throw e;
    throw new GitHubError(
      'apply',
      `could not upload ${o.name} to ${o.repo} after ${attempts} attempts: ${e.message}`,
      0,
    );
  }
}
