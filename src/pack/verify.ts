/**
 * `krel verify`: re-hash a dist/ against SHA256SUMS and release-manifest.json, re-list every archive and
 * compare its members with the manifest. Read-only; returns every mismatch, one line each.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError, errorMessage } from '../errors/index.js';
import { parseSums, sha256File } from '../checksums/index.js';
import { archiveRuleBreaks } from './archive-path.js';
import { listArchive } from './read-archive.js';
import { octalMode } from './tar-stream.js';
import {
  MANIFEST_FILE,
  OUTPUT_MARKER,
  SUMS_FILE,
  type ArchiveRecord,
  type ReleaseManifest,
} from './types.js';

export interface VerifyReport {
  dir: string;
  /** Files whose checksum matched. */
  verified: string[];
  problems: string[];
}

/** Per archive, at most this many entry mismatches are listed (then a count of the rest). */
const MAX_ENTRY_PROBLEMS = 20;

async function readOptional(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function parseManifest(text: string, problems: string[]): ReleaseManifest | undefined {
  try {
    const m = JSON.parse(text) as ReleaseManifest;
    if (m.schemaVersion !== 1 || !Array.isArray(m.archives) || !Array.isArray(m.assets ?? [])) {
      problems.push(`${MANIFEST_FILE}: unknown schemaVersion ${String(m.schemaVersion)} (expected 1)`);
      return undefined;
    }
    return m;
  } catch (e) {
    problems.push(`${MANIFEST_FILE}: not valid JSON (${errorMessage(e)})`);
    return undefined;
  }
}

function limit(name: string, lines: string[], what: string): string[] {
  if (lines.length <= MAX_ENTRY_PROBLEMS) return lines;
  const rest = lines.length - MAX_ENTRY_PROBLEMS;
  return [...lines.slice(0, MAX_ENTRY_PROBLEMS), `${name}: ... and ${rest} more ${what}`];
}

async function checkEntries(file: string, record: ArchiveRecord, epoch: number): Promise<string[]> {
  const name = record.name;
  let listed;
  try {
    listed = await listArchive(file);
  } catch (e) {
    return [`${name}: cannot be read as a tar.gz (${errorMessage(e)})`];
  }
  // A member that breaks the archive rules refuses the whole archive, whatever the manifest says.
  const breaks = archiveRuleBreaks(listed);
  if (breaks.length > 0)
    return limit(
      name,
      breaks.map((b) => `${name}: member ${JSON.stringify(b.path)} ${b.rule}`),
      'refused members',
    );
  const out: string[] = [];
  const want = new Map(record.entries.map((e) => [e.path, e]));
  const seen = new Set<string>();
  for (const got of listed) {
    seen.add(got.path);
    const exp = want.get(got.path);
    if (exp === undefined) {
      out.push(`${name}: "${got.path}" is in the archive but not in the manifest`);
      continue;
    }
    const diffs: string[] = [];
    if (got.type !== exp.type) diffs.push(`type ${got.type}, manifest ${exp.type}`);
    if (got.size !== exp.size) diffs.push(`size ${got.size}, manifest ${exp.size}`);
    if (octalMode(got.mode) !== exp.mode) diffs.push(`mode ${octalMode(got.mode)}, manifest ${exp.mode}`);
    if (got.sha256 !== exp.sha256) diffs.push(`sha256 ${got.sha256 ?? '-'}, manifest ${exp.sha256 ?? '-'}`);
    if (got.linkname !== exp.linkname)
      diffs.push(`link ${got.linkname ?? '-'}, manifest ${exp.linkname ?? '-'}`);
    if (got.uid !== 0 || got.gid !== 0 || got.uname !== '' || got.gname !== '')
      diffs.push(`owner ${got.uid}/${got.gid} ${got.uname}/${got.gname}, expected 0/0 with empty names`);
    if (got.mtime !== epoch) diffs.push(`mtime ${got.mtime}, manifest sourceDateEpoch ${epoch}`);
    if (diffs.length > 0) out.push(`${name}: "${got.path}": ${diffs.join('; ')}`);
  }
  for (const e of record.entries) {
    if (!seen.has(e.path)) out.push(`${name}: "${e.path}" is in the manifest but not in the archive`);
  }
  return limit(name, out, 'entry mismatches');
}

export async function verifyDist(dir: string): Promise<VerifyReport> {
  try {
    if (!(await stat(dir)).isDirectory())
      throw new UsageError(`${dir} is not a directory: pass the directory krel make wrote`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`no such directory ${dir}: pass the directory krel make wrote (e.g. dist)`);
    throw e;
  }
  const [sumsText, manifestText] = await Promise.all([
    readOptional(path.join(dir, SUMS_FILE)),
    readOptional(path.join(dir, MANIFEST_FILE)),
  ]);
  if (sumsText === undefined && manifestText === undefined) {
    throw new UsageError(
      `${dir} has neither ${SUMS_FILE} nor ${MANIFEST_FILE}: is it a directory krel make wrote?`,
    );
  }
  const problems: string[] = [];
  const verified: string[] = [];
  const actual = new Map<string, { sha256: string; size: number }>();
  const hashOf = async (name: string): Promise<{ sha256: string; size: number } | undefined> => {
    if (!actual.has(name)) {
      try {
        actual.set(name, await sha256File(path.join(dir, name)));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        return undefined;
      }
    }
    return actual.get(name);
  };

  const listedSums = new Map<string, string>();
  if (sumsText === undefined) problems.push(`${SUMS_FILE} is missing`);
  else {
    const parsed = parseSums(sumsText);
    problems.push(...parsed.problems);
    for (const s of parsed.sums) {
      listedSums.set(s.name, s.sha256);
      const got = await hashOf(s.name);
      if (got === undefined) problems.push(`${s.name}: listed in ${SUMS_FILE} but missing`);
      else if (got.sha256 !== s.sha256)
        problems.push(`${s.name}: sha256 is ${got.sha256}, ${SUMS_FILE} says ${s.sha256}`);
      else verified.push(s.name);
    }
    for (const name of (await readdir(dir)).sort()) {
      // The marker proves the directory is krel's output; it is not part of the release.
      if (name !== SUMS_FILE && name !== OUTPUT_MARKER && !listedSums.has(name))
        problems.push(`${name}: present but not listed in ${SUMS_FILE}`);
    }
  }

  const manifest = manifestText === undefined ? undefined : parseManifest(manifestText, problems);
  if (manifestText === undefined) problems.push(`${MANIFEST_FILE} is missing`);
  const epoch = manifest?.sourceDateEpoch ?? -1;
  /** A file the manifest lists: present, with its size and sha256, and SHA256SUMS agreeing. */
  const checkListed = async (record: { name: string; size: number; sha256: string }): Promise<boolean> => {
    const got = await hashOf(record.name);
    if (got === undefined) {
      problems.push(`${record.name}: listed in ${MANIFEST_FILE} but missing`);
      return false;
    }
    if (got.sha256 !== record.sha256)
      problems.push(`${record.name}: sha256 is ${got.sha256}, ${MANIFEST_FILE} says ${record.sha256}`);
    if (got.size !== record.size)
      problems.push(`${record.name}: size is ${got.size}, ${MANIFEST_FILE} says ${record.size}`);
    const summed = listedSums.get(record.name);
    if (sumsText !== undefined && summed !== record.sha256) {
      problems.push(`${record.name}: ${SUMS_FILE} and ${MANIFEST_FILE} disagree on its sha256`);
    }
    return true;
  };
  for (const record of manifest?.archives ?? []) {
    if (!(await checkListed(record))) continue;
    problems.push(...(await checkEntries(path.join(dir, record.name), record, epoch)));
  }
  // Raw assets (not archives) are released as they are: only their bytes are checked.
  for (const record of manifest?.assets ?? []) await checkListed(record);
  return { dir, verified, problems };
}
