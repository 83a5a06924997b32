/**
 * Resolve each archive's file entries against the source tree into a sorted list of members.
 * Read-only. Every problem is collected (not thrown) so the caller can report them all at once:
 * "missing" (an input does not exist yet), "config" (krel.json asks for something impossible),
 * "unsafe" (the tree holds something that must not be packaged). Files of one archive sharing an inode
 * (hard links) are stored once, the others as hard links to the first in archive order; an absolute symlink
 * inside the archive's prefix is stored as the equivalent relative link (a note says so).
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';
import { compareBytes } from '../checksums/index.js';
import type { ArchiveSpec, FileEntry } from '../config/types.js';
import { fsUsageError } from '../errors/fs-error.js';
import {
  ancestors,
  archiveRuleBreaks,
  isInside,
  joinArchive,
  memberName,
  normaliseArchivePath,
  normaliseFrom,
} from './archive-path.js';
import { expandGlob, type DirEntry } from './shell-glob.js';
import type { ArchivePlan, PackEntry } from './types.js';

export type ProblemKind = 'missing' | 'config' | 'unsafe';

export interface CollectProblem {
  kind: ProblemKind;
  line: string;
}

export interface CollectOptions {
  /** Absolute root of the inputs. */
  source: string;
  archives: readonly ArchiveSpec[];
  /** Absolute paths never packaged (the output directory and its staging siblings). */
  exclude?: (abs: string) => boolean;
}

export interface CollectResult {
  archives: ArchivePlan[];
  problems: CollectProblem[];
  /** What was changed on the way (an absolute link stored relative), one line each. */
  notes: string[];
}

interface Member {
  entry: PackEntry;
  where: string;
  /** Absolute source path it came from. */
  origin: string;
  /** "dev:ino" of a file with more than one link. */
  inode?: string;
}

interface Walk {
  /** The entry's source directory (its own "source", else the archive's). */
  source: string;
  realSource: string;
  /** The archive's install prefix; undefined: absolute symlinks are refused. */
  prefix: string | undefined;
  where: string;
  mode: number | undefined;
  members: Map<string, Member>;
  problems: CollectProblem[];
  notes: string[];
  exclude: (abs: string) => boolean;
}

const SPECIAL: [keyof Stats, string][] = [
  ['isFIFO', 'a fifo'],
  ['isSocket', 'a socket'],
  ['isCharacterDevice', 'a character device'],
  ['isBlockDevice', 'a block device'],
];

function specialKind(st: Stats): string {
  for (const [test, name] of SPECIAL) if ((st[test] as () => boolean).call(st)) return name;
  return 'not a regular file';
}

function add(w: Walk, entry: PackEntry, origin: string, inode?: string): void {
  const prev = w.members.get(entry.path);
  if (prev !== undefined && prev.origin !== origin) {
    if (prev.entry.type === 'directory' && entry.type === 'directory') return; // trees merge
    w.problems.push({
      kind: 'config',
      line: `${w.where}: "${entry.path}" is also packaged by ${prev.where} from another file; give one a different "to"`,
    });
    return;
  }
  // The same file named again (e.g. with a mode): the later entry wins.
  w.members.set(entry.path, { entry, where: w.where, origin, ...(inode !== undefined ? { inode } : {}) });
}

/**
 * The link as stored, or undefined when it is refused. An absolute target inside the prefix becomes the
 * relative link that reaches it from where the member is installed (prefix/archivePath).
 */
async function storedLink(
  w: Walk,
  abs: string,
  archivePath: string,
  linkname: string,
): Promise<string | undefined> {
  const rel = path.relative(w.source, abs);
  const refuse = (why: string): undefined => {
    w.problems.push({ kind: 'unsafe', line: `${w.where}: symlink "${rel}" -> "${linkname}" ${why}` });
    return undefined;
  };
  let stored = linkname;
  if (path.posix.isAbsolute(linkname)) {
    const target = path.posix.normalize(linkname);
    if (w.prefix === undefined || !isInside(w.prefix, target))
      return refuse(
        w.prefix === undefined
          ? 'is absolute; make it relative to a file inside the tree'
          : `is absolute and outside the prefix ${w.prefix}; make it relative to a file inside the tree`,
      );
    const from = path.posix.dirname(path.posix.join(w.prefix, archivePath));
    stored = path.posix.relative(from, target) || '.';
    w.notes.push(
      `${w.where}: symlink "${archivePath}" -> "${linkname}" is stored as "${stored}" (inside ${w.prefix})`,
    );
  } else {
    const outside = 'points outside the source tree; make it point inside or leave it out';
    if (!isInside(w.source, path.resolve(path.dirname(abs), linkname))) return refuse(outside);
    try {
      if (!isInside(w.realSource, await realpath(abs))) return refuse(outside);
    } catch {
      // dangling inside the tree: kept as is
    }
  }
  const inArchive = path.posix.normalize(path.posix.join(path.posix.dirname(archivePath), stored));
  if (inArchive === '..' || inArchive.startsWith('../')) {
    return refuse(`points outside the archive once stored as "${archivePath}"; adjust "to"`);
  }
  return stored;
}

