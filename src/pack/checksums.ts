/** SHA256SUMS in the format `sha256sum -c` reads: "<hex>  <name>", one per line, sorted by name. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { compareBytes } from './archive-path.js';

export interface Checksum {
  name: string;
  sha256: string;
}

export function formatSums(sums: readonly Checksum[]): string {
  return [...sums]
    .sort((a, b) => compareBytes(a.name, b.name))
    .map((s) => `${s.sha256}  ${s.name}\n`)
    .join('');
}

/** Parse SHA256SUMS; malformed lines are returned as problems, one per line. */
export function parseSums(text: string): { sums: Checksum[]; problems: string[] } {
  const sums: Checksum[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (m === null) problems.push(`SHA256SUMS line ${i + 1}: not "<sha256>  <name>"`);
    else sums.push({ sha256: m[1]!, name: m[2]! });
  });
  return { sums, problems };
}

export async function sha256File(file: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
