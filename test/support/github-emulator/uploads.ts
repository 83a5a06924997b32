/**
 * POST {uploadsUrl}/repos/{owner}/{repo}/releases/{id}/assets?name=&label= — streamed to a file on disk and
 * hashed while streaming (nothing is buffered), like uploads.github.com. The asset exists as a `starter` from
 * the first byte; only a complete body makes it `uploaded` with its size and sha256 digest.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { RouteContext } from './context.js';
import type { Fault } from './faults.js';
import { HttpError, type Reply, notFound, unprocessable, validationFailed } from './http.js';
import { assetJson } from './render.js';
import { type EmuAsset, type EmuRelease, nowIso } from './state.js';

export interface UploadContext extends RouteContext {
  req: IncomingMessage;
  /** Directory holding asset bytes. */
  dir: string;
  fault: Fault | undefined;
}

/** Read and discard the rest of the body, so an early answer reaches the client. */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

function newAsset(ctx: UploadContext, release: EmuRelease, name: string, label: string | null): EmuAsset {
  const now = nowIso();
  const asset: EmuAsset = {
    id: ctx.state.nextId(),
    name,
    label,
    state: 'starter',
    contentType: ctx.req.headers['content-type'] ?? 'application/octet-stream',
    size: 0,
    digest: null,
    createdAt: now,
    updatedAt: now,
    downloadCount: 0,
  };
  release.assets.push(asset);
  return asset;
}

async function staleAsset(ctx: UploadContext, release: EmuRelease, name: string): Promise<void> {
  if (release.assets.some((a) => a.name === name)) return;
  const asset = newAsset(ctx, release, name, null);
  const bytes = Buffer.from('stale bytes from an earlier upload\n');
  asset.file = join(ctx.dir, `asset-${asset.id}`);
  await writeFile(asset.file, bytes);
  Object.assign(asset, {
    state: 'uploaded',
    size: bytes.length,
    digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
  });
}

/** Answer, or throw HttpError; 'drop' resolves with undefined after destroying the socket. */
export async function handleUpload(ctx: UploadContext): Promise<Reply | undefined> {
  const { req, fault } = ctx;
  const release = ctx.state.findRelease(ctx.repo, Number(ctx.params.release_id));
  const name = ctx.query.get('name') ?? '';
  const fail = async (e: HttpError): Promise<never> => {
    await drain(req);
    throw e;
  };
  if (!release) return fail(notFound());
  if (name === '') return fail(unprocessable('name is required'));
  if (release.immutable) return fail(unprocessable('Cannot upload assets to an immutable release'));
  if (fault?.kind === 'already_exists') await staleAsset(ctx, release, name);
  if (release.assets.some((a) => a.name === name))
    return fail(validationFailed('ReleaseAsset', 'already_exists', 'name'));

  const asset = newAsset(ctx, release, name, ctx.query.get('label'));
  if (fault?.kind === 'starter')
    return fail(
      new HttpError(502, { message: 'Server Error', documentation_url: 'https://docs.github.com/rest' }),
    );
  if (fault?.kind === 'drop') {
    // Let the first bytes arrive, then cut the connection: the starter asset stays behind.
    await new Promise<void>((resolve) => req.once('data', () => resolve()));
    req.socket.destroy();
    return undefined;
  }

  const expected = Number(req.headers['content-length'] ?? NaN);
  const hash = createHash('sha256');
  let size = 0;
  const part = join(ctx.dir, `upload-${randomUUID()}.part`);
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    await pipeline(req, tap, createWriteStream(part));
  } catch {
    await rm(part, { force: true });
    return undefined; // the client went away; the starter asset stays, as on GitHub
  }
  if (size !== expected) {
    await rm(part, { force: true });
    throw new HttpError(400, {
      message: `Content-Length ${expected} does not match the ${size} bytes received`,
    });
  }
  asset.file = join(ctx.dir, `asset-${asset.id}`);
  await rename(part, asset.file);
  Object.assign(asset, {
    state: 'uploaded',
    size,
    digest: `sha256:${hash.digest('hex')}`,
    updatedAt: nowIso(),
  });
  return { status: 201, body: assetJson(ctx.urls, ctx.repo, release, asset) };
}