/** Run a read of `abs`; a file-system error a user can fix becomes one line naming the input. */
async function reading<T>(w: Walk, abs: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    throw fsUsageError(e, `${w.where}: "${path.relative(w.source, abs)}"`, 'read');
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A name as bytes a reader can type back: printable ASCII as is, every other byte as \xNN. */
function escapeBytes(name: Buffer): string {
  return [...name]
    .map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`))
    .join('');
}

function notUtf8(w: Walk, shown: string): void {
  w.problems.push({
    kind: 'unsafe',
    line: `${w.where}: the file name "${shown}" is not valid UTF-8: rename it or remove it from the tree`,
  });
}

/** The entries of a directory, names decoded as UTF-8; a name that is not UTF-8 is a problem, not a member. */
async function children(w: Walk, abs: string): Promise<DirEntry[]> {
  const out: DirEntry[] = [];
  const list = await reading(w, abs, () => readdir(abs, { encoding: 'buffer', withFileTypes: true }));
  for (const d of list) {
    const raw = d.name as unknown as Buffer;
    try {
      out.push({ name: utf8.decode(raw), dir: d.isDirectory() });
    } catch {
      notUtf8(w, path.join(path.relative(w.source, abs), escapeBytes(raw)));
    }
  }
  return out;
}

async function visit(w: Walk, abs: string, archivePath: string, known?: Stats): Promise<void> {
  if (w.exclude(abs)) return;
  const st = known ?? (await reading(w, abs, () => lstat(abs)));
  if (st.isFile()) {
    // Unreadable files are found now, before anything is written.
    await reading(w, abs, () => access(abs, constants.R_OK));
    const mode = w.mode ?? (st.mode & 0o111 ? 0o755 : 0o644);
    const inode = st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined;
    add(w, { path: archivePath, type: 'file', mode, size: st.size, source: abs }, abs, inode);
  } else if (st.isDirectory()) {
    if (archivePath !== '') add(w, { path: archivePath, type: 'directory', mode: 0o755, size: 0 }, abs);
    const names = (await children(w, abs)).map((d) => d.name);
    await Promise.all(names.map((n) => visit(w, path.join(abs, n), joinArchive(archivePath, n))));
  } else if (st.isSymbolicLink()) {
    const found = await reading(w, abs, () => readlink(abs));
    const linkname = await storedLink(w, abs, archivePath, found);
    if (linkname !== undefined) {
      const entry: PackEntry = { path: archivePath, type: 'symlink', mode: 0o777, size: 0, linkname };
      if (linkname !== found) entry.rewrittenFrom = found;
      add(w, entry, abs);
    }
  } else {
    w.problems.push({
      kind: 'unsafe',
      line: `${w.where}: "${path.relative(w.source, abs)}" is ${specialKind(st)}; only files, directories and symlinks can be packaged: remove it from the tree`,
    });
  }
}

async function lstatOrUndefined(w: Walk, abs: string): Promise<Stats | undefined> {
  try {
    return await lstat(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR')
      return undefined;
    throw fsUsageError(e, `${w.where}: "${path.relative(w.source, abs)}"`, 'read');
  }
}

const isGlob = (p: string): boolean => picomatch.scan(p).isGlob;

/** The leading segments of a glob that hold no pattern characters: "payloads/python/**" -> "payloads/python". */
export function staticBase(pattern: string): string {
  const parts = pattern.split('/');
  const out: string[] = [];
  for (const p of parts.slice(0, -1)) {
    if (isGlob(p)) break;
    out.push(p);
  }
  return out.join('/');
}

async function collectEntry(w: Walk, fe: FileEntry): Promise<void> {
  const from = normaliseFrom(fe.from);
  if (from === undefined) {
    w.problems.push({
      kind: 'config',
      line: `${w.where}: "from" must be relative to the source tree and stay inside it, got "${fe.from}"`,
    });
    return;
  }
  const to = fe.to === undefined ? undefined : normaliseArchivePath(fe.to);
  if (fe.to !== undefined && to === undefined) {
    w.problems.push({
      kind: 'config',
      line: `${w.where}: "to" must be a relative archive path without "..", got "${fe.to}"`,
    });
    return;
  }
  if (isGlob(from)) {
    const base = staticBase(from);
    const reader = { list: (rel: string) => children(w, path.join(w.source, rel)) };
    const matches = (await expandGlob(w.source, from, reader)).sort(compareBytes);
    if (matches.length === 0) {
      w.problems.push({ kind: 'missing', line: `${w.where}: no file matches "${fe.from}"` });
      return;
    }
    const dirs = new Set<string>();
    for (const m of matches) {
      // A matched directory brings its whole tree: skip matches already inside one.
      if (ancestors(m).some((a) => dirs.has(a))) continue;
      const abs = path.join(w.source, m);
      const st = await lstatOrUndefined(w, abs);
      if (st === undefined) {
        w.problems.push({ kind: 'missing', line: `${w.where}: "${m}" vanished while being read` });
        continue;
      }
      if (st.isDirectory()) dirs.add(m);
      const rest = base === '' ? m : path.posix.relative(base, m);
      await visit(w, abs, joinArchive(to ?? base, rest), st);
    }
    return;
  }
  const abs = path.join(w.source, from);
  const st = await lstatOrUndefined(w, abs);
  if (st === undefined) {
    w.problems.push({ kind: 'missing', line: `${w.where}: no such file "${fe.from}"` });
    return;
  }
  const target = to ?? from;
  if (target === '' && !st.isDirectory()) {
    w.problems.push({ kind: 'config', line: `${w.where}: "to" must name the file's path in the archive` });
    return;
  }
  await visit(w, abs, target, st);
}

