/**
 * Deterministic bench trees, generated fast and streamed to disk: "random" files are an AES-CTR keystream
 * (incompressible, like binaries), "text" files are lines of words picked by that keystream (compressible,
 * like sources and headers). Same spec -> same bytes.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';

export interface GenFile {
  path: string;
  size: number;
  kind: 'random' | 'text';
}

const CHUNK = 1 << 20;
const MB = 1 << 20;

const WORDS = (
  'the of and to in is that for it as with was on be by this are or from at an which not have but all one they ' +
  'int char void return struct static const unsigned long size_t if else while for break case switch default ' +
  'km_hcall payload runtime kontain monitor vcpu guest memory page table mmap munmap signal thread mutex errno ' +
  'buffer length offset pointer value result error status request response handler callback config option'
).split(' ');

function keystream(seed: string): (n: number) => Buffer {
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(CHUNK);
  return (n) => cipher.update(n === CHUNK ? zeros : zeros.subarray(0, n));
}

function textChunk(rand: Buffer): Buffer {
  const out = Buffer.allocUnsafe(rand.length);
  let o = 0;
  let i = 0;
  let col = 0;
  while (o < out.length) {
    const w = WORDS[rand[i++ % rand.length]! % WORDS.length]!;
    const sep = col > 60 ? '\n' : rand[i % rand.length]! % 7 === 0 ? ', ' : ' ';
    col = sep === '\n' ? 0 : col + w.length + sep.length;
    o += out.write(w + sep, o, 'latin1');
  }
  return out;
}

async function writeFileOf(root: string, f: GenFile): Promise<void> {
  const abs = path.join(root, f.path);
  await mkdir(path.dirname(abs), { recursive: true });
  const fh = await open(abs, 'w', f.kind === 'random' ? 0o755 : 0o644);
  try {
    const next = keystream(f.path);
    for (let left = f.size; left > 0;) {
      const n = Math.min(CHUNK, left);
      const rand = next(n);
      await fh.write(f.kind === 'random' ? rand : textChunk(rand));
      left -= n;
    }
  } finally {
    await fh.close();
  }
}

export async function generateTree(root: string, files: readonly GenFile[]): Promise<number> {
  for (const f of files) await writeFileOf(root, f);
  return files.reduce((n, f) => n + f.size, 0);
}

function many(dir: string, count: number, size: number, ext: string, kind: GenFile['kind']): GenFile[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${dir}/f${String(i).padStart(4, '0')}${ext}`,
    size,
    kind,
  }));
}

/** ~256 MB: the core ~128 MB, two payloads ~64 MB each; about half compressible text, half binaries. */
export function kontainLikeTree(scale = 1): GenFile[] {
  const s = (n: number) => Math.max(1, Math.round(n * scale));
  const payload = (name: string): GenFile[] => [
    ...many(`payloads/${name}/bin`, 2, s(8 * MB), '.km', 'random'),
    ...many(`payloads/${name}/lib`, 4, s(4 * MB), '.so', 'random'),
    ...many(`payloads/${name}/lib/std`, 1024, s(32 * 1024), '.src', 'text'),
  ];
  return [
    ...many('bin', 4, s(8 * MB), '', 'random'),
    ...many('runtime', 8, s(4 * MB), '.so', 'random'),
    ...many('include', 56, s(MB), '.h', 'text'),
    ...many('tests', 2048, s(4 * 1024), '.c', 'text'),
    ...payload('python'),
    ...payload('node'),
  ];
}
