/**
 * `krel verify`: re-hash a dist/ against SHA256SUMS and release-manifest.json, re-list every archive and
 * compare its members with the manifest. Read-only; returns every mismatch, one line each.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { checkAttestations, sbomHashes } from '../attest/check.js';
import type { SigningKey } from '../attest/keys.js';
import { UsageError, errorMessage } from '../errors/index.js';
import { parseSums, sha256File } from '../checksums/index.js';
import { archiveRuleBreaks } from './archive-path.js';
import { listArchive } from './read-archive.js';
import { octalMode } from './tar-stream.js';
import {
  MANIFEST_FILE,
  OUTPUT_MARKER,
  PROVENANCE_FILE,
  SBOM_FILE,
  SIG_FILE,
  SUMS_FILE,
  type ArchiveRecord,
  type ReleaseManifest,
} from './types.js';

export interface VerifyReport {
  dir: string;
  /** Files whose checksum matched. */
  verified: string[];
  /** The signature, provenance and SBOM checks that held, one line each. */
  attested: string[];
  /** What could not be checked (e.g. a signature without --key), one line each. */
  notes: string[];
  problems: string[];
}

/** Per archive, at most this many entry mismatches are listed (then a count of the rest). */
const MAX_ENTRY_PROBLEMS = 20;

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** The SBOM's files of each archive against the manifest's entries (sha256 of every file and hard link). */
function sbomEntryProblems(sbom: string, records: readonly ArchiveRecord[]): string[] {
  const parsed = sbomHashes(sbom);
  if (typeof parsed === 'string') return []; // reported by checkAttestations
  const out: string[] = [];
  for (const r of records) {
    const listed = parsed.files.get(r.name);
    if (listed === undefined) continue; // reported by checkAttestations: not one of its components
    const hashes = new Map(r.entries.map((e) => [e.path, e.sha256]));
    const want = new Map<string, string | undefined>();
    for (const e of r.entries) {
      if (e.type === 'file') want.set(e.path, e.sha256);
      if (e.type === 'hardlink') want.set(e.path, hashes.get(e.linkname ?? ''));
    }
    const lines: string[] = [];
    for (const [p, sha] of want) {
      const got = listed.get(p);
      if (!listed.has(p)) lines.push(`${SBOM_FILE}: ${r.name} holds "${p}", which the SBOM does not list`);
      else if (got !== sha)
        lines.push(
          `${SBOM_FILE}: ${r.name} "${p}" has sha256 ${String(got)}, ${MANIFEST_FILE} says ${String(sha)}`,
        );
    }
    for (const p of listed.keys())
      if (!want.has(p))
        lines.push(`${SBOM_FILE}: lists "${p}" in ${r.name}, which the archive does not hold`);
    out.push(...limit(SBOM_FILE, lines, 'SBOM mismatches'));
  }
  return out;
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

export interface VerifyOptions {
  /** The public key the release must be signed with (--key); none: the signature is not checked. */
  key?: SigningKey;
}

export async function verifyDist(dir: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  try {
    if (!(await stat(dir)).isDirectory())
      throw new UsageError(`${dir} is not a directory: pass the directory krel make wrote`);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UsageError(`no such directory ${dir}: pass the directory krel make wrote (e.g. dist)`);
    throw e;
  }
  const [sumsBytes, manifestBytes, signature, provenance, sbom] = await Promise.all(
    [SUMS_FILE, MANIFEST_FILE, SIG_FILE, PROVENANCE_FILE, SBOM_FILE].map((f) =>
      readOptional(path.join(dir, f)),
    ),
  );
  const sumsText = sumsBytes?.toString('utf8');
  const manifestText = manifestBytes?.toString('utf8');
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
      // The marker proves the directory is krel's output; it is not part of the release. The signature
      // cannot list itself: it is checked against SHA256SUMS below.
      if (name !== SUMS_FILE && name !== SIG_FILE && name !== OUTPUT_MARKER && !listedSums.has(name))
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

  const attest = checkAttestations(
    {
      sums: sumsBytes,
      signature,
      provenance: provenance?.toString('utf8'),
      sbom: sbom?.toString('utf8'),
    },
    opts.key,
  );
  problems.push(...attest.problems);
  if (sbom !== undefined)
    problems.push(...sbomEntryProblems(sbom.toString('utf8'), manifest?.archives ?? []));
  if (manifest?.attestations?.signature !== undefined && signature === undefined && opts.key === undefined)
    problems.push(`${SIG_FILE} is missing: ${MANIFEST_FILE} says the release is signed`);
  return { dir, verified, attested: attest.checked, notes: attest.notes, problems };
}
