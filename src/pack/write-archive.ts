/**
 * Write one archive: tar bytes -> gzip (zlib runs on the libuv threadpool, off the main thread) ->
 * sha256 + size of the compressed bytes -> file. Read buffers are recycled once zlib has consumed them,
 * so memory stays bounded whatever the tree's size.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pipeline } from 'node:stream/promises';
import type { TransformOptions } from 'node:stream';
import { constants, createGzip, type ZlibOptions } from 'node:zlib';
import { READ_CHUNK, writeTar, type TarSink } from './tar-stream.js';
import type { ArchivePlan, ArchiveRecord } from './types.js';

/** Gzip OS byte (RFC 1952 offset 9): always "Unix", whatever platform zlib was built for. */
const GZIP_OS_UNIX = 3;

export const GZIP_CHUNK = 128 * 1024;

export interface WriteArchiveOptions {
  epoch: number;
  /** zlib level, 1-9 (default 6, as gzip). */
  level?: number;
  onRead?: (n: number) => void;
  signal?: AbortSignal;
}

/** Fixes the gzip header's OS byte (zlib leaves name empty and mtime 0) and hashes/counts the output. */
function fixHeaderAndHash(hash: Hash, counter: { size: number }) {
  return async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      if (counter.size <= 9 && counter.size + chunk.length > 9) chunk[9 - counter.size] = GZIP_OS_UNIX;
      counter.size += chunk.length;
      hash.update(chunk);
      yield chunk;
    }
  };
}

export async function writeArchive(
  plan: ArchivePlan,
  file: string,
  opts: WriteArchiveOptions,
): Promise<ArchiveRecord> {
  const hash = createHash('sha256');
  const counter = { size: 0 };
  const zopts: ZlibOptions & TransformOptions = {
    level: opts.level ?? constants.Z_DEFAULT_COMPRESSION,
    chunkSize: GZIP_CHUNK,
    // one chunk compressing, one waiting: reading never stalls compression
    writableHighWaterMark: 2 * READ_CHUNK,
  };
  const gzip = createGzip(zopts);
  const failed = new AbortController();
  const signal = opts.signal === undefined ? failed.signal : AbortSignal.any([failed.signal, opts.signal]);
  const written = pipeline(gzip, fixHeaderAndHash(hash, counter), createWriteStream(file, { flags: 'wx' }), {
    signal,
  }).catch((e: unknown) => {
    failed.abort(e);
    throw e;
  });
  const sink: TarSink = async (chunk, release) => {
    signal.throwIfAborted();
    if (!gzip.write(chunk, release)) await once(gzip, 'drain', { signal });
  };
  let entries;
  try {
    entries = await writeTar(plan.entries, sink, {
      epoch: opts.epoch,
      signal,
      ...(opts.onRead !== undefined ? { onRead: opts.onRead } : {}),
    });
    gzip.end();
  } catch (e) {
    gzip.destroy(e instanceof Error ? e : undefined);
    await written.catch(() => undefined);
    throw e;
  }
  await written;
  return { name: plan.name, size: counter.size, sha256: hash.digest('hex'), entries };
}
