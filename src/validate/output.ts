/** Streamed step output: whole lines to a sink, a bounded tail, and `expect` matching without keeping it all. */
import { StringDecoder } from 'node:string_decoder';

export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): string {
    const text = this.decoder.write(chunk);
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const l of lines) this.onLine(l.replace(/\r$/, ''));
    return text;
  }

  flush(): void {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    if (rest !== '') this.onLine(rest.replace(/\r$/, ''));
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

/** Finds each needle in a stream of text, keeping only a needle-sized window of what came before. */
export class ExpectMatcher {
  private carry = '';
  private readonly found = new Set<string>();
  private readonly window: number;
  constructor(private readonly needles: readonly string[]) {
    this.window = Math.max(0, ...needles.map((n) => n.length));
  }
  push(text: string): void {
    const hay = this.carry + text;
    for (const n of this.needles) if (!this.found.has(n) && hay.includes(n)) this.found.add(n);
    this.carry = hay.slice(-this.window);
  }
  missing(): string[] {
    return this.needles.filter((n) => !this.found.has(n));
  }
}
