/**
 * A client of the OCI distribution API, over got: auth (Basic, or a Bearer token fetched from the
 * challenge's realm), blob HEAD, cross-repository mount, monolithic or chunked upload with retry (a fresh
 * upload session and a fresh stream per attempt), manifest GET/PUT/DELETE. Headers are never logged.
 * Access problems (unreachable, credentials refused) are RefusedError; anything else unexpected, ApplyError.
 */
import type { Readable } from 'node:stream';
import got, { RequestError, type Method, type Response } from 'got';
import { ApplyError, KrelError, RefusedError } from '../errors/index.js';
import { addSecret } from '../log/redact.js';
import { retry } from '../util/retry.js';
import { basicHeader, parseChallenge, type Challenge, type Credentials } from './registry-auth.js';
import { MEDIA, type RawManifest } from './types.js';
import { digestOf } from './layout.js';

export const MANIFEST_ACCEPT = [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(
  ', ',
);

export interface RegistryClientOptions {
  host: string;
  plainHttp: boolean;
  credentials?: Credentials;
  userAgent: string;
  /** Blobs larger than this are sent in PATCH chunks of this size. */
  chunkBytes: number;
  attempts?: number;
  retryBaseMs?: number;
  signal?: AbortSignal;
}

type Body = () => Promise<Buffer | Readable | undefined> | Buffer | Readable | undefined;

interface Call {
  headers?: Record<string, string>;
  body?: Body;
  /** Statuses that are answers, not errors. */
  ok: readonly number[];
}

const NETWORK_HINT: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there',
  ENOTFOUND: 'no such host',
  ETIMEDOUT: 'timed out',
  EPROTO: 'TLS failed (a registry without TLS needs --plain-http)',
};

export class RegistryClient {
  private readonly base: string;
  private authorization: string | undefined;

  constructor(private readonly opts: RegistryClientOptions) {
    this.base = `${opts.plainHttp ? 'http' : 'https'}://${opts.host}`;
  }

  get host(): string {
    return this.opts.host;
  }

  private url(p: string): string {
    return /^https?:\/\//.test(p) ? p : `${this.base}${p}`;
  }

  private async send(method: Method, url: string, call: Call): Promise<Response<Buffer>> {
    const body = await call.body?.();
    try {
      return await got(url, {
        method,
        headers: {
          'user-agent': this.opts.userAgent,
          ...(this.authorization !== undefined ? { authorization: this.authorization } : {}),
          ...call.headers,
        },
        ...(body !== undefined ? { body } : {}),
        responseType: 'buffer',
        throwHttpErrors: false,
        followRedirect: true,
        retry: { limit: 0 },
        timeout: { connect: 15_000, response: 120_000 },
        ...(this.opts.signal !== undefined ? { signal: this.opts.signal } : {}),
      });
    } catch (e) {
      if (body !== undefined && typeof (body as Readable).destroy === 'function')
        (body as Readable).destroy();
      if (e instanceof RequestError) {
        const code = e.code;
        throw new RefusedError(
          `registry ${this.opts.host} is unreachable (${code}${NETWORK_HINT[code] !== undefined ? `: ${NETWORK_HINT[code]}` : ''}): check --registry and that the registry runs`,
          { cause: e },
        );
      }
      throw e;
    }
  }

  /** One request with authentication: on 401, answer the challenge once and resend. */
  async request(method: Method, p: string, call: Call): Promise<Response<Buffer>> {
    const url = this.url(p);
    let res = await this.send(method, url, call);
    if (res.statusCode === 401) {
      await this.answer(parseChallenge(res.headers['www-authenticate']));
      res = await this.send(method, url, call);
      if (res.statusCode === 401) throw this.refusedCredentials();
    }
    if (res.statusCode === 403)
      throw new RefusedError(
        `registry ${this.opts.host} denied ${method} ${new URL(url).pathname}: the account may not access it`,
      );
    if (!call.ok.includes(res.statusCode)) throw this.unexpected(method, url, res);
    return res;
  }

  private refusedCredentials(): RefusedError {
    const c = this.opts.credentials;
    return c === undefined
      ? new RefusedError(
          `registry ${this.opts.host} asks for credentials and none are set: set REGISTRY_AUTH_FILE, log in (~/.docker/config.json) or set KREL_REGISTRY_USER and KREL_REGISTRY_PASSWORD`,
        )
      : new RefusedError(
          `registry ${this.opts.host} refused the credentials of "${c.username}" from ${c.from}: fix the user or password there`,
        );
  }

