/**
 * Write one archive: tar stream -> gzip (zlib runs on the libuv threadpool, off the main thread) ->
 * sha256 + size of the compressed bytes -> file. Memory stays bounded by the stream buffers.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, createGzip } from 'node:zlib';
import { tarStream } from './tar-stream.js';
import type { ArchivePlan, ArchiveRecord, ManifestEntry } from './types.js';

/** Gzip OS byte (RFC 1952 offset 9): always "Unix", whatever platform zlib was built for. */
const GZIP_OS_UNIX = 3;

export interface WriteArchiveOptions {
  epoch: number;
  /** zlib level, 1-9 (default 6, as gzip). */
  level?: number;
  onRead?: (n: number) => void;
  signal?: AbortSignal;
}

export const GZIP_CHUNK = 256 * 1024;

/** Fixes the gzip header's OS byte (zlib leaves name empty and mtime 0) and hashes/counts the output. */
function fixHeaderAndHash(hash: ReturnType<typeof createHash>, counter: { size: number }) {
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
  const entries: ManifestEntry[] = [];
  const hash = createHash('sha256');
  const counter = { size: 0 };
  const tar = Readable.from(
    tarStream(plan.entries, {
      epoch: opts.epoch,
      onEntry: (e) => entries.push(e),
      ...(opts.onRead !== undefined ? { onRead: opts.onRead } : {}),
      ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
    }),
    { objectMode: false, highWaterMark: 1 << 20 },
  );
  const gzip = createGzip({ level: opts.level ?? constants.Z_DEFAULT_COMPRESSION, chunkSize: GZIP_CHUNK });
  await pipeline(tar, gzip, fixHeaderAndHash(hash, counter), createWriteStream(file, { flags: 'wx' }), {
    signal: opts.signal ?? new AbortController().signal,
  });
  return { name: plan.name, size: counter.size, sha256: hash.digest('hex'), entries };
}
