/**
 * Progress for long byte-counted work (archives, uploads, image builds): a bar per item on a TTY,
 * a plain line at start and end otherwise (CI, pipes, --json).
 */
import { createRequire } from 'node:module';
import type * as CliProgress from 'cli-progress';
import { formatBytes, type Logger } from './logger.js';

/**
 * cli-progress draws on a TTY only, so it is loaded there, when the first progress starts, and never by a run in
 * CI or a pipe. It is CommonJS and createProgress is synchronous: createRequire, not import().
 */
function loadCliProgress(): typeof CliProgress {
  return createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
}

export interface ProgressItem {
  /** Add n units of progress. */
  tick(n: number): void;
  done(): void;
}

export interface Progress {
  item(name: string, total: number): ProgressItem;
  stop(): void;
}

export function createProgress(logger: Logger, opts: { enabled?: boolean } = {}): Progress {
  const tty = process.stderr.isTTY && logger.ci === 'none' && (opts.enabled ?? true);
  if (!tty) {
    return {
      item(name, total) {
        let seen = 0;
        const t = total;
        logger.debug(`${name}: started${t > 0 ? ` (${formatBytes(t)})` : ''}`);
        return {
          tick: (n) => void (seen += n),
          done: () => logger.debug(`${name}: ${formatBytes(Math.max(seen, t))} done`),
        };
      },
      stop() {},
    };
  }
  const cliProgress = loadCliProgress();
  const multi = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: '  {bar} {percentage}% | {name} | {valueH}/{totalH}',
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      barsize: 24,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    item(name, total) {
      let value = 0;
      const t = Math.max(total, 1);
      const bar = multi.create(t, 0, { name, valueH: formatBytes(0), totalH: formatBytes(total) });
      return {
        tick(n) {
          value += n;
          bar.update(Math.min(value, t), { valueH: formatBytes(value) });
        },
        done() {
          bar.update(t, { valueH: formatBytes(Math.max(value, t)) });
        },
      };
    },
    stop() {
      multi.stop();
    },
  };
}
