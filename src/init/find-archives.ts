/**
 * What `krel init` finds in a build tree, laid out as kontain-install.sh installs a release: kontain.tar.gz
 * holds the top-level directories and files (bin, lib, runtime, ...), and each payload directory
 * payloads/NAME becomes kontain-NAME.tar.gz. Hidden entries and names that cannot be a release asset or that
 * read as a glob are left out, each with a note saying so.
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

/** The archive kontain-install.sh installs first (and krel validate needs in dist/). */
export const MAIN_ARCHIVE = 'kontain.tar.gz';
const PAYLOADS = 'payloads';

const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The entries of dir in name order; hidden and glob-like names are left out with a note. */
async function list(
  dir: string,
  shown: string,
  notes: string[],
): Promise<{ name: string; isDir: boolean }[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const kept: { name: string; isDir: boolean }[] = [];
  for (const e of entries.sort((a, b) => byName(a.name, b.name))) {
    if (e.name.startsWith('.')) notes.push(`left out ${shown}${e.name}: hidden`);
    else if (/[*?[\]{}()!]/.test(e.name)) notes.push(`left out ${shown}${e.name}: its name reads as a glob`);
    else kept.push({ name: e.name, isDir: e.isDirectory() });
  }
  return kept;
}

export async function findArchives(tree: string): Promise<FoundTree> {
  const notes: string[] = [];
  let top;
  try {
    top = await list(tree, '', notes);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new UsageError(
        `no build tree at ${tree}: pass --from DIR, the directory whose contents are installed under the prefix`,
      );
    throw e;
  }
  const main: string[] = [];
  const payloads: FoundArchive[] = [];
  for (const entry of top) {
    if (entry.name !== PAYLOADS || !entry.isDir) {
      main.push(entry.name);
      continue;
    }
    for (const p of await list(path.join(tree, PAYLOADS), `${PAYLOADS}/`, notes)) {
      const file = `${PAYLOADS}/${p.name}`;
      const name = `kontain-${p.name}.tar.gz`;
      const problem = p.isDir ? archiveNameProblem(name) : undefined;
      if (!p.isDir) main.push(file);
      else if (problem === undefined) payloads.push({ name, files: [file] });
      else notes.push(`left out ${file}/: the archive name ${name} ${problem}`);
    }
  }
  const archives = main.length > 0 ? [{ name: MAIN_ARCHIVE, files: main }, ...payloads] : payloads;
  if (archives.length === 0) throw new UsageError(`${tree} holds nothing to package: pass --from DIR`);
  if (main.length === 0)
    notes.push(
      `no ${MAIN_ARCHIVE}: the tree has only payloads, and kontain-install.sh installs ${MAIN_ARCHIVE} first`,
    );
  return { archives, notes };
}
