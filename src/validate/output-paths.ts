/**
 * The files a validation writes besides its reports on stderr (--junit, --report, --events, --log-dir), checked
 * while planning: a run never fails at its end because a report's folder is missing or a log folder is a file.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/index.js';

export function checkOutputPaths(o: {
  junit?: string;
  report?: string;
  events?: string;
  logDir?: string;
}): void {
  for (const [flag, file] of [
    ['--junit', o.junit],
    ['--report', o.report],
    ['--events', o.events],
  ] as const) {
    if (file === undefined) continue;
    const dir = path.dirname(file);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new UsageError(
        `${flag} ${file}: its folder ${dir} does not exist: create it or name another file`,
      );
    }
    if (existsSync(file) && statSync(file).isDirectory()) {
      throw new UsageError(`${flag} ${file} is a folder: name a file`);
    }
  }
  if (o.logDir !== undefined && existsSync(o.logDir) && !statSync(o.logDir).isDirectory()) {
    throw new UsageError(`--log-dir ${o.logDir} is a file: name a folder (it is created if missing)`);
  }
}
