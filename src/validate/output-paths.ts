/**
 * The files a validation writes besides its reports on stderr (--junit, --report, --events, --log-dir), checked
 * while planning: a run never fails at its end because a file stands where a folder must be. Missing folders are
 * created when the file is written (`--junit reports/x.xml` in a fresh CI checkout works).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/index.js';

/** The nearest existing path at or above `p` that is not a folder, if any. */
function fileInTheWay(p: string): string | undefined {
  for (let at = path.resolve(p); ; at = path.dirname(at)) {
    if (existsSync(at)) return statSync(at).isDirectory() ? undefined : at;
    if (path.dirname(at) === at) return undefined;
  }
}

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
    if (existsSync(file) && statSync(file).isDirectory()) {
      throw new UsageError(`${flag} ${file} is a folder: name a file`);
    }
    const blocker = fileInTheWay(path.dirname(file));
    if (blocker !== undefined) {
      throw new UsageError(`${flag} ${file}: ${blocker} is a file, not a folder: name another file`);
    }
  }
  if (o.logDir !== undefined) checkFolderPath('--log-dir', o.logDir);
}

/** A folder krel creates when missing (--log-dir, --junit-dir): nothing on its path may be a file. */
export function checkFolderPath(flag: string, dir: string): void {
  const blocker = fileInTheWay(dir);
  if (blocker !== undefined) {
    throw new UsageError(`${flag} ${dir}: ${blocker} is a file: name a folder (it is created if missing)`);
  }
}
