/**
 * The request pipeline of the emulator: resolve the OpenAPI operation, authenticate, apply faults, validate
 * the request, run the route, validate the response, log it. One function per listener kind.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteContext, Handler } from './context.js';
import type { Fault, FaultSwitch } from './faults.js';
import { HttpError, type Reply, notFound, unauthorized } from './http.js';
import { type ResolvedOperation, resolveOperation, validateRequest, validateResponse } from './openapi.js';
import type { Urls } from './render.js';
import { assetRoutes } from './routes-assets.js';
import { refRoutes } from './routes-refs.js';
import { releaseRoutes } from './routes-releases.js';
import { repoRoutes } from './routes-repos.js';
import type { EmulatorState } from './state.js';
import { drain, handleUpload } from './uploads.js';
import { serveWeb } from './web.js';

export type Listener = 'api' | 'uploads' | 'web';

export interface RequestRecord {
  listener: Listener;
  method: string;
  /** Path and query as received. */
  url: string;
  /** The OpenAPI operationId, or "web" for downloads and pages. */
  route: string;
  /** 0 when the connection was dropped on purpose. */
  status: number;
  /** Anything but GET/HEAD (downloads included as reads). */
  write: boolean;
  /** When the request arrived and when the answer was complete, in ms on a monotonic clock (epoch-based, so
   * a wall-clock step during a test cannot shorten or lengthen a measured wait). */
  start: number;
  end: number;
  /** Set when a fault answered this request. */
  fault?: string;
}

export interface Pipeline {
  state: EmulatorState;
  urls: Urls;
  token: string;
  dir: string;
  faults: FaultSwitch;
  requests: RequestRecord[];
  violations: string[];
  rate: { limit: number; used: number; reset: number };
  /** Random delay before each request is handled (ms), from a seeded generator; absent: none. */
  latency?: () => number;
}

const ROUTES: Record<string, Handler> = { ...repoRoutes, ...refRoutes, ...releaseRoutes, ...assetRoutes };
const MAX_JSON_BODY = 10 * 1024 * 1024;

function authState(p: Pipeline, req: IncomingMessage): 'none' | 'ok' | 'bad' {
  const header = req.headers.authorization;
  if (header === undefined) return 'none';
  const m = /^(?:token|bearer)\s+(\S+)$/i.exec(header);
  return m?.[1] === p.token ? 'ok' : 'bad';
}

async function readJson(req: IncomingMessage): Promise<{ raw: string; json: unknown }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) throw new HttpError(413, { message: 'Request body too large' });
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks).toString('utf8');
  if (raw.trim() === '') return { raw, json: undefined };
  try {
    return { raw, json: JSON.parse(raw) as unknown };
  } catch {
    throw new HttpError(400, {
      message: 'Problems parsing JSON',
      documentation_url: 'https://docs.github.com/rest',
    });
  }
}

function faultReply(p: Pipeline, fault: Fault): Reply | 'drop' {
  const k = fault.kind;
  if (k === 'drop') return 'drop';
  if (k === 'already_exists')
    return {
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [{ resource: 'ReleaseAsset', code: 'already_exists', field: 'name' }],
        documentation_url: 'https://docs.github.com/rest',
      },
    };
  if (k === 'starter') return { status: 502, body: { message: 'Server Error' } };
  if (!('retryAfter' in k)) return { status: k.status, body: { message: 'Server Error' } };
  const headers: Record<string, string> = { 'retry-after': String(k.retryAfter) };
  if (k.secondary === true)
    return {
      status: k.status,
      headers,
      body: {
        message:
          'You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.',
        documentation_url:
          'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      },
    };
  headers['x-ratelimit-remaining'] = '0';
  headers['x-ratelimit-reset'] = String(Math.ceil(Date.now() / 1000) + k.retryAfter);
  return {
    status: k.status,
    headers,
    body: {
      message: 'API rate limit exceeded for user ID 1.',
      documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
    },
  };
}

