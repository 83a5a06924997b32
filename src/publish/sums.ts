/** SHA256SUMS (the `sha256sum` format) and streamed hashing of local files. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface SumLine {
  name: string;
  sha256: string;
}

/** Parse `<hex>  <name>` / `<hex> *<name>` lines; returns the entries and one problem per bad line. */
export function parseSha256Sums(text: string): { entries: SumLine[]; problems: string[] } {
  const entries: SumLine[] = [];
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
    entries.push({ sha256: m[1]!.toLowerCase(), name: m[2]! });
  });
  return { entries, problems };
}

/** Lowercase hex sha256 of a stream (read in chunks, never buffered whole). */
export async function sha256Stream(stream: Readable, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb();
    },
  });
  await pipeline(stream, sink, signal ? { signal } : {});
  return hash.digest('hex');
}

export function sha256File(file: string, signal?: AbortSignal): Promise<string> {
  return sha256Stream(createReadStream(file, { highWaterMark: 1 << 20 }), signal);
}
