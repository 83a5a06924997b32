/**
 * A saved machine state made sparse. qemu's migration stream lists every page of guest memory, the zero ones as
 * short "zero page" records, and loading such a record makes qemu read that page of the new VM's memory. Where
 * the host backs a first read with a freshly zeroed huge page (as nested-virtualization hosts do), loading a
 * 1 GiB guest then zeroes all 1 GiB for ~175 MB of data, which is most of a restore's time. A new qemu's main
 * guest memory is already zero, so the zero-page records of that block say nothing and are left out; every other
 * byte is copied as it is. The stream is read once, in bounded memory.
 *
 * Only the shape qemu writes for a plain precopy save is rewritten: the "QEVM" v3 stream whose "ram" section
 * (START, PART..., END, each closed by its footer) holds MEM_SIZE, ZERO, PAGE and EOS records. Anything else
 * (another capability's records, an unknown section inside the RAM part) and the state is kept as it was saved:
 * the result says why. A record that names its block is kept, so the records after it still know their block.
 */
import { open, type FileHandle } from 'node:fs/promises';

/** The main guest memory of qemu's x86 machines (pc and q35): the block a new qemu hands over zeroed. */
export const MAIN_RAM_BLOCK = 'pc.ram';

const PAGE_SIZE = 4096;
const FLAG = { zero: 0x02, memSize: 0x04, page: 0x08, eos: 0x10, continue: 0x20 } as const;
const KNOWN_FLAGS = FLAG.zero | FLAG.memSize | FLAG.page | FLAG.eos | FLAG.continue;
const SECTION = { start: 0x01, part: 0x02, end: 0x03, footer: 0x7e } as const;
/** The RAM section starts right after the stream header and the machine configuration. */
const RAM_SEARCH_LIMIT = 64 * 1024;
const CHUNK = 1024 * 1024;

export type SparseResult = { sparse: true; dropped: number } | { sparse: false; why: string };

/** The stream is not the shape this rewrite knows. */
class UnknownShape extends Error {}

class Reader {
  private buf = Buffer.alloc(0);
  private off = 0;
  private pos = 0;
  private eof = false;

  constructor(private readonly fh: FileHandle) {}

  /** At least `n` bytes buffered, unless the file ends first. */
  async fill(n: number): Promise<number> {
    while (this.buf.length - this.off < n && !this.eof) {
      const more = Buffer.allocUnsafe(Math.max(CHUNK, n));
      const { bytesRead } = await this.fh.read(more, 0, more.length, this.pos);
      this.pos += bytesRead;
      if (bytesRead === 0) this.eof = true;
      this.buf = Buffer.concat([this.buf.subarray(this.off), more.subarray(0, bytesRead)]);
      this.off = 0;
    }
    return this.buf.length - this.off;
  }

  peek(): Buffer {
    return this.buf.subarray(this.off);
  }

  async take(n: number): Promise<Buffer> {
    if ((await this.fill(n)) < n) throw new UnknownShape('the stream ends inside a record');
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

class Writer {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly fh: FileHandle) {}

  async put(b: Buffer): Promise<void> {
    this.parts.push(b);
    this.size += b.length;
    if (this.size >= CHUNK) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.size === 0) return;
    await this.fh.write(Buffer.concat(this.parts, this.size));
    this.parts = [];
    this.size = 0;
  }
}

