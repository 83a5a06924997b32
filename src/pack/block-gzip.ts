/**
 * Parallel gzip of one stream, as pigz does: the input is cut into fixed-size blocks, each compressed
 * on its own (zlib on the libuv threadpool) as raw deflate primed with the previous 32 KiB, ended with a
 * sync flush (the last block with finish), and the results are written in order between one gzip header
 * and trailer. The output is a single standard gzip member, identical for identical input whatever the
 * timing, because block boundaries depend only on byte offsets. Blocks of random-looking bytes are stored.
 * Several blocks of one archive compress at once, so even a single large archive uses every core.
 */
import zlib from 'node:zlib';

/** 10-byte gzip header: deflate, no flags (no name), mtime 0, no extra flags, OS 3 (Unix). */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
const WINDOW = 32 * 1024;

/** Raw-deflate one block; the output chunks are handed on as they are (no concatenation copy). */
function deflateRaw(input: Buffer, options: zlib.ZlibOptions): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const z = zlib.createDeflateRaw(options);
    z.on('data', (c: Buffer) => parts.push(c));
    z.on('error', reject);
    z.on('end', () => resolve(parts));
    z.end(input);
  });
}

const BLOCK_SIZE = 1024 * 1024;
const OUT_CHUNK = 256 * 1024;

/** zlib.crc32 exists from Node 20.15; without it the caller falls back to one gzip stream. */
export const blockGzipAvailable = typeof (zlib as { crc32?: unknown }).crc32 === 'function';

const SAMPLES = 16;
const SAMPLE = 4096;
/** Bits per byte above which a sample is taken for random or already-compressed data. */
const RANDOM_BITS = 7.9;

/**
 * True when every sample of the block has the byte entropy of random data (already-compressed files:
 * archives, images, packed libraries). Such blocks are stored rather than deflated: deflate would spend
 * most of its time on them and save nothing. The decision depends only on the bytes, so output stays
 * reproducible.
 */
export function looksIncompressible(block: Buffer): boolean {
  if (block.length < SAMPLES * SAMPLE) return false;
  const counts = new Uint32Array(256);
  const stride = Math.floor((block.length - SAMPLE) / (SAMPLES - 1));
  for (let s = 0; s < SAMPLES; s++) {
    counts.fill(0);
    const start = s * stride;
    for (let i = start; i < start + SAMPLE; i++) counts[block[i]!]!++;
    let bits = 0;
    for (const c of counts) if (c > 0) bits -= (c / SAMPLE) * Math.log2(c / SAMPLE);
    if (bits < RANDOM_BITS) return false;
  }
  return true;
}

/** Shared by the archives written at once: how many blocks compress at a time, in all. */
export class Slots {
  private readonly waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    return () => {
      const next = this.waiting.shift();
      if (next !== undefined) next();
      else this.free++;
    };
  }
}

export interface BlockGzipOptions {
  level: number;
  /** Blocks of this archive dispatched and not yet written. */
  inFlight: number;
  slots: Slots;
  blockSize?: number;
}

export class BlockGzip {
  private readonly size: number;
  private readonly free: Buffer[] = [];
  private block: Buffer;
  private fill = 0;
  private dictionary: Buffer | undefined;
  private crc = 0;
  private isize = 0;
  /** Resolves when every block dispatched so far has been written, in order. */
  private tail: Promise<void>;
  private readonly pending: Promise<void>[] = [];

  /** `out` receives the compressed bytes in order, one call at a time. */
  constructor(
    private readonly out: (chunk: Buffer) => Promise<void>,
    private readonly opts: BlockGzipOptions,
  ) {
    this.size = Math.max(opts.blockSize ?? BLOCK_SIZE, 2 * WINDOW);
    this.block = Buffer.allocUnsafe(this.size);
    this.tail = out(GZIP_HEADER);
  }

  /** Copy `chunk` in; resolves when the caller may reuse it and write more. */
  async write(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.size - this.fill);
      chunk.copy(this.block, this.fill, off, off + n);
      this.fill += n;
      off += n;
      if (this.fill === this.size) await this.dispatch(false);
    }
  }

  /** Compress what is left, write the trailer (CRC-32 and size of the input) and wait for all of it. */
  async end(): Promise<void> {
    await this.dispatch(true);
    await this.tail;
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.isize >>> 0, 4);
    await this.out(trailer);
  }

  private async dispatch(last: boolean): Promise<void> {
    const buf = this.block;
    const input = buf.subarray(0, this.fill);
    this.crc = zlib.crc32(input, this.crc);
    this.isize = (this.isize + input.length) % 2 ** 32;
    const options: zlib.ZlibOptions = {
      level: looksIncompressible(input) ? 0 : this.opts.level,
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      chunkSize: OUT_CHUNK,
      ...(this.dictionary !== undefined ? { dictionary: this.dictionary } : {}),
    };
    if (!last) this.dictionary = Buffer.from(input.subarray(input.length - WINDOW));
    const done = await this.opts.slots.acquire();
    const compressed = deflateRaw(input, options).finally(() => {
      this.free.push(buf);
      done();
    });
    const previous = this.tail;
    this.tail = (async () => {
      const [, parts] = await Promise.all([previous, compressed]);
      for (const part of parts) await this.out(part);
    })();
    this.tail.catch(() => undefined); // surfaced by the await below or in end()
    this.pending.push(this.tail);
    this.block = this.free.pop() ?? Buffer.allocUnsafe(this.size);
    this.fill = 0;
    if (this.pending.length >= this.opts.inFlight) await this.pending.shift();
  }
}