  private unexpected(method: string, url: string, res: Response<Buffer>): ApplyError {
    let code = '';
    try {
      const errs = (JSON.parse(res.body.toString('utf8')) as { errors?: { code?: string }[] }).errors;
      if (errs?.[0]?.code !== undefined) code = ` ${errs[0].code}`;
    } catch {
      // not a JSON error body
    }
    return new ApplyError(
      `registry ${this.opts.host}: ${method} ${new URL(url).pathname} answered HTTP ${res.statusCode}${code}`,
    );
  }

  private async answer(ch: Challenge | undefined): Promise<void> {
    const creds = this.opts.credentials;
    if (ch?.scheme === 'basic') {
      if (creds === undefined) throw this.refusedCredentials();
      this.authorization = basicHeader(creds);
      return;
    }
    if (ch?.scheme === 'bearer' && ch.params.realm !== undefined) {
      this.authorization = `Bearer ${await this.token(ch)}`;
      return;
    }
    throw new RefusedError(`registry ${this.opts.host} answered 401 with no challenge krel understands`);
  }

  /** A Bearer token from the challenge's realm (with Basic credentials when there are any). */
  private async token(ch: Challenge): Promise<string> {
    const realm = new URL(ch.params.realm!);
    if (ch.params.service !== undefined) realm.searchParams.set('service', ch.params.service);
    for (const s of (ch.params.scope ?? '').split(' ').filter((x) => x !== ''))
      realm.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.opts.userAgent };
    if (this.opts.credentials !== undefined) headers.authorization = basicHeader(this.opts.credentials);
    let res: Response<Buffer>;
    try {
      res = await got(realm.href, {
        headers,
        responseType: 'buffer',
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: 30_000 },
        ...(this.opts.signal !== undefined ? { signal: this.opts.signal } : {}),
      });
    } catch (e) {
      throw new RefusedError(
        `token service ${realm.host} of registry ${this.opts.host} is unreachable (${e instanceof RequestError ? e.code : String(e)})`,
      );
    }
    if (res.statusCode === 401 || res.statusCode === 403) throw this.refusedCredentials();
    if (res.statusCode !== 200)
      throw new RefusedError(`token service ${realm.host} answered HTTP ${res.statusCode}`);
    const body = JSON.parse(res.body.toString('utf8')) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token === undefined) throw new RefusedError(`token service ${realm.host} gave no token`);
    addSecret(token);
    return token;
  }

  /** Retry an idempotent piece of work on network errors and 5xx/429 answers. */
  private retrying<T>(work: () => Promise<T>): Promise<T> {
    return retry(work, {
      attempts: this.opts.attempts ?? 3,
      baseMs: this.opts.retryBaseMs ?? 250,
      shouldRetry: (e) =>
        e instanceof ApplyError && /HTTP (5\d\d|429)/.test(e.message)
          ? true
          : e instanceof RefusedError && /unreachable \((ECONNRESET|ETIMEDOUT|EPIPE)/.test(e.message),
      ...(this.opts.signal !== undefined ? { signal: this.opts.signal } : {}),
    });
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.retrying(() =>
      this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { ok: [200, 404] }),
    );
    return res.statusCode === 200;
  }

  /** Mount a blob of `from` into `repo` (same registry); false when the registry opened an upload instead. */
  async mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    const q = new URLSearchParams({ mount: digest, from });
    const res = await this.request('POST', `/v2/${repo}/blobs/uploads/?${q.toString()}`, { ok: [201, 202] });
    if (res.statusCode === 201) return true;
    const loc = res.headers.location;
    if (loc !== undefined)
      await this.request('DELETE', this.resolveLocation(loc), { ok: [204, 404] }).catch(() => undefined);
    return false;
  }

  private resolveLocation(loc: string): string {
    return new URL(loc, this.base).href;
  }

  private withDigest(loc: string, digest: string): string {
    const u = new URL(loc);
    u.searchParams.set('digest', digest);
    return u.href;
  }

  /** Upload a blob: one PUT when it fits a chunk, else PATCH chunks then PUT. Each attempt starts afresh. */
  async putBlob(repo: string, digest: string, size: number, open: () => Promise<Readable>): Promise<void> {
    await this.retrying(async () => {
      const start = await this.request('POST', `/v2/${repo}/blobs/uploads/`, { ok: [202] });
      let loc = this.resolveLocation(start.headers.location ?? '');
      if (size <= this.opts.chunkBytes) {
        await this.request('PUT', this.withDigest(loc, digest), {
          headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
          body: open,
          ok: [201],
        });
        return;
      }
      let offset = 0;
      for await (const chunk of chunks(await open(), this.opts.chunkBytes)) {
        const res = await this.request('PATCH', loc, {
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(chunk.length),
            'content-range': `${offset}-${offset + chunk.length - 1}`,
          },
          body: () => chunk,
          ok: [202],
        });
        offset += chunk.length;
        loc = this.resolveLocation(res.headers.location ?? loc);
      }
      await this.request('PUT', this.withDigest(loc, digest), {
        headers: { 'content-length': '0' },
        ok: [201],
      });
    });
  }

  async openBlob(repo: string, digest: string): Promise<Readable> {
    const res = await this.request('HEAD', `/v2/${repo}/blobs/${digest}`, { ok: [200, 404] }); // authenticates
    if (res.statusCode === 404)
      throw new ApplyError(`registry ${this.opts.host}: ${repo} has no blob ${digest}`);
    return got.stream(this.url(`/v2/${repo}/blobs/${digest}`), {
      headers: {
        'user-agent': this.opts.userAgent,
        ...(this.authorization !== undefined ? { authorization: this.authorization } : {}),
      },
      retry: { limit: 0 },
      ...(this.opts.signal !== undefined ? { signal: this.opts.signal } : {}),
    });
  }

  /** The manifest `ref` (tag or digest) of repo, or undefined when there is none. */
  async getManifest(repo: string, ref: string): Promise<RawManifest | undefined> {
    const res = await this.retrying(() =>
      this.request('GET', `/v2/${repo}/manifests/${ref}`, {
        headers: { accept: MANIFEST_ACCEPT },
        ok: [200, 404],
      }),
    );
    if (res.statusCode === 404) return undefined;
    const digest = digestOf(res.body);
    if (ref.startsWith('sha256:') && digest !== ref)
      throw new ApplyError(
        `registry ${this.opts.host}: manifest ${repo}@${ref} arrived with digest ${digest}`,
      );
    const mediaType = (res.headers['content-type'] ?? '').split(';')[0]!.trim();
    return { bytes: res.body, mediaType, digest };
  }

  async putManifest(repo: string, tag: string, m: RawManifest): Promise<void> {
    const res = await this.retrying(() =>
      this.request('PUT', `/v2/${repo}/manifests/${tag}`, {
        headers: { 'content-type': m.mediaType },
        body: () => m.bytes,
        ok: [201],
      }),
    );
    const said = res.headers['docker-content-digest'];
    if (typeof said === 'string' && said !== m.digest)
      throw new ApplyError(`registry ${this.opts.host} stored ${repo}:${tag} as ${said}, not ${m.digest}`);
  }

  /** Delete a manifest by digest (which drops every tag on it). */
  async deleteManifest(repo: string, digest: string): Promise<void> {
    try {
      await this.request('DELETE', `/v2/${repo}/manifests/${digest}`, { ok: [202, 404] });
    } catch (e) {
      if (e instanceof KrelError && /HTTP 405/.test(e.message))
        throw new RefusedError(
          `registry ${this.opts.host} does not allow deleting manifests (distribution: storage.delete.enabled: true)`,
        );
      throw e;
    }
  }
}

/** Re-cut a stream into chunks of exactly `size` bytes (the last may be shorter). */
async function* chunks(source: Readable, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let have = 0;
  for await (const piece of source as AsyncIterable<Buffer>) {
    let buf = piece;
    while (have + buf.length >= size) {
      const take = size - have;
      parts.push(buf.subarray(0, take));
      yield Buffer.concat(parts);
      parts = [];
      have = 0;
      buf = buf.subarray(take);
    }
    if (buf.length > 0) {
      parts.push(buf);
      have += buf.length;
    }
  }
  if (have > 0) yield Buffer.concat(parts);
}
