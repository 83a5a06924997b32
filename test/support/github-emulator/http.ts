/** Small HTTP helpers shared by the routes: GitHub-shaped errors and Link pagination. */

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

const DOCS = 'https://docs.github.com/rest';

/** Thrown by a route to answer with a GitHub error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(body.message));
  }
}

export function notFound(): HttpError {
  return new HttpError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
}

export function unauthorized(message = 'Bad credentials'): HttpError {
  return new HttpError(401, { message, documentation_url: DOCS, status: '401' });
}

export function validationFailed(resource: string, code: string, field: string, message?: string): HttpError {
  const error: Record<string, string> = { resource, code, field };
  if (message !== undefined) error.message = message;
  return new HttpError(422, {
    message: 'Validation Failed',
    errors: [error],
    documentation_url: DOCS,
    status: '422',
  });
}

/** GitHub refuses to change an immutable release (403: the OpenAPI description documents no 422 there). */
export function forbidden(message: string): HttpError {
  return new HttpError(403, { message, documentation_url: DOCS, status: '403' });
}

export function unprocessable(message: string): HttpError {
  return new HttpError(422, { message, documentation_url: DOCS, status: '422' });
}

/** One page of items plus GitHub's Link header (per_page default 30, max 100; page from 1). */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  selfUrl: string,
): { page: T[]; link?: string } {
  const perPage = Math.min(Math.max(Number(query.get('per_page') ?? 30) || 30, 1), 100);
  const page = Math.max(Number(query.get('page') ?? 1) || 1, 1);
  const last = Math.max(Math.ceil(items.length / perPage), 1);
  const url = (p: number): string => {
    const u = new URL(selfUrl);
    u.searchParams.set('per_page', String(perPage));
    u.searchParams.set('page', String(p));
    return u.href;
  };
  const links: string[] = [];
  if (page > 1) links.push(`<${url(page - 1)}>; rel="prev"`);
  if (page < last) links.push(`<${url(page + 1)}>; rel="next"`, `<${url(last)}>; rel="last"`);
  if (page > 1) links.push(`<${url(1)}>; rel="first"`);
  const out: { page: T[]; link?: string } = { page: items.slice((page - 1) * perPage, page * perPage) };
  if (links.length > 0) out.link = links.join(', ');
  return out;
}
