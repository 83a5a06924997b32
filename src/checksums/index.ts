/**
 * SHA256SUMS, the contract between make (writes it), verify and publish (read it) and the install script
 * (`sha256sum -c`): "<hex>  <name>" lines sorted by name, plus streamed sha256 of files and streams.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback, Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Checksum {
  name: string;
  /** Lowercase hex. */
  sha256: string;
}

/** Byte order of the UTF-8 names (as `LC_ALL=C sort`): the order of SHA256SUMS lines and of archive members. */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function formatSums(sums: readonly Checksum[]): string {
  return [...sums]
    .sort((a, b) => compareBytes(a.name, b.name))
    .map((s) => `${s.sha256}  ${s.name}\n`)
    .join('');
}

/** Parse `<hex>  <name>` and `<hex> *<name>` lines (CRLF tolerated); one problem per malformed line. */
export function parseSums(text: string): { sums: Checksum[]; problems: string[] } {
  const sums: Checksum[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (m === null) {
      problems.push(
        `SHA256SUMS line ${i + 1} is not "<sha256>  <file>": ${JSON.stringify(line.slice(0, 80))}`,
      );
      return;
    }
    sums.push({ sha256: m[1]!.toLowerCase(), name: m[2]! });
  });
  return { sums, problems };
}

/** A pass-through stream that hashes (sha256) and counts the bytes flowing through it. */
export class Sha256Tap extends Transform {
  private readonly hash = createHash('sha256');
  size = 0;
  constructor(private readonly onBytes?: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    this.size += chunk.length;
    this.onBytes?.(chunk.length);
    cb(null, chunk);
  }
  /** Lowercase hex, once everything has flowed through (call once). */
  hex(): string {
    return this.hash.digest('hex');
  }
}

/** Lowercase hex sha256 and byte count of a stream, read in chunks (never buffered whole). */
export async function sha256Stream(
  stream: Readable,
  signal?: AbortSignal,
): Promise<{ sha256: string; size: number }> {
  const tap = new Sha256Tap();
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  await pipeline(stream, tap, sink, signal ? { signal } : {});
  return { sha256: tap.hex(), size: tap.size };
}

export function sha256File(file: string, signal?: AbortSignal): Promise<{ sha256: string; size: number }> {
  return sha256Stream(createReadStream(file, { highWaterMark: 1 << 20 }), signal);
}

export function sha256Text(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}
