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

/**
 * What the member rules look at: a path, a type (file, directory, symlink, hardlink or another tar type
 * name) and a link.
 */
export interface MemberShape {
  path: string;
  type: string;
  linkname?: string;
}

export interface RuleBreak {
  path: string;
  /** The rule, worded to follow the member's quoted path. */
  rule: string;
}

/** Linux stops following symlinks after 40 in one lookup; an archive's links are held to the same. */
const MAX_LINK_HOPS = 40;
const KINDS = 'an archive holds only files, directories, symlinks and hard links';

function pathRule(p: string): string | undefined {
  if (p === '') return 'has an empty path';
  if (p.startsWith('/')) return 'has an absolute path; member paths are relative';
  if (p.split('/').includes('..')) return 'climbs out with ".."; member paths stay inside the archive';
  if (normaliseArchivePath(p) !== p)
    return 'is not a normalised path (a "." or empty segment, or a "\\"); member paths are plain a/b/c';
  return undefined;
}

/**
 * Follow `target` (a path from the archive root) through the archive's own symlinks, as the kernel would
 * after extraction: "out" when it leaves the root, "loop" when it needs more than MAX_LINK_HOPS links.
 */
function follow(target: string, links: ReadonlyMap<string, string>): 'inside' | 'out' | 'loop' {
  const todo = target.split('/').reverse();
  const at: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return 'out';
      at.pop();
      continue;
    }
    at.push(part);
    const link = links.get(at.join('/'));
    if (link === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return 'loop';
    if (link.startsWith('/')) return 'out';
    at.pop();
    todo.push(...link.split('/').reverse());
  }
  return 'inside';
}

function linkRule(m: MemberShape, links: ReadonlyMap<string, string>): string | undefined {
  const to = m.linkname ?? '';
  const quoted = JSON.stringify(to);
  if (to === '') return 'is a symlink with an empty target';
  if (to.startsWith('/'))
    return `is a symlink to the absolute path ${quoted}; links are relative and stay inside the archive`;
  // Not path.join: normalising "s/.." away would skip the link s.
  const where = follow(`${path.posix.dirname(m.path)}/${to}`, links);
  if (where === 'out')
    return `is a symlink to ${quoted}, which leads outside the archive; links stay inside it`;
  if (where === 'loop')
    return `is a symlink to ${quoted}, which goes through more than ${MAX_LINK_HOPS} links`;
  return undefined;
}

function memberRule(
  m: MemberShape,
  links: ReadonlyMap<string, string>,
  files: ReadonlySet<string>,
): string | undefined {
  const bad = pathRule(m.path);
  if (bad !== undefined) return bad;
  const through = ancestors(m.path).find((a) => links.has(a));
  if (through !== undefined)
    return `lies below the symlink ${JSON.stringify(through)}; nothing is stored through a link`;
  if (m.type === 'symlink') return linkRule(m, links);
  if (m.type === 'hardlink' && files.has(m.linkname ?? '')) return undefined;
  if (m.type === 'hardlink')
    return `is a hard link to ${JSON.stringify(m.linkname ?? '')}, which is not a file stored before it; a hard link names an earlier file of the archive`;
  if (m.type === 'file' || m.type === 'directory') return undefined;
  return `is a tar ${m.type} entry; ${KINDS}`;
}

/**
 * The archive rules, for `krel make` (before writing) and `krel verify` (after reading) alike: every member
 * has a plain relative path (not absolute, no ".."), appears once, lies below no symlink, and is a file, a
 * directory, a symlink whose target is relative and, followed through the archive's own links, stays
 * inside the archive, or a hard link to a file member stored before it (as GNU tar writes them). Returns
 * each member that breaks a rule, in order, with the first rule it breaks.
 */
export function archiveRuleBreaks(members: readonly MemberShape[]): RuleBreak[] {
  const links = new Map<string, string>();
  for (const m of members) if (m.type === 'symlink') links.set(m.path, m.linkname ?? '');
  const seen = new Set<string>();
  const files = new Set<string>();
  const out: RuleBreak[] = [];
  for (const m of members) {
    const rule = seen.has(m.path)
      ? 'appears more than once; each member is stored once'
      : memberRule(m, links, files);
    seen.add(m.path);
    if (rule !== undefined) out.push({ path: m.path, rule });
    else if (m.type === 'file') files.add(m.path);
  }
  return out;
}
