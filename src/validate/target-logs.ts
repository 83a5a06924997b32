/**
 * --log-dir DIR: each target's full log (every line at every level, step output included) in its own file,
 * DIR/<target>.log, opened when the target starts and closed when it ends.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';

/** A file name for a target ("root@127.0.0.1:2222" -> "root@127.0.0.1_2222.log"). */
export function targetLogName(target: string): string {
  return `${target.replace(/[^A-Za-z0-9@._-]+/g, '_')}.log`;
}

export interface TargetLogFile {
  path: string;
  write: (line: string) => void;
  close: () => void;
}

export function openTargetLog(dir: string, target: string): TargetLogFile {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, targetLogName(target));
  const fd = openSync(file, 'w');
  let open = true;
  return {
    path: file,
    write: (line) => {
      if (open) writeSync(fd, `${line}\n`);
    },
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
