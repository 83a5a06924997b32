import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BlockGzip, looksIncompressible, Slots } from '../../src/pack/block-gzip.js';
import { planMake } from '../../src/pack/make.js';
import { writeArchive } from '../../src/pack/write-archive.js';
import { makeTree, SAMPLE, SAMPLE_ARCHIVES, writeConfig } from './fixture.js';

/** Compressible but varied input: hashes as hex text, with runs of zeros. */
function input(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, i = 0; off < size; i++) {
    const piece =
      i % 7 === 0 ? Buffer.alloc(300) : Buffer.from(createHash('sha256').update(String(i)).digest('hex'));
    off += piece.copy(out, off);
  }
  return out;
}

async function gzip(data: Buffer, writeSize: number, blockSize = 64 * 1024): Promise<Buffer> {
  const parts: Buffer[] = [];
  const gz = new BlockGzip((c) => Promise.resolve(void parts.push(Buffer.from(c))), {
    level: 6,
    inFlight: 3,
    slots: new Slots(2),
    blockSize,
  });
  for (let off = 0; off < data.length; off += writeSize) await gz.write(data.subarray(off, off + writeSize));
  await gz.end();
  return Buffer.concat(parts);
}

describe('pack/block-gzip', () => {
  it('blocks compressed in parallel form one gzip member that gunzip and gzip -t accept', async () => {
    const data = input(1_000_000);
    const gz = await gzip(data, 70_000);
    expect(gunzipSync(gz).equals(data)).to.equal(true);
    execFileSync('gzip', ['-t'], { input: gz });
    expect(gz.length).to.be.lessThan(data.length / 1.5);
  });

  it('the bytes depend only on the input, not on how it was written', async () => {
    const data = input(300_000);
    const a = await gzip(data, 1000);
    const b = await gzip(data, 131_072);
    expect(a.equals(b)).to.equal(true);
  });

  it('empty input and input of exactly N blocks round-trip', async () => {
    expect(gunzipSync(await gzip(Buffer.alloc(0), 1)).length).to.equal(0);
    const exact = input(4 * 64 * 1024);
    expect(gunzipSync(await gzip(exact, 64 * 1024)).equals(exact)).to.equal(true);
  });

  it('random-looking blocks are stored, not deflated, and still round-trip with compressible ones', async () => {
    const random = randomBytes(256 * 1024);
    expect(looksIncompressible(random)).to.equal(true);
    expect(looksIncompressible(input(256 * 1024))).to.equal(false);
    const data = Buffer.concat([random, input(200_000), randomBytes(100_000)]);
    const gz = await gzip(data, 50_000);
    expect(gunzipSync(gz).equals(data)).to.equal(true);
  });

  it('the header has no name, mtime 0 and the Unix OS byte', async () => {
    const gz = await gzip(input(10), 10);
    expect([...gz.subarray(0, 10)]).to.deep.equal([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  });

  it('parallel blocks and the single-stream fallback hold the same tar bytes', async () => {
    const fx = makeTree({ ...SAMPLE, 'runtime/big.a': input(3_000_000).toString('latin1') });
    try {
      const plan = await planMake(writeConfig(fx, SAMPLE_ARCHIVES), { env: { SOURCE_DATE_EPOCH: '5' } });
      const dir = path.join(fx.root, 'out');
      mkdirSync(dir);
      const core = plan.archives[0]!;
      const a = await writeArchive(core, path.join(dir, 'a.tar.gz'), { epoch: 5, slots: new Slots(2) });
      const b = await writeArchive(core, path.join(dir, 'b.tar.gz'), { epoch: 5 });
      const tarA = gunzipSync(readFileSync(path.join(dir, 'a.tar.gz')));
      expect(tarA.equals(gunzipSync(readFileSync(path.join(dir, 'b.tar.gz'))))).to.equal(true);
      expect(a.entries).to.deep.equal(b.entries);
    } finally {
      fx.cleanup();
    }
  });
});