/** Copies the RAM section's records up to and including its EOS, leaving out the main block's zero pages. */
async function copyRecords(r: Reader, w: Writer, state: { block?: string; dropped: number }): Promise<void> {
  for (;;) {
    const head = await r.take(8);
    const flags = Number(head.readBigUInt64BE() & 0xfffn);
    if ((flags & ~KNOWN_FLAGS) !== 0)
      throw new UnknownShape(`a RAM record with flags 0x${flags.toString(16)}`);
    if (flags & FLAG.eos) return w.put(head);
    if (flags & FLAG.memSize) {
      await w.put(head);
      const total = head.readBigUInt64BE() & ~0xfffn;
      let listed = 0n;
      while (listed < total) {
        const len = (await r.take(1))[0]!;
        await w.put(Buffer.concat([Buffer.from([len]), await r.take(len)]));
        const used = await r.take(8);
        listed += used.readBigUInt64BE();
        await w.put(used);
      }
      if (listed !== total) throw new UnknownShape('the RAM block list does not add up to the memory size');
      continue;
    }
    let name: Buffer | undefined;
    if (!(flags & FLAG.continue)) {
      const len = (await r.take(1))[0]!;
      name = Buffer.concat([Buffer.from([len]), await r.take(len)]);
      state.block = name.subarray(1).toString('latin1');
    } else if (state.block === undefined) {
      throw new UnknownShape('a RAM record continues no block');
    }
    if (flags & FLAG.zero) {
      const fill = await r.take(1);
      if (fill[0] === 0 && name === undefined && state.block === MAIN_RAM_BLOCK) {
        state.dropped++;
        continue;
      }
      await w.put(Buffer.concat([head, ...(name ? [name] : []), fill]));
    } else if (flags & FLAG.page) {
      await w.put(Buffer.concat([head, ...(name ? [name] : []), await r.take(PAGE_SIZE)]));
    } else {
      throw new UnknownShape(`a RAM record with flags 0x${flags.toString(16)}`);
    }
  }
}

async function rewrite(r: Reader, w: Writer): Promise<number> {
  await r.fill(RAM_SEARCH_LIMIT);
  const head = r.peek();
  if (head.length < 8 || head.toString('latin1', 0, 4) !== 'QEVM' || head.readUInt32BE(4) !== 3)
    throw new UnknownShape('not a QEVM version 3 stream');
  // The START header of the "ram" section: type, section id, name length and name, instance, version.
  let at = -1;
  for (let i = head.indexOf('\x03ram', 8, 'latin1'); i !== -1; i = head.indexOf('\x03ram', i + 1, 'latin1')) {
    if (i >= 5 && head[i - 5] === SECTION.start) {
      at = i - 5;
      break;
    }
  }
  if (at === -1) throw new UnknownShape('no RAM section near the start of the stream');
  await w.put(Buffer.from(await r.take(at)));
  const id = head.readUInt32BE(at + 1);
  const state: { block?: string; dropped: number } = { dropped: 0 };
  for (;;) {
    const type = (await r.take(1))[0]!;
    const sid = (await r.take(4)).readUInt32BE();
    if (sid !== id || (type !== SECTION.start && type !== SECTION.part && type !== SECTION.end))
      throw new UnknownShape(`section ${sid} (type ${type}) inside the RAM part`);
    await w.put(Buffer.from([type, ...int32(sid)]));
    if (type === SECTION.start) await w.put(Buffer.from(await r.take(1 + 3 + 4 + 4)));
    await copyRecords(r, w, state);
    const footer = await r.take(5);
    if (footer[0] !== SECTION.footer || footer.readUInt32BE(1) !== id)
      throw new UnknownShape('a RAM section without its footer');
    await w.put(footer);
    if (type === SECTION.end) break;
  }
  // The device sections and the end of the stream, as they are.
  while ((await r.fill(1)) > 0) await w.put(await r.take(r.peek().length));
  return state.dropped;
}

function int32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return [...b];
}

/**
 * Writes `src` to `dst` without the main memory's zero-page records. When the stream is not the known shape,
 * `dst` is left empty or partial for the caller to remove, and the result says why.
 */
export async function dropZeroPages(src: string, dst: string): Promise<SparseResult> {
  const input = await open(src, 'r');
  try {
    const output = await open(dst, 'wx', 0o600);
    try {
      const w = new Writer(output);
      const dropped = await rewrite(new Reader(input), w);
      await w.flush();
      return { sparse: true, dropped };
    } catch (e) {
      if (e instanceof UnknownShape) return { sparse: false, why: e.message };
      throw e;
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}
