/**
 * Write one archive: tar bytes -> gzip -> sha256 + size of the compressed bytes -> file.
 * Compression runs on the libuv threadpool, off the main thread: in parallel blocks (block-gzip.ts) where
 * zlib.crc32 exists, else as one zlib stream. Read buffers are recycled once consumed, so memory stays
 * bounded whatever the tree's size.
 */
import { createHash, type Hash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import type { TransformOptions } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip, type ZlibOptions } from 'node:zlib';
import type { Slots } from './block-gzip.js';
import { BlockGzip, blockGzipAvailable } from './block-gzip.js';
import { READ_CHUNK, writeTar, type TarSink } from './tar-stream.js';
import type { ArchivePlan, ArchiveRecord, ManifestEntry } from './types.js';

/** Gzip OS byte (RFC 1952 offset 9): always "Unix", whatever platform zlib was built for. */
const GZIP_OS_UNIX = 3;

const GZIP_CHUNK = 128 * 1024;

export interface WriteArchiveOptions {
  epoch: number;
  /** zlib level, 1-9 (default 6, as gzip). */
  level?: number;
  onRead?: (n: number) => void;
  signal?: AbortSignal;
  /** Compress in parallel blocks, at most this many at once across archives; absent: one stream. */
  slots?: Slots;
}

interface Output {
  hash: Hash;
  size: number;
}

type TarBody = (sink: TarSink, signal: AbortSignal) => Promise<ManifestEntry[]>;

async function blockGzipTo(
  file: string,
  level: number,
  slots: Slots,
  body: TarBody,
  out: Output,
  signal: AbortSignal,
) {
  const fh = await open(file, 'wx');
  try {
    const gz = new BlockGzip(
      async (chunk) => {
        out.hash.update(chunk);
        out.size += chunk.length;
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
      },
      { level, inFlight: 2, slots },
    );
    const entries = await body(async (chunk, release) => {
      await gz.write(chunk);
      release?.();
    }, signal);
    await gz.end();
    return entries;
  } finally {
    await fh.close();
  }
}

/** Fixes the gzip header's OS byte (zlib leaves name empty and mtime 0) and hashes/counts the output. */
function fixHeaderAndHash(out: Output) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (out.size <= 9 && out.size + chunk.length > 9) chunk[9 - out.size] = GZIP_OS_UNIX;
      out.size += chunk.length;
      out.hash.update(chunk);
      yield chunk;
    }
  };
}

async function streamGzipTo(file: string, level: number, body: TarBody, out: Output, outer: AbortSignal) {
  const zopts: ZlibOptions & TransformOptions = {
    level,
    chunkSize: GZIP_CHUNK,
    // one chunk compressing, one waiting: reading never stalls compression
    writableHighWaterMark: 2 * READ_CHUNK,
  };
  const gzip = createGzip(zopts);
  const failed = new AbortController();
  const signal = AbortSignal.any([failed.signal, outer]);
  const written = pipeline(gzip, fixHeaderAndHash(out), createWriteStream(file, { flags: 'wx' }), {
    signal,
  }).catch((e: unknown) => {
    failed.abort(e);
    throw e;
  });
  try {
    const entries = await body(async (chunk, release) => {
      signal.throwIfAborted();
      if (!gzip.write(chunk, release)) await once(gzip, 'drain', { signal });
    }, signal);
    gzip.end();
    await written;
    return entries;
  } catch (e) {
    gzip.destroy(e instanceof Error ? e : undefined);
    await written.catch(() => undefined);
    throw e;
  }
}

export async function writeArchive(
  plan: ArchivePlan,
  file: string,
  opts: WriteArchiveOptions,
): Promise<ArchiveRecord> {
  const out: Output = { hash: createHash('sha256'), size: 0 };
  const level = opts.level ?? constants.Z_DEFAULT_COMPRESSION;
  const body: TarBody = (sink, signal) =>
    writeTar(plan.entries, sink, {
      epoch: opts.epoch,
      signal,
      ...(opts.onRead !== undefined ? { onRead: opts.onRead } : {}),
    });
  const signal = opts.signal ?? new AbortController().signal;
  const entries =
    opts.slots !== undefined && blockGzipAvailable
      ? await blockGzipTo(file, level, opts.slots, body, out, signal)
      : await streamGzipTo(file, level, body, out, signal);
  return { name: plan.name, size: out.size, sha256: out.hash.digest('hex'), entries };
}
