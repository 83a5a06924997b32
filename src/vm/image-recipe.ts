/**
 * Guest image recipes: validate/images/<name>.json (Debian suite, packages, the guest setup script, disk size).
 * The cache key is the sha256 of the recipe, its setup script and IMAGE_FORMAT_VERSION, so any change rebuilds.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import { packageFile } from '../util/package-root.js';

/** Bump when the cached layout or the way an image is built changes. */
export const IMAGE_FORMAT_VERSION = 1;

/** validate/images of the installed package. */
export const RECIPE_DIR = packageFile('validate', 'images');

export interface ImageRecipe {
  /** e.g. "debian-12" */
  name: string;
  /** Debian suite, e.g. "bookworm" */
  suite: string;
  packages: string[];
  /** Absolute path of the guest setup script (mmdebstrap --customize-hook, root file system as $1). */
  customizeScript: string;
  /** Size of the root file system image, e.g. "4G" (sparse: only used blocks take space). */
  diskSize: string;
  /** sha256 (hex) of the recipe, its setup script and IMAGE_FORMAT_VERSION. */
  hash: string;
  /** Cache directory name: <name>-<first 16 hex digits of hash>. */
  key: string;
}

export function listRecipes(dir = RECIPE_DIR): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

export function loadRecipe(name: string, dir = RECIPE_DIR): ImageRecipe {
  const known = listRecipes(dir);
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(name) || !known.includes(name)) {
    throw new UsageError(
      `unknown VM image "${name}": use one of ${known.join(', ') || '(none)'} (recipes in ${dir})`,
    );
  }
  const file = path.join(dir, `${name}.json`);
  const text = readFileSync(file);
  const bad = (what: string): UsageError => new UsageError(`${file}: ${what}`);
  let data: unknown;
  try {
    data = JSON.parse(text.toString('utf8'));
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  const r = data as Record<string, unknown>;
  if (typeof r.suite !== 'string' || !/^[a-z0-9-]+$/.test(r.suite))
    throw bad('"suite" must be a Debian suite name');
  if (
    !Array.isArray(r.packages) ||
    !r.packages.every((p) => typeof p === 'string' && /^[a-z0-9][a-z0-9+.-]*$/.test(p))
  )
    throw bad('"packages" must be a list of Debian package names');
  if (typeof r.customize !== 'string' || r.customize.includes('/'))
    throw bad('"customize" must name a script beside the recipe');
  const diskSize = r.diskSize ?? '4G';
  if (typeof diskSize !== 'string' || !/^\d+[MG]$/.test(diskSize))
    throw bad('"diskSize" must look like "4G"');
  const customizeScript = path.join(dir, r.customize);
  let script: Buffer;
  try {
    script = readFileSync(customizeScript);
  } catch {
    throw bad(`the setup script ${customizeScript} is missing`);
  }
  const hash = createHash('sha256')
    .update(`krel-image-format-${IMAGE_FORMAT_VERSION}\n`)
    .update(text)
    .update('\n')
    .update(script)
    .digest('hex');
  return {
    name,
    suite: r.suite,
    packages: r.packages as string[],
    customizeScript,
    diskSize,
    hash,
    key: `${name}-${hash.slice(0, 16)}`,
  };
}
