/**
 * The guest's serial console, written by qemu to a file: wait for a line to appear (the kernel banner), and read
 * the last lines for error messages (escape sequences removed). Reads only the end of the file.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';

const TAIL_BYTES = 64 * 1024;

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\r/g;

export class SerialConsole {
  private offset = 0;
  private window = '';

  constructor(readonly file: string) {}

  /** The last `lines` lines of the console (default 30), without terminal escapes. */
  tail(lines = 30): string {
    const text = readEnd(this.file, TAIL_BYTES).replace(ANSI, '');
    const all = text.split('\n');
    if (all.at(-1) === '') all.pop();
    return all.slice(-lines).join('\n');
  }

  /** True once `text` has appeared in the console since the last reset (reads only what is new). */
  seen(text: string): boolean {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return false;
    }
    if (size > this.offset) {
      const chunk = readRange(this.file, this.offset, size - this.offset);
      this.offset = size;
      this.window = (this.window + chunk).slice(-8192);
    }
    return this.window.includes(text);
  }

  /** Start watching afresh (a new qemu writes the file from the start). */
  reset(): void {
    this.offset = 0;
    this.window = '';
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
  const buf = Buffer.alloc(len);
  const fd = openSync(file, 'r');
  try {
    const n = readSync(fd, buf, 0, len, start + (length - len));
    return buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
