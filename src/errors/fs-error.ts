/**
 * File-system errors a user can fix (a path too long, no permission, a file where a directory should be),
 * turned where they arise into one-line UsageErrors that name the path and say what to do.
 */
import { UsageError } from './index.js';

type Access = 'read' | 'write';

const REASONS: Readonly<Record<string, (access: Access) => string>> = {
  ENAMETOOLONG: () =>
    'the path is longer than the operating system allows (ENAMETOOLONG): use shorter names or a shallower tree',
  EACCES: (a) => denied('permission denied (EACCES)', a),
  EPERM: (a) => denied('operation not permitted (EPERM)', a),
  ENOTDIR: () => 'a part of the path is a file, not a directory (ENOTDIR): choose another path',
  ELOOP: () => 'too many levels of symbolic links (ELOOP): fix the links',
  EROFS: () => 'the file system is read-only (EROFS): choose a writable directory',
};

function denied(what: string, access: Access): string {
  return access === 'read'
    ? `${what}: make it readable by this user (and its directories searchable), or leave it out`
    : `${what}: choose a directory this user can write to`;
}

/** At most this many characters of a subject are shown (an ENAMETOOLONG path can be thousands long). */
const MAX_SUBJECT = 200;

function shorten(s: string): string {
  if (s.length <= MAX_SUBJECT) return s;
  const half = MAX_SUBJECT / 2 - 10;
  return `${s.slice(0, half)}…${s.slice(-half)} (${s.length} characters)`;
}

/**
 * The error to throw for `e`, raised while reading or writing `subject` (e.g. `output /x/dist`): a UsageError
 * when it is a file-system error a user can fix, else `e` itself (a bug, reported as an internal error).
 */
export function fsUsageError(e: unknown, subject: string, access: Access): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  if (reason === undefined) return e;
  return new UsageError(`${shorten(subject)}: ${reason(access)}`, { cause: e });
}

/** In a few words why a file could not be read, for a one-line message: "no such file", "it is a folder", ... */
export function unreadableReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EISDIR':
      return 'it is a folder';
    case 'EACCES':
      return 'permission denied';
    default:
      return code ?? String(e);
  }
}
