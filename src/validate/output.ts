/** Streamed step output: whole lines to a sink, a bounded tail, and `expect` matching without keeping it all. */
import { StringDecoder } from 'node:string_decoder';

/** Longest line kept whole; a longer one (a progress bar without newlines, binary output) is cut into pieces. */
export const MAX_LINE = 16 * 1024;

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = MAX_LINE,
  ) {}

  push(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.emit(l);
    // Memory stays bounded whatever the target prints.
    while (this.partial.length > this.maxLine) {
      this.onLine(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
    return text;
  }

  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.emit(rest);
  }

  private emit(line: string): void {
    const l = line.replace(/\r$/, '');
    for (let i = 0; i < l.length || i === 0; i += this.maxLine) this.onLine(l.slice(i, i + this.maxLine));
  }
}

/** The last `max` lines seen. */
export class Tail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 40) {}
  add(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  get(): string[] {
    return [...this.lines];
  }
}

/**
 * Finds each needle in the output streams, keeping only a needle-sized window of what came before in each
 * stream: a needle split across two chunks of one stream is found; text from stdout and stderr is never glued
 * together into a match that neither printed.
 */
export class ExpectMatcher {
  private readonly carry = new Map<string, string>();
  private readonly found = new Set<string>();
  private readonly window: number;
  constructor(private readonly needles: readonly string[]) {
    this.window = Math.max(0, ...needles.map((n) => n.length));
  }
  push(stream: string, text: string): void {
    const hay = (this.carry.get(stream) ?? '') + text;
    for (const n of this.needles) if (!this.found.has(n) && hay.includes(n)) this.found.add(n);
    this.carry.set(stream, hay.slice(-this.window));
  }
  missing(): string[] {
    return this.needles.filter((n) => !this.found.has(n));
  }
}
