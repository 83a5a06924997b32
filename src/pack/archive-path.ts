/** Archive paths: relative, "/"-separated, never absolute, never "..". */
import path from 'node:path';

/** Normalise a user-given archive path or prefix; undefined when it is absolute or climbs with "..". */
export function normaliseArchivePath(p: string): string | undefined {
  if (p.startsWith('/') || p.includes('\\') || p.split('/').includes('..')) return undefined;
  const n = path.posix.normalize(p).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/** Normalise a source-relative `from`; undefined when it leaves the source tree. */
export function normaliseFrom(p: string): string | undefined {
  if (path.posix.isAbsolute(p)) return undefined;
  const n = path.posix.normalize(p).replace(/\/+$/, '');
  if (n === '..' || n.startsWith('../')) return undefined;
  return n === '.' ? '' : n;
}

export function joinArchive(prefix: string, rest: string): string {
  if (prefix === '') return rest;
  if (rest === '') return prefix;
  return `${prefix}/${rest}`;
}

/** "a/b" -> ["a"], "a/b/c" -> ["a", "a/b"]. */
export function ancestors(p: string): string[] {
  const parts = p.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** True when `child` is `parent` or inside it (absolute, native paths). */
export function isInside(parent: string, child: string): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** The name a member is written under: directories end with "/". Entries are sorted by it, bytewise. */
export function memberName(p: string, type: string): string {
  return type === 'directory' ? `${p}/` : p;
}
