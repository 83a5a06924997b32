/**
 * The tar byte stream of an archive, written entry by entry with headers we control: ustar, uid/gid 0,
 * empty user/group names, one fixed mtime, no atime/ctime. A pax header is written only for a path or
 * link name too long for ustar, and then carries only that name and the fixed mtime.
 * Each file is read once, into recycled buffers: its bytes are hashed as they pass into the sink.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { Header, Pax } from 'tar';
import type { HeaderData } from 'tar';
import { ApplyError } from '../errors/index.js';
import { memberName } from './archive-path.js';
import type { ManifestEntry, PackEntry } from './types.js';

const BLOCK = 512;
const TYPES = { file: 'File', directory: 'Directory', symlink: 'SymbolicLink', hardlink: 'Link' } as const;
const ZEROS = Buffer.alloc(BLOCK * 2);

export const READ_CHUNK = 256 * 1024;

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
  if (!new Header(data).encode(block)) return block;
  const pax = new Pax({
    path: name,
    mtime,
    ...(e.linkname !== undefined && Buffer.byteLength(e.linkname) > 100 ? { linkpath: e.linkname } : {}),
  });
  return Buffer.concat([pax.encode(), block]);
}

/**
 * Where the tar bytes go. `write` resolves when the sink can take more; `release`, when given, is called
 * once the sink no longer needs the buffer (so it can be reused).
 */
export type TarSink = (chunk: Buffer, release?: () => void) => Promise<void>;

export interface TarWriteOptions {
  epoch: number;
  /** Bytes of file content read so far (for progress). */
  onRead?: (n: number) => void;
  signal?: AbortSignal;
}

/** A few read buffers per archive, reused once the sink has consumed them. */
class BufferPool {
  private readonly free: Buffer[] = [];
  constructor(private readonly size: number) {}
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafe(this.size);
  }
  give(buf: Buffer): void {
    this.free.push(buf);
  }
}

async function writeFileContent(
  e: PackEntry & { source: string },
  sink: TarSink,
  pool: BufferPool,
  opts: TarWriteOptions,
): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(e.source, 'r');
  try {
    let left = e.size;
    while (left > 0) {
      opts.signal?.throwIfAborted();
      const buf = pool.take();
      const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), e.size - left);
      if (bytesRead === 0) {
        pool.give(buf);
        throw new ApplyError(
          `${e.source} shrank while being packed (${e.size} -> ${e.size - left} bytes): nothing was written; rerun krel make`,
        );
      }
      const chunk = buf.subarray(0, bytesRead);
      hash.update(chunk);
      left -= bytesRead;
      opts.onRead?.(bytesRead);
      await sink(chunk, () => pool.give(buf));
    }
  } finally {
    await fh.close();
  }
  const pad = (BLOCK - (e.size % BLOCK)) % BLOCK;
  if (pad > 0) await sink(ZEROS.subarray(0, pad));
  return hash.digest('hex');
}

/** Write every entry to the sink, then the end-of-archive marker; returns the manifest entries in order. */
export async function writeTar(
  entries: readonly PackEntry[],
  sink: TarSink,
  opts: TarWriteOptions,
): Promise<ManifestEntry[]> {
  const mtime = new Date(opts.epoch * 1000);
  const pool = new BufferPool(READ_CHUNK);
  const records: ManifestEntry[] = [];
  for (const e of entries) {
    opts.signal?.throwIfAborted();
    await sink(headerBlocks(e, mtime));
    const record: ManifestEntry = { path: e.path, type: e.type, size: e.size, mode: octalMode(e.mode) };
    if (e.linkname !== undefined) record.linkname = e.linkname;
    if (e.rewrittenFrom !== undefined) record.rewrittenFrom = e.rewrittenFrom;
    if (e.type === 'file' && e.source !== undefined) {
      record.sha256 = await writeFileContent({ ...e, source: e.source }, sink, pool, opts);
    }
    records.push(record);
  }
  await sink(ZEROS);
  return records;
}
