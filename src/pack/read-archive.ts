/** Read a .tar.gz back, streaming: every member's header fields and, for files, the sha256 of its content. */
import { createHash } from 'node:crypto';
import { list } from 'tar';
import type { ReadEntry } from 'tar';
import type { EntryType } from './types.js';

export interface ListedEntry {
  path: string;
  /** file, directory, symlink, or the tar type name of anything else. */
  type: string;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  sha256?: string;
  linkname?: string;
}

const TYPES: Record<string, EntryType> = { File: 'file', Directory: 'directory', SymbolicLink: 'symlink' };

export async function listArchive(file: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  const pending: Promise<void>[] = [];
  await list({
    file,
    strict: true,
    onReadEntry: (e: ReadEntry) => {
      const listed: ListedEntry = {
        path: e.path.replace(/\/+$/, ''),
        type: TYPES[e.type] ?? e.type,
        size: e.size ?? 0,
        mode: (e.mode ?? 0) & 0o7777,
        uid: e.uid ?? -1,
        gid: e.gid ?? -1,
        uname: e.uname ?? '',
        gname: e.gname ?? '',
        mtime: e.mtime === undefined ? -1 : Math.floor(e.mtime.getTime() / 1000),
      };
      if (e.linkpath !== undefined && e.linkpath !== '') listed.linkname = e.linkpath;
      entries.push(listed);
      if (e.type === 'File') {
        const hash = createHash('sha256');
        e.on('data', (c: Buffer) => hash.update(c));
        pending.push(
          new Promise<void>((resolve) =>
            e.on('end', () => {
              listed.sha256 = hash.digest('hex');
              resolve();
            }),
          ),
        );
      }
    },
  });
  await Promise.all(pending);
  return entries;
}
