import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dropZeroPages, MAIN_RAM_BLOCK } from '../../src/vm/state-sparse.js';

/** Builders for the pieces of a qemu migration stream (QEVM v3), as a plain precopy save writes them. */
const be32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const be64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(n);
  return b;
};
const name = (s: string): Buffer => Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'latin1')]);
const ZERO = 0x02n;
const MEM_SIZE = 0x04n;
const PAGE = 0x08n;
const EOS = 0x10n;
const CONT = 0x20n;
const RAM_ID = 2;

const header = Buffer.concat([
  Buffer.from('QEVM'),
  be32(3),
  Buffer.from([0x07]),
  be32(13),
  Buffer.from('pc-i440fx-7.2'),
]);
const start = Buffer.concat([Buffer.from([0x01]), be32(RAM_ID), name('ram'), be32(0), be32(4)]);
const part = Buffer.concat([Buffer.from([0x02]), be32(RAM_ID)]);
const end = Buffer.concat([Buffer.from([0x03]), be32(RAM_ID)]);
const footer = Buffer.concat([Buffer.from([0x7e]), be32(RAM_ID)]);
const eos = be64(EOS);
const blocks = Buffer.concat([
  be64(0x200000n | MEM_SIZE),
  name(MAIN_RAM_BLOCK),
  be64(0x100000n),
  name('pc.bios'),
  be64(0x100000n),
]);
const zero = (addr: bigint, block?: string, fill = 0): Buffer =>
  Buffer.concat([
    be64(addr | ZERO | (block === undefined ? CONT : 0n)),
    ...(block ? [name(block)] : []),
    Buffer.from([fill]),
  ]);
const page = (addr: bigint, byte: number, block?: string): Buffer =>
  Buffer.concat([
    be64(addr | PAGE | (block === undefined ? CONT : 0n)),
    ...(block ? [name(block)] : []),
    Buffer.alloc(4096, byte),
  ]);
/** A device section and the end of the stream: copied as they are, never parsed. */
const devices = Buffer.concat([
  Buffer.from([0x04]),
  be32(3),
  name('timer'),
  be32(0),
  be32(2),
  Buffer.alloc(40, 7),
  Buffer.from([0x1f]),
]);

/** Where a stream's first RAM record starts (after the header, the RAM section's start and the part's header). */
const RECORDS_AT = Buffer.concat([header, start, blocks, eos, footer, part]).length;

/** A whole stream: the header, the RAM section's start, these records in one part, its end, the devices. */
const stream = (...records: Buffer[]): Buffer =>
  Buffer.concat([
    header,
    start,
    blocks,
    eos,
    footer,
    part,
    ...records,
    eos,
    footer,
    end,
    eos,
    footer,
    devices,
  ]);

describe('vm/state-sparse', function () {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'krel-sparse-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const rewrite = async (stream: Buffer) => {
    const src = path.join(dir, 'state.bin');
    const dst = path.join(dir, 'state.bin.sparse');
    writeFileSync(src, stream);
    const result = await dropZeroPages(src, dst);
    return { result, out: readFileSync(dst), src: readFileSync(src) };
  };

  it('leaves out only the zero pages of the main memory that follow a record naming it; the rest is byte for byte', async function () {
    const firstRam = zero(0x0n, MAIN_RAM_BLOCK); // names the block: kept
    const kept = [
      page(0x1000n, 0xab),
      zero(0x3000n, undefined, 0x5a), // a page filled with another byte: kept
      page(0x0n, 0xcd, 'pc.bios'),
      zero(0x1000n), // a zero page of another block (a ROM a new qemu fills): kept
    ];
    const dropped = [zero(0x2000n), zero(0x4000n)];
    const input = stream(firstRam, dropped[0]!, kept[0]!, dropped[1]!, kept[1]!, kept[2]!, kept[3]!);
    const { result, out, src } = await rewrite(input);
    expect(result).to.deep.equal({ sparse: true, dropped: 2 });
    const expected = stream(firstRam, ...kept);
    expect(out.equals(expected)).to.equal(true);
    expect(src.equals(input)).to.equal(true, 'the saved stream itself is never written');
  });

  it('keeps a stream it does not know, and says why', async function () {
    const xbzrle = Buffer.concat([be64(0x1000n | 0x40n | CONT), Buffer.alloc(8)]);
    const cases: [string, Buffer, RegExp][] = [
      ['not qemu', Buffer.from('hello, this is not a migration stream'), /not a QEVM version 3 stream/],
      ['no RAM section', Buffer.concat([header, devices]), /no RAM section/],
      ['another capability', stream(zero(0n, MAIN_RAM_BLOCK), xbzrle), /flags 0x60/],
      [
        'a section of another device inside the RAM part',
        Buffer.concat([header, start, blocks, eos, footer, Buffer.from([0x02]), be32(9), eos]),
        /section 9/,
      ],
      [
        'cut short',
        // Ends inside the first record, 100 bytes into it.
        stream(page(0n, 1, MAIN_RAM_BLOCK)).subarray(0, RECORDS_AT + 100),
        /ends inside a record/,
      ],
      [
        'a block list that does not add up',
        Buffer.concat([
          header,
          start,
          be64(0x300000n | MEM_SIZE),
          name(MAIN_RAM_BLOCK),
          be64(0x200000n),
          name('x'),
          be64(0x200000n),
          eos,
        ]),
        /does not add up/,
      ],
    ];
    for (const [label, stream, why] of cases) {
      const { result } = await rewrite(stream);
      expect(result.sparse, label).to.equal(false);
      expect(result.sparse === false && result.why, label).to.match(why);
      rmSync(path.join(dir, 'state.bin.sparse'));
    }
  });

  it('rewrites a stream whose records cross the read chunks', async function () {
    // 12 MiB of pages between zero records: records straddle every 1 MiB read.
    const pages = Array.from({ length: 3000 }, (_, i) => page(BigInt(i) << 12n, i & 0xff));
    const zeros = Array.from({ length: 50_000 }, (_, i) => zero(BigInt(i + 3000) << 12n));
    const mixed = pages.flatMap((p, i) => [p, ...zeros.slice(i * 16, i * 16 + 16)]);
    const first = zero(0n, MAIN_RAM_BLOCK);
    const { result, out } = await rewrite(stream(first, ...mixed));
    expect(result).to.deep.equal({ sparse: true, dropped: 48_000 });
    expect(out.equals(stream(first, ...pages))).to.equal(true);
  });
});
