/**
 * The logger. Everything human goes to stderr (stdout is for machine output: --json, the release URL).
 * Every line is redacted. Lines written inside a section are indented under its header, and in CI a section
 * is a collapsible group and errors are also annotations.
 */
import { type CiKind, detectCi, formatAnnotation, formatGroupEnd, formatGroupStart } from './ci.js';
import type { AnnotationOptions } from './ci.js';
import { redact } from './redact.js';

export interface LoggerOptions {
  verbose?: boolean;
  quiet?: boolean;
  ci?: CiKind;
  /** Where lines go; defaults to process.stderr. */
  write?: (line: string) => void;
  /** Prefix for every line, e.g. "[debian-12] " when several targets log at once. */
  prefix?: string;
  /** Full logs: every line at every level (debug included), without CI markers (e.g. a target's log file). */
  sinks?: readonly ((line: string) => void)[];
}

export class Logger {
  readonly ci: CiKind;
  readonly verbose: boolean;
  private readonly quiet: boolean;
  private readonly out: (line: string) => void;
  private readonly prefix: string;
  private readonly sinks: readonly ((line: string) => void)[];
  private depth = 0;

  constructor(opts: LoggerOptions = {}) {
    this.ci = opts.ci ?? detectCi();
    this.verbose = opts.verbose ?? false;
    this.quiet = opts.quiet ?? false;
    this.out = opts.write ?? ((line: string) => void process.stderr.write(line + '\n'));
    this.prefix = opts.prefix ?? '';
    this.sinks = opts.sinks ?? [];
  }

  /** A logger that prefixes every line (used per target), sharing this one's sinks and settings. */
  child(prefix: string): Logger {
    return new Logger({
      verbose: this.verbose,
      quiet: this.quiet,
      ci: this.ci,
      write: this.out,
      prefix: this.prefix + prefix,
      sinks: this.sinks,
    });
  }

  /** A logger that also writes every line, at every level, to `sink` (a target's full log file). */
  withSink(sink: (line: string) => void): Logger {
    return new Logger({
      verbose: this.verbose,
      quiet: this.quiet,
      ci: this.ci,
      write: this.out,
      prefix: this.prefix,
      sinks: [...this.sinks, sink],
    });
  }

  private emit(text: string, shown = true): void {
    const pad = '  '.repeat(this.depth);
    for (const line of redact(text).split('\n')) {
      if (shown) this.out(`${this.prefix}${pad}${line}`);
      for (const sink of this.sinks) sink(`${this.prefix}${pad}${line}`);
    }
  }

  /** A raw line: no indentation, no prefix (annotations and group markers). */
  private raw(text: string | undefined): void {
    if (text !== undefined) this.out(redact(text));
  }

  info(msg: string): void {
    this.emit(msg, !this.quiet);
  }

  debug(msg: string): void {
    this.emit(msg, this.verbose);
  }

  warn(msg: string, where: AnnotationOptions = {}): void {
    this.raw(formatAnnotation(this.ci, 'warning', msg, where));
    this.emit(`warning: ${msg}`);
  }

  error(msg: string, where: AnnotationOptions = {}): void {
    this.raw(formatAnnotation(this.ci, 'error', msg, where));
    this.emit(`error: ${msg}`);
  }

  /** Run fn as a named section: header, indented lines, timing; its error is rethrown unchanged. */
  async section<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = Date.now();
    this.raw(formatGroupStart(this.ci, name));
    this.emit(`• ${name}`);
    this.depth++;
    try {
      const result = await fn();
      this.depth--;
      this.debug(`  ${name}: done in ${formatDuration(Date.now() - started)}`);
      return result;
    } catch (e) {
      this.depth--;
      this.emit(`  ${name}: failed after ${formatDuration(Date.now() - started)}`);
      throw e;
    } finally {
      this.raw(formatGroupEnd(this.ci));
    }
  }
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
