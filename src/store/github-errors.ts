/**
 * GitHub failures as krel errors: one line saying what failed and what to do. The token never appears: octokit
 * redacts its own request headers, got errors are never kept as a cause, and every message is redacted.
 */
import { KrelError, type ErrorKind } from '../errors/index.js';
import { redact } from '../log/redact.js';

export interface GitHubErrorDetail {
  code: string;
  field?: string;
  resource?: string;
}

export class GitHubError extends KrelError {
  /** HTTP status, 0 when GitHub could not be reached. */
  readonly status: number;
  readonly errors: readonly GitHubErrorDetail[];

  constructor(kind: ErrorKind, message: string, status: number, errors: readonly GitHubErrorDetail[] = []) {
    super(kind, redact(message));
    this.status = status;
    this.errors = errors;
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

export interface ErrorContext {
  /** "owner/repo" */
  repo: string;
  /** What krel was doing, e.g. "create the draft release v1.0". */
  action: string;
}

function responseMessage(data: unknown): { message: string; errors: GitHubErrorDetail[] } {
  const d = (data ?? {}) as { message?: unknown; errors?: unknown };
  const errors = Array.isArray(d.errors)
    ? (d.errors as unknown[])
        .filter((e): e is GitHubErrorDetail => typeof e === 'object' && e !== null && 'code' in e)
        .map((e) => ({
          code: String(e.code),
          ...(e.field ? { field: String(e.field) } : {}),
          ...(e.resource ? { resource: String(e.resource) } : {}),
        }))
    : [];
  return { message: typeof d.message === 'string' ? d.message : '', errors };
}

/** A GitHub answer (status + JSON body) as a GitHubError. */
export function gitHubHttpError(ctx: ErrorContext, status: number, data: unknown): GitHubError {
  const { message, errors } = responseMessage(data);
  const codes = errors.map((e) => [e.resource, e.field, e.code].filter(Boolean).join('.')).join(', ');
  const said = [message, codes].filter((s) => s !== '').join(': ') || 'no message';
  if (status === 401)
    return new GitHubError(
      'refused',
      `GitHub rejected the token (401): set GITHUB_RELEASE_TOKEN to a token with contents:write on ${ctx.repo}`,
      status,
    );
  if ((status === 403 || status === 429) && /rate limit/i.test(message))
    return new GitHubError(
      'apply',
      `could not ${ctx.action}: GitHub rate limit still exceeded after waiting (${status} ${message})`,
      status,
      errors,
    );
  if (status === 403 && /immutable/i.test(message))
    return new GitHubError('refused', `GitHub refused to ${ctx.action}: ${message} (403)`, status, errors);
  if (status === 403)
    return new GitHubError(
      'refused',
      `GitHub refused to ${ctx.action} (403 ${said}): the token needs contents:write on ${ctx.repo}`,
      status,
      errors,
    );
  if (status === 404)
    return new GitHubError(
      'refused',
      `cannot ${ctx.action}: ${ctx.repo} or the object was not found on GitHub, or the token cannot see it (404)`,
      status,
      errors,
    );
  if (status === 422)
    return new GitHubError('apply', `GitHub refused to ${ctx.action} (422 ${said})`, status, errors);
  return new GitHubError(
    'apply',
    `could not ${ctx.action}: GitHub answered ${status} (${said})`,
    status,
    errors,
  );
}

/** Octokit's RequestError (name "HttpError"): status, and the response when GitHub answered. */
interface RequestErrorLike {
  name: string;
  status: number;
  message: string;
  response?: { data?: unknown };
}

function isRequestError(e: unknown): e is RequestErrorLike {
  return (
    e instanceof Error && e.name === 'HttpError' && typeof (e as { status?: unknown }).status === 'number'
  );
}

/** Any error thrown by an octokit call, as a GitHubError (other errors pass through). */
function mapGitHubError(e: unknown, ctx: ErrorContext): unknown {
  if (e instanceof KrelError) return e;
  if (isRequestError(e)) {
    if (e.status === 500 && e.response === undefined)
      return new GitHubError('apply', `could not ${ctx.action}: cannot reach GitHub (${e.message})`, 0);
    return gitHubHttpError(ctx, e.status, e.response?.data);
  }
  return e;
}

/** Run an API call, turning its failure into a GitHubError. */
export async function callGitHub<T>(ctx: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw mapGitHubError(e, ctx);
  }
}
