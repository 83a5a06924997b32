/**
 * Read a .tar.gz back, streaming: every member's header fields and, for files, the sha256 of its content.
 * Bytes are hashed as they pass and the gunzip waits for the hash (backpressure), so memory stays flat
 * whatever a member's size. Sizes beyond 8 GiB (base-256 or pax "size") are read by node-tar's Header.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser } from 'tar';
import type { ReadEntry } from 'tar';
import type { EntryType } from './types.js';

export interface ListedEntry {
  path: string;
  /** file, directory, symlink, hardlink, or the tar type name of anything else. */
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  sha256?: string;
  linkname?: string;
}

const TYPES: Record<string, EntryType> = {
  File: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
};
const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

function listed(e: ReadEntry): ListedEntry {
  const out: ListedEntry = {
    path: e.path.replace(/\/+$/, ''),
    type: TYPES[e.type] ?? e.type,
    size: e.size ?? 0,
    mode: (e.mode ?? 0) & 0o7777,
    uid: e.uid ?? -1,
    gid: e.gid ?? -1,
    uname: e.uname ?? '',
    gname: e.gname ?? '',
    mtime: e.mtime === undefined ? -1 : Math.floor(e.mtime.getTime() / 1000),
  };
  if (e.linkpath !== undefined && e.linkpath !== '') out.linkname = e.linkpath;
  return out;
}

/**
 * A writable that parses the tar bytes written to it. `entries` holds every member in archive order,
 * including those node-tar does not model (listed under their tar type so the archive rules see them).
 */
function tarSink(): { sink: Writable; entries: ListedEntry[]; hashed: Promise<void>[] } {
  const entries: ListedEntry[] = [];
  const hashed: Promise<void>[] = [];
  const parser = new Parser({ strict: true, brotli: false, zstd: false });
  parser.on('entry', (e: ReadEntry) => {
    const entry = listed(e);
    entries.push(entry);
    if (e.type === 'File') {
      const hash = createHash('sha256');
      e.on('data', (c: Buffer) => hash.update(c));
      hashed.push(
        new Promise((resolve) =>
          e.on('end', () => {
            entry.sha256 = hash.digest('hex');
            resolve();
          }),
        ),
      );
    }
    e.resume();
  });
  parser.on('ignoredEntry', (e: ReadEntry) => entries.push(listed(e)));
  let first = true;
  let failed: Error | undefined;
  const sink: Writable = new Writable({
    write(chunk: Buffer, _enc, done) {
      if (first) {
        first = false;
        // node-tar would inflate a second gzip layer itself, unbounded; a made archive has one layer.
        if (chunk.subarray(0, 2).equals(GZIP_MAGIC)) return done(new Error('it holds a second gzip layer'));
      }
      if (parser.write(chunk) || failed !== undefined) return done(failed);
      parser.once('drain', () => done(failed));
    },
    final(done) {
      parser.once('end', () => done(failed));
      parser.end();
    },
  });
  const fail = (e: Error): void => {
    failed ??= e;
    sink.destroy(e);
  };
  parser.on('error', fail);
  parser.on('abort', fail);
  return { sink, entries, hashed };
}

/** The members of a raw (uncompressed) tar byte stream, files hashed as they pass. */
export async function listTar(tar: AsyncIterable<Buffer> | NodeJS.ReadableStream): Promise<ListedEntry[]> {
  const { sink, entries, hashed } = tarSink();
  await pipeline(tar, sink);
  await Promise.all(hashed);
  return entries;
}

/** The members of a .tar.gz file, files hashed as they pass. */
export async function listArchive(file: string): Promise<ListedEntry[]> {
  const { sink, entries, hashed } = tarSink();
  await pipeline(createReadStream(file), createGunzip(), sink);
  await Promise.all(hashed);
  return entries;
}