function send(
  p: Pipeline,
  res: ServerResponse,
  op: ResolvedOperation | undefined,
  reply: Reply,
  label: string,
): void {
  if (op)
    for (const v of validateResponse(op, reply.status, reply.body))
      p.violations.push(`${label}: response ${v}`);
  const now = Math.floor(Date.now() / 1000);
  if (now >= p.rate.reset) Object.assign(p.rate, { used: 0, reset: now + 3600 });
  p.rate.used++;
  const headers: Record<string, string> = {
    'x-github-request-id': randomUUID().toUpperCase(),
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': String(p.rate.limit),
    'x-ratelimit-remaining': String(Math.max(p.rate.limit - p.rate.used, 0)),
    'x-ratelimit-used': String(p.rate.used),
    'x-ratelimit-reset': String(p.rate.reset),
    'x-ratelimit-resource': 'core',
    ...reply.headers,
  };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['content-type'] = 'application/json; charset=utf-8';
  headers['content-length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers).end(text);
}

const monotonicNow = (): number => performance.timeOrigin + performance.now();

/** Handle one request on one of the three listeners; never throws. */
export async function handle(
  p: Pipeline,
  listener: Listener,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const start = monotonicNow();
  const method = req.method ?? 'GET';
  const base = listener === 'api' ? p.urls.api : listener === 'uploads' ? p.urls.uploads : p.urls.web;
  const url = new URL(req.url ?? '/', base);
  const record: RequestRecord = {
    listener,
    method,
    url: url.pathname + url.search,
    route: 'web',
    status: 0,
    write: method !== 'GET' && method !== 'HEAD',
    start,
    end: start,
  };
  p.requests.push(record);
  const delay = p.latency?.() ?? 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  const label = `${method} ${record.url}`;
  const auth = authState(p, req);
  let op: ResolvedOperation | undefined;
  try {
    if (listener === 'web') {
      await drain(req);
      record.status = serveWeb(p.state, auth === 'ok', req, res, url.pathname);
      return;
    }
    op = resolveOperation(method, url.pathname);
    const isUpload = op?.operationId === 'repos/upload-release-asset';
    if (!op || isUpload !== (listener === 'uploads')) {
      p.violations.push(
        `${label}: no operation in GitHub's OpenAPI description serves this on the ${listener} host`,
      );
      await drain(req);
      throw notFound();
    }
    record.route = op.operationId;
    if (auth === 'bad') {
      await drain(req);
      throw unauthorized();
    }
    const repo = p.state.repo(op.params.owner ?? '', op.params.repo ?? '');
    const handler = ROUTES[op.operationId];
    if (!repo || (!handler && !isUpload)) {
      if (repo) p.violations.push(`${label}: ${op.operationId} is not emulated`);
      await drain(req);
      throw notFound();
    }
    if (record.write && auth !== 'ok') {
      await drain(req);
      throw unauthorized('Requires authentication');
    }
    const fault = p.faults.take(op.operationId, method, url.pathname);
    if (fault) record.fault = typeof fault.kind === 'string' ? fault.kind : String(fault.kind.status);
    const ctxBase = {
      state: p.state,
      urls: p.urls,
      repo,
      params: op.params,
      query: url.searchParams,
      authed: auth === 'ok',
      selfUrl: url.href,
    };
    let reply: Reply | undefined;
    if (isUpload) {
      for (const v of validateRequest(op, url.searchParams, undefined, undefined))
        p.violations.push(`${label}: ${v}`);
      if (req.headers['content-length'] === undefined)
        p.violations.push(
          `${label}: uploads need an explicit Content-Length (uploads.github.com refuses chunked bodies)`,
        );
      const generic = fault && typeof fault.kind === 'object' && fault.kind.status !== undefined;
      if (generic) {
        await drain(req);
        reply = faultReply(p, fault) as Reply;
      } else {
        reply = await handleUpload({ ...ctxBase, body: {}, req, dir: p.dir, fault });
        if (reply === undefined) {
          req.socket.destroy();
          return;
        }
      }
    } else {
      const { json } = await readJson(req);
      for (const v of validateRequest(op, url.searchParams, req.headers['content-type'], json))
        p.violations.push(`${label}: ${v}`);
      const body = (json !== null && typeof json === 'object' ? json : {}) as Record<string, unknown>;
      const ctx: RouteContext = { ...ctxBase, body };
      const faulted = fault ? faultReply(p, fault) : undefined;
      if (faulted === 'drop') {
        req.socket.destroy();
        return;
      }
      reply = faulted ?? (await handler!(ctx));
    }
    record.status = reply.status;
    send(p, res, op, reply, label);
  } catch (e) {
    const reply: Reply =
      e instanceof HttpError
        ? { status: e.status, body: e.body, headers: e.headers }
        : { status: 500, body: { message: `emulator error: ${(e as Error).message}` } };
    if (!(e instanceof HttpError))
      p.violations.push(`${label}: emulator error ${(e as Error).stack ?? String(e)}`);
    record.status = reply.status;
    if (!res.headersSent && !res.destroyed) send(p, res, op, reply, label);
  } finally {
    record.end = monotonicNow();
  }
}
