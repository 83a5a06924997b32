/**
 * The tar byte stream of an archive, produced entry by entry with headers we control: ustar, uid/gid 0,
 * empty user/group names, one fixed mtime, no atime/ctime. A pax header is written only for a path or
 * link name too long for ustar, and then carries only that name and the fixed mtime.
 * Each file is read once: its bytes are hashed as they pass into the stream.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Header, Pax } from 'tar';
import { ApplyError } from '../errors/index.js';
import type { HeaderData } from 'tar';
import { memberName } from './archive-path.js';
import type { ManifestEntry, PackEntry } from './types.js';

const BLOCK = 512;
const TYPES = { file: 'File', directory: 'Directory', symlink: 'SymbolicLink' } as const;

export const READ_CHUNK = 1 << 20;

export function octalMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function headerBlocks(e: PackEntry, mtime: Date): Buffer {
  const name = memberName(e.path, e.type);
  const data: HeaderData = {
    path: name,
    mode: e.mode,
    uid: 0,
    gid: 0,
    size: e.type === 'file' ? e.size : 0,
    mtime,
    type: TYPES[e.type],
    uname: '',
    gname: '',
    linkpath: e.linkname ?? '',
  };
  const block = Buffer.alloc(BLOCK);
  const header = new Header(data);
  if (!header.encode(block)) return block;
  const pax = new Pax({
    path: name,
    mtime,
    ...(e.linkname !== undefined && Buffer.byteLength(e.linkname) > 100 ? { linkpath: e.linkname } : {}),
  });
  return Buffer.concat([pax.encode(), block]);
}

export interface TarStreamOptions {
  epoch: number;
  /** Receives the manifest entry of each member, in archive order. */
  onEntry: (entry: ManifestEntry) => void;
  /** Bytes of file content read so far (for progress). */
  onRead?: (n: number) => void;
  signal?: AbortSignal;
}

export async function* tarStream(
  entries: readonly PackEntry[],
  opts: TarStreamOptions,
): AsyncGenerator<Buffer> {
  const mtime = new Date(opts.epoch * 1000);
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    yield headerBlocks(e, mtime);
    const record: ManifestEntry = { path: e.path, type: e.type, size: e.size, mode: octalMode(e.mode) };
    if (e.type === 'symlink' && e.linkname !== undefined) record.linkname = e.linkname;
    if (e.type === 'file' && e.source !== undefined) {
      const hash = createHash('sha256');
      let seen = 0;
      if (e.size > 0) {
        const stream = createReadStream(e.source, { highWaterMark: READ_CHUNK, end: e.size - 1 });
        for await (const chunk of stream) {
          const buf = chunk as Buffer;
          hash.update(buf);
          seen += buf.length;
          opts.onRead?.(buf.length);
          yield buf;
        }
      }
      if (seen !== e.size) {
        throw new ApplyError(
          `${e.source} shrank while being packed (${e.size} -> ${seen} bytes): nothing was written; rerun krel make`,
        );
      }
      const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
      if (pad > 0) yield Buffer.alloc(pad);
      record.sha256 = hash.digest('hex');
    }
    opts.onEntry(record);
  }
  yield Buffer.alloc(BLOCK * 2); // end-of-archive marker
}
