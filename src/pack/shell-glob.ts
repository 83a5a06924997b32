/**
 * Expand a glob as bash does (`shopt -s globstar`, no dotglob), so `{"from": "bin/*"}` names what
 * `ls -d bin/*` lists: files, directories and symlinks alike. `*`, `?` and `[...]` do not match a leading
 * "." unless the pattern segment starts with one (`.*` does); `**` matches zero or more directories. A glob
 * never looks through a symlinked directory (bash's `**` neither): what lies below a link is not packaged.
 * Read-only; returns "/"-separated paths relative to `root`, unsorted.
 */
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import picomatch from 'picomatch';

export interface DirEntry {
  name: string;
  /** A real directory (not a symlink to one). */
  dir: boolean;
}

export interface GlobReader {
  /** The entries of a directory (relative path "" is the root); names that are not UTF-8 are left out. */
  list(rel: string): Promise<DirEntry[]>;
}

const join = (dir: string, name: string): string => (dir === '' ? name : `${dir}/${name}`);

/** The directories at and below `dir` that `**` walks: not hidden, not through symlinks. */
async function globstarDirs(reader: GlobReader, dir: string, out: string[]): Promise<void> {
  out.push(dir);
  for (const d of await reader.list(dir)) {
    if (d.dir && !d.name.startsWith('.')) await globstarDirs(reader, join(dir, d.name), out);
  }
}

async function exists(root: string, rel: string): Promise<'dir' | 'other' | undefined> {
  try {
    return (await lstat(path.join(root, rel))).isDirectory() ? 'dir' : 'other';
  } catch {
    return undefined;
  }
}

/** One segment applied to each directory in `dirs`: the matches (when last) or the directories to go on in. */
async function step(
  root: string,
  reader: GlobReader,
  dirs: string[],
  segment: string,
  last: boolean,
): Promise<string[]> {
  const out: string[] = [];
  for (const dir of dirs) {
    if (segment === '**') {
      const below: string[] = [];
      await globstarDirs(reader, dir, below);
      if (!last) out.push(...below);
      else {
        // "a/**" lists "a/" itself, then everything below that is not hidden.
        if (dir !== '') out.push(dir);
        for (const d of below) {
          for (const e of await reader.list(d)) if (!e.name.startsWith('.')) out.push(join(d, e.name));
        }
      }
    } else if (!picomatch.scan(segment).isGlob) {
      const name = segment.replace(/\\(.)/g, '$1');
      const kind = await exists(root, join(dir, name));
      if (kind !== undefined && (last || kind === 'dir')) out.push(join(dir, name));
    } else {
      const match = picomatch(segment, { dot: false });
      for (const e of await reader.list(dir)) {
        if (match(e.name) && (last || e.dir)) out.push(join(dir, e.name));
      }
    }
  }
  return [...new Set(out)];
}

export async function expandGlob(root: string, pattern: string, reader: GlobReader): Promise<string[]> {
  const segments = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let at: string[] = [''];
  for (const [i, segment] of segments.entries()) {
    at = await step(root, reader, at, segment, i === segments.length - 1);
    if (at.length === 0) break;
  }
  return at.filter((p) => p !== '');
}
