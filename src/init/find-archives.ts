/**
 * What `krel init` finds in a build tree: one archive per top-level directory (`bin` -> bin.tar.gz), and the
 * top-level files, if any, together in one archive named after the tree. Hidden entries and names that cannot
 * be a release asset are left out, each with a note saying so.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { archiveNameProblem } from '../config/asset-name.js';
import { UsageError } from '../errors/index.js';

export interface FoundArchive {
  name: string;
  /** Paths relative to the tree, as krel.json "files" lists them. */
  files: string[];
}

export interface FoundTree {
  archives: FoundArchive[];
  notes: string[];
}

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export async function findArchives(tree: string): Promise<FoundTree> {
  let entries;
  try {
    entries = await readdir(tree, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UsageError(
        `no build tree at ${tree}: pass --from DIR, the directory whose contents are installed under the prefix`,
      );
    throw e;
  }
  const notes: string[] = [];
  const archives: FoundArchive[] = [];
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => byName(a.name, b.name))) {
    if (entry.name.startsWith('.')) {
      notes.push(`left out ${entry.name}: hidden`);
      continue;
    }
    if (!entry.isDirectory()) {
      if (/[*?[\]{}()!]/.test(entry.name)) notes.push(`left out ${entry.name}: its name reads as a glob`);
      else files.push(entry.name);
      continue;
    }
    const name = `${entry.name}.tar.gz`;
    const problem = archiveNameProblem(name);
    if (problem === undefined) archives.push({ name, files: [entry.name] });
    else notes.push(`left out ${entry.name}/: the archive name ${name} ${problem}`);
  }
  if (files.length > 0) {
    const base =
      path
        .basename(tree)
        .replace(/[^A-Za-z0-9._+-]/g, '-')
        .replace(/^\.+|\.+$/g, '') || 'files';
    const taken = new Set(archives.map((a) => a.name));
    const name = taken.has(`${base}.tar.gz`) ? `${base}-files.tar.gz` : `${base}.tar.gz`;
    archives.push({ name, files });
    notes.push(`the top-level files (${files.join(', ')}) go into ${name}`);
  }
  if (archives.length === 0) throw new UsageError(`${tree} holds nothing to package: pass --from DIR`);
  return { archives, notes };
}
