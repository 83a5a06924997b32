/**
 * Release assets that are not archives (krel.json "assets", e.g. a self-extracting installer): planned
 * read-only (missing files are reported like missing archive inputs), then copied as they are into the
 * output directory, hashed as they pass.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Sha256Tap } from '../checksums/index.js';
import type { AssetSpec } from '../config/types.js';
import { fsUsageError } from '../errors/fs-error.js';
import { octalMode } from './tar-stream.js';
import type { CollectProblem } from './collect.js';
import type { RawAssetPlan, RawAssetRecord } from './types.js';

export interface RawAssetsResult {
  assets: RawAssetPlan[];
  problems: CollectProblem[];
}

export async function planRawAssets(specs: readonly AssetSpec[]): Promise<RawAssetsResult> {
  const assets: RawAssetPlan[] = [];
  const problems: CollectProblem[] = [];
  for (const [i, a] of specs.entries()) {
    const where = `assets[${i}].from`;
    let st;
    try {
      st = await stat(a.from);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        problems.push({ kind: 'missing', line: `${where}: no such file "${a.from}"` });
        continue;
      }
      throw fsUsageError(e, `${where}: "${a.from}"`, 'read');
    }
    if (!st.isFile()) {
      problems.push({
        kind: 'config',
        line: `${where}: "${a.from}" is not a regular file; name the file to release`,
      });
      continue;
    }
    const mode = a.mode ?? (st.mode & 0o111 ? 0o755 : 0o644);
    assets.push({ name: a.name, source: a.from, size: st.size, mode });
  }
  return { assets, problems };
}

/** Copy one asset into `dir` under its name (never over an existing file); its size, sha256 and mode. */
export async function copyRawAsset(
  asset: RawAssetPlan,
  dir: string,
  signal?: AbortSignal,
): Promise<RawAssetRecord> {
  const file = path.join(dir, asset.name);
  const tap = new Sha256Tap();
  await pipeline(
    createReadStream(asset.source),
    tap,
    createWriteStream(file, { flags: 'wx' }),
    signal ? { signal } : {},
  );
  await chmod(file, asset.mode);
  return { name: asset.name, size: tap.size, sha256: tap.hex(), mode: octalMode(asset.mode) };
}
