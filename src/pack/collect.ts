/**
 * Resolve each archive's file entries against the source tree into a sorted list of members.
 * Read-only. Every problem is collected (not thrown) so the caller can report them all at once:
 * "missing" (an input does not exist yet), "config" (krel.json asks for something impossible),
 * "unsafe" (the tree holds something that must not be packaged).
 */
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, lstat, readdir, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';
import { compareBytes } from '../checksums/index.js';
import type { ArchiveSpec, FileEntry } from '../config/types.js';
import { fsUsageError } from '../errors/fs-error.js';
import {
  ancestors,
  isInside,
  joinArchive,
  memberName,
  normaliseArchivePath,
  normaliseFrom,
} from './archive-path.js';
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
}

interface Member {
  entry: PackEntry;
  where: string;
  /** Absolute source path it came from. */
  origin: string;
}

interface Walk {
  source: string;
  realSource: string;
  where: string;
  mode: number | undefined;
  members: Map<string, Member>;
  problems: CollectProblem[];
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

function add(w: Walk, entry: PackEntry, origin: string): void {
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
  w.members.set(entry.path, { entry, where: w.where, origin });
}

async function checkSymlink(w: Walk, abs: string, archivePath: string, linkname: string): Promise<boolean> {
  const rel = path.relative(w.source, abs);
  const refuse = (why: string): false => {
    w.problems.push({ kind: 'unsafe', line: `${w.where}: symlink "${rel}" -> "${linkname}" ${why}` });
    return false;
  };
  if (path.isAbsolute(linkname)) return refuse('is absolute; make it relative to a file inside the tree');
  const outside = 'points outside the source tree; make it point inside or leave it out';
  if (!isInside(w.source, path.resolve(path.dirname(abs), linkname))) return refuse(outside);
  try {
    if (!isInside(w.realSource, await realpath(abs))) return refuse(outside);
  } catch {
    // dangling inside the tree: kept as is
  }
  const inArchive = path.posix.normalize(path.posix.join(path.posix.dirname(archivePath), linkname));
  if (inArchive === '..' || inArchive.startsWith('../')) {
    return refuse(`points outside the archive once stored as "${archivePath}"; adjust "to"`);
  }
  return true;
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

/** The names in a directory, each decoded as UTF-8; a name that is not UTF-8 is a problem, not a member. */
async function childNames(w: Walk, abs: string): Promise<string[]> {
  const names: string[] = [];
  for (const raw of await reading(w, abs, () => readdir(abs, { encoding: 'buffer' }))) {
    try {
      names.push(utf8.decode(raw));
    } catch {
      notUtf8(w, path.join(path.relative(w.source, abs), escapeBytes(raw)));
    }
  }
  return names;
}

async function visit(w: Walk, abs: string, archivePath: string, known?: Stats): Promise<void> {
  if (w.exclude(abs)) return;
  const st = known ?? (await reading(w, abs, () => lstat(abs)));
  if (st.isFile()) {
    // Unreadable files are found now, before anything is written.
    await reading(w, abs, () => access(abs, constants.R_OK));
    const mode = w.mode ?? (st.mode & 0o111 ? 0o755 : 0o644);
    add(w, { path: archivePath, type: 'file', mode, size: st.size, source: abs }, abs);
  } else if (st.isDirectory()) {
    if (archivePath !== '') add(w, { path: archivePath, type: 'directory', mode: 0o755, size: 0 }, abs);
    const children = await childNames(w, abs);
    await Promise.all(children.map((n) => visit(w, path.join(abs, n), joinArchive(archivePath, n))));
  } else if (st.isSymbolicLink()) {
    const linkname = await reading(w, abs, () => readlink(abs));
    if (await checkSymlink(w, abs, archivePath, linkname)) {
      add(w, { path: archivePath, type: 'symlink', mode: 0o777, size: 0, linkname }, abs);
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

/** The leading segments of a glob that hold no pattern characters: "payloads/python/**" -> "payloads/python". */
export function staticBase(pattern: string): string {
  const parts = pattern.split('/');
  const out: string[] = [];
  for (const p of parts.slice(0, -1)) {
    if (isDynamicPattern(p)) break;
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
  if (isDynamicPattern(fe.from)) {
    const base = staticBase(from);
    const matches = (
      await glob(from, {
        cwd: w.source,
        onlyFiles: false,
        dot: true,
        followSymbolicLinks: false,
        expandDirectories: false,
      })
    )
      .map((m) => m.replace(/\/+$/, ''))
      .sort(compareBytes);
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
        // The glob reads names as UTF-8: a name that is not comes back with U+FFFD and cannot be found.
        if (m.includes('\uFFFD')) notUtf8(w, m);
        else w.problems.push({ kind: 'missing', line: `${w.where}: "${m}" vanished while being read` });
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

function finish(name: string, members: Map<string, Member>): ArchivePlan {
  const entries = [...members.values()].map((m) => m.entry);
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
  return { name, entries, bytes: entries.reduce((n, e) => n + e.size, 0) };
}

export async function collectArchives(opts: CollectOptions): Promise<CollectResult> {
  const exclude = opts.exclude ?? (() => false);
  let realSource = opts.source;
  try {
    realSource = await realpath(opts.source);
  } catch {
    // missing source: every input is reported missing below
  }
  const problems: CollectProblem[] = [];
  const archives: ArchivePlan[] = [];
  for (const [i, spec] of opts.archives.entries()) {
    const members = new Map<string, Member>();
    for (const [j, fe] of spec.files.entries()) {
      const w: Walk = {
        source: opts.source,
        realSource,
        where: `archives[${i}].files[${j}]`,
        mode: fe.mode,
        members,
        problems: [],
        exclude,
      };
      await collectEntry(w, fe);
      problems.push(...w.problems.sort((a, b) => compareBytes(a.line, b.line)));
    }
    archives.push(finish(spec.name, members));
  }
  return { archives, problems };
}
