/**
 * The release's assets as they are in dist/: every file SHA256SUMS lists, plus SHA256SUMS itself, its signature
 * (SHA256SUMS.sig) and release-manifest.json when present. Each listed file is re-hashed (streamed) and
 * compared; limits are checked before hashing so an oversized file is refused at once.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { assetNameProblem } from '../config/asset-name.js';
import { UsageError } from '../errors/index.js';
import { MANIFEST_FILE, SIG_FILE, SUMS_FILE } from '../config/release-files.js';
import { parseSums, sha256File } from '../checksums/index.js';

/** GitHub's limits: at most 1000 assets per release, each under 2 GiB. */
export const MAX_ASSETS = 1000;
const MAX_ASSET_BYTES = 2 * 1024 ** 3;

export interface LocalAsset {
  name: string;
  file: string;
  size: number;
  sha256: string;
  contentType: string;
}

export interface LocalAssets {
  dist: string;
  assets: LocalAsset[];
  /** Why dist/ cannot be published as is (a refusal), one line each. */
  problems: string[];
}

function contentTypeOf(name: string): string {
  if (name.endsWith('.tar.gz') || name.endsWith('.tgz') || name.endsWith('.gz')) return 'application/gzip';
  if (name.endsWith('.json')) return 'application/json';
  if (name === SUMS_FILE || name.endsWith('.txt') || name.endsWith('.md') || name.endsWith('.sh'))
    return 'text/plain';
  return 'application/octet-stream';
}

async function sizeOf(file: string): Promise<number | undefined> {
  try {
    const s = await stat(file);
    return s.isFile() ? s.size : undefined;
  } catch {
    return undefined;
  }
}

export async function gatherLocalAssets(dist: string, signal?: AbortSignal): Promise<LocalAssets> {
  const sumsFile = path.join(dist, SUMS_FILE);
  let text: string;
  try {
    text = await readFile(sumsFile, 'utf8');
  } catch {
    throw new UsageError(
      `no ${SUMS_FILE} in ${dist}: run \`krel make\` first (or point "out" in krel.json at dist/)`,
    );
  }
  const { sums: entries, problems } = parseSums(text);
  if (entries.length === 0 && problems.length === 0) problems.push(`${sumsFile} lists no files`);
  const wanted: { name: string; sha256: string | undefined }[] = entries.map((e) => ({ ...e }));
  wanted.push({ name: SUMS_FILE, sha256: undefined });
  if (
    !entries.some((e) => e.name === MANIFEST_FILE) &&
    (await sizeOf(path.join(dist, MANIFEST_FILE))) !== undefined
  )
    wanted.push({ name: MANIFEST_FILE, sha256: undefined });
  // The signature cannot list itself in what it signs: published beside SHA256SUMS, all or nothing with it.
  if ((await sizeOf(path.join(dist, SIG_FILE))) !== undefined)
    wanted.push({ name: SIG_FILE, sha256: undefined });

  if (wanted.length > MAX_ASSETS)
    problems.push(`${wanted.length} assets: a release holds at most ${MAX_ASSETS}`);
  const sized: { name: string; file: string; size: number; sha256: string | undefined }[] = [];
  for (const w of wanted) {
    const nameProblem = assetNameProblem(w.name);
    if (nameProblem !== undefined) {
      problems.push(
        `${SUMS_FILE} in ${dist} lists ${JSON.stringify(w.name)}: an asset name that ${nameProblem}`,
      );
      continue;
    }
    const file = path.join(dist, w.name);
    const size = await sizeOf(file);
    if (size === undefined)
      problems.push(`${w.name} is listed in ${SUMS_FILE} but missing from ${dist}: rerun \`krel make\``);
    else if (size >= MAX_ASSET_BYTES)
      problems.push(`${w.name} is ${size} bytes: GitHub release assets must be under 2 GiB`);
    else sized.push({ name: w.name, file, size, sha256: w.sha256 });
  }
  const assets: LocalAsset[] = [];
  for (const s of sized) {
    const actual = (await sha256File(s.file, signal)).sha256;
    if (s.sha256 !== undefined && actual !== s.sha256) {
      problems.push(
        `${s.name} does not match ${SUMS_FILE} (file ${actual.slice(0, 12)}…, listed ${s.sha256.slice(0, 12)}…): rerun \`krel make\``,
      );
    }
    assets.push({
      name: s.name,
      file: s.file,
      size: s.size,
      sha256: actual,
      contentType: contentTypeOf(s.name),
    });
  }
  return { dist, assets, problems };
}
