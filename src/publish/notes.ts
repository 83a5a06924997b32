/**
 * The release body: release-notes/<tag>.md when present, else the store's generated notes (GitHub
 * generate-notes, asked for at apply time because it is a POST), else a short list of the assets.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { formatBytes } from '../log/logger.js';

export type NotesSource = 'file' | 'generate' | 'list';

export interface NotesFacts {
  /** The notes file's text when it exists. */
  file?: { path: string; text: string };
  generateNotes: boolean;
}

export async function readNotesFile(notesDir: string, tag: string): Promise<NotesFacts['file']> {
  const file = path.join(notesDir, `${tag}.md`);
  try {
    return { path: file, text: await readFile(file, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export function assetListNotes(
  tag: string,
  assets: readonly { name: string; size: number; sha256: string }[],
): string {
  const lines = [`Release ${tag}.`, '', '| Asset | Size | SHA-256 |', '| --- | --- | --- |'];
  for (const a of assets) lines.push(`| ${a.name} | ${formatBytes(a.size)} | \`${a.sha256}\` |`);
  return lines.join('\n') + '\n';
}
