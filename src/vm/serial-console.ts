/**
 * The guest's serial console, written by qemu to a file: wait for a line to appear (the kernel banner), and read
 * the last lines for error messages (escape sequences removed). Reads only the end of the file.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const TAIL_BYTES = 64 * 1024;
/** What seen() keeps of earlier reads. */
const WINDOW_CHARS = 8192;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g;

export class SerialConsole {
  private offset = 0;
  private window = '';
  private decoder = new StringDecoder('utf8');

  constructor(readonly file: string) {}

  /** The last `lines` lines of the console (default 30), without terminal escapes. */
  tail(lines = 30): string {
    const text = readEnd(this.file, TAIL_BYTES).replace(ANSI, '');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  }

  /**
   * True once `text` has appeared in the console since the last reset. Reads only what is new, all of it, in
   * pieces of at most TAIL_BYTES, keeping a short window so a text split between two reads is still found.
   */
  seen(text: string): boolean {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return false;
    }
    const keep = Math.max(WINDOW_CHARS, text.length);
    while (this.offset < size) {
      const chunk = readBytes(this.file, this.offset, Math.min(size - this.offset, TAIL_BYTES));
      if (chunk.length === 0) break;
      this.offset += chunk.length;
      this.window += this.decoder.write(chunk);
      if (this.window.includes(text)) return true;
      this.window = this.window.slice(-keep);
    }
    return this.window.includes(text);
  }

  /** Start watching afresh (a new qemu writes the file from the start). */
  reset(): void {
    this.offset = 0;
    this.window = '';
    this.decoder = new StringDecoder('utf8');
  }
}

function readEnd(file: string, bytes: number): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return '';
  }
  const start = Math.max(0, size - bytes);
  return readRange(file, start, size - start);
}

function readRange(file: string, start: number, length: number): string {
  const len = Math.min(length, TAIL_BYTES);
  return readBytes(file, start + (length - len), len).toString('utf8');
}

function readBytes(file: string, start: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const fd = openSync(file, 'r');
  try {
    return buf.subarray(0, readSync(fd, buf, 0, length, start));
  } finally {
    closeSync(fd);
  }
}