/**
 * Files sharing an inode (and a mode) are stored once: the first in archive order holds the data, the
 * others become hard links to it, as GNU tar writes them.
 */
function linkHardLinks(entries: PackEntry[], inodes: ReadonlyMap<PackEntry, string>): void {
  const first = new Map<string, string>();
  for (const [i, e] of entries.entries()) {
    const inode = inodes.get(e);
    if (e.type !== 'file' || inode === undefined) continue;
    const key = `${inode}:${e.mode}`;
    const holder = first.get(key);
    if (holder === undefined) first.set(key, e.path);
    else entries[i] = { path: e.path, type: 'hardlink', mode: e.mode, size: 0, linkname: holder };
  }
}

function finish(name: string, members: Map<string, Member>): ArchivePlan {
  const entries = [...members.values()].map((m) => m.entry);
  const inodes = new Map<PackEntry, string>();
  for (const m of members.values()) if (m.inode !== undefined) inodes.set(m.entry, m.inode);
  const have = new Set(entries.map((e) => e.path));
  for (const e of [...entries]) {
    for (const a of ancestors(e.path)) {
      if (!have.has(a)) {
        have.add(a);
        entries.push({ path: a, type: 'directory', mode: 0o755, size: 0 });
      }
    }
  }
  entries.sort((a, b) => compareBytes(memberName(a.path, a.type), memberName(b.path, b.type)));
  linkHardLinks(entries, inodes);
  return { name, entries, bytes: entries.reduce((n, e) => n + e.size, 0) };
}

/** Excludes of a file entry: globs relative to its source directory, matched with picomatch. */
function excluder(source: string, patterns: readonly string[] | undefined): (abs: string) => boolean {
  if (patterns === undefined || patterns.length === 0) return () => false;
  const match = picomatch([...patterns], { dot: true });
  return (abs) => {
    const rel = path.relative(source, abs).split(path.sep).join('/');
    return rel !== '' && match(rel);
  };
}

async function realOrSame(dir: string): Promise<string> {
  try {
    return await realpath(dir);
  } catch {
    return dir; // missing source: every input is reported missing
  }
}

export async function collectArchives(opts: CollectOptions): Promise<CollectResult> {
  const exclude = opts.exclude ?? (() => false);
  const reals = new Map<string, Promise<string>>();
  const realOf = (dir: string): Promise<string> => {
    if (!reals.has(dir)) reals.set(dir, realOrSame(dir));
    return reals.get(dir)!;
  };
  const problems: CollectProblem[] = [];
  const notes: string[] = [];
  const archives: ArchivePlan[] = [];
  for (const [i, spec] of opts.archives.entries()) {
    const members = new Map<string, Member>();
    for (const [j, fe] of spec.files.entries()) {
      const source = fe.source ?? opts.source;
      const excluded = excluder(source, fe.exclude);
      const w: Walk = {
        source,
        realSource: await realOf(source),
        prefix: spec.prefix,
        where: `archives[${i}].files[${j}]`,
        mode: fe.mode,
        members,
        problems: [],
        notes,
        exclude: (abs) => exclude(abs) || excluded(abs),
      };
      await collectEntry(w, fe);
      problems.push(...w.problems.sort((a, b) => compareBytes(a.line, b.line)));
    }
    const plan = finish(spec.name, members);
    // The one archive rule verify holds a made archive to, checked before anything is written.
    for (const b of archiveRuleBreaks(plan.entries))
      problems.push({ kind: 'unsafe', line: `archives[${i}] (${spec.name}): member "${b.path}" ${b.rule}` });
    archives.push(plan);
  }
  return { archives, problems, notes: notes.sort(compareBytes) };
}
