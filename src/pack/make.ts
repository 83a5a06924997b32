/**
 * `krel make`: planMake computes what each archive holds (read-only, backs --dry-run); applyMake writes the
 * archives concurrently into a staging directory with SHA256SUMS and release-manifest.json, then swaps it in.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { KrelConfig } from '../config/types.js';
import { ConfigError, InterruptedError, RefusedError, UsageError, errorMessage } from '../errors/index.js';
import type { Progress } from '../log/progress.js';
import { Slots } from './block-gzip.js';
import { formatSums, sha256Text } from '../checksums/index.js';
import { collectArchives } from './collect.js';
import {
  OUTPUT_MARKER_TEXT,
  checkReplaceable,
  commitStaging,
  createStaging,
  discardStaging,
  isStagingOf,
} from './output-dir.js';
import { headCommit, resolveSourceDate } from './source-date.js';
import {
  MANIFEST_FILE,
  MANIFEST_SCHEMA_VERSION,
  OUTPUT_MARKER,
  SUMS_FILE,
  type ArchiveRecord,
  type MakePlan,
  type RawAssetRecord,
  type ReleaseManifest,
} from './types.js';
import { copyRawAsset, planRawAssets } from './raw-assets.js';
import { writeArchive } from './write-archive.js';

export interface PlanMakeOptions {
  /** Absolute prebuilt tree (--from); replaces config.source and disables the build command. */
  from?: string;
  /** Absolute output directory (--out); default config.out. */
  out?: string;
  env: NodeJS.ProcessEnv;
}

export async function planMake(config: KrelConfig, opts: PlanMakeOptions): Promise<MakePlan> {
  const source = opts.from ?? config.source;
  const out = opts.out ?? config.out;
  // An output krel may not replace is refused before anything is read or built.
  await checkReplaceable(out);
  const [date, commit, collected, raw] = await Promise.all([
    resolveSourceDate(opts.env, config.dir),
    headCommit(config.dir),
    collectArchives({ source, archives: config.archives, exclude: (abs) => isStagingOf(out, abs) }),
    planRawAssets(config.assets),
  ]);
  const problems = [...collected.problems, ...raw.problems];
  const blocking = problems.filter((p) => p.kind !== 'missing');
  if (blocking.some((p) => p.kind === 'config')) {
    throw new ConfigError(
      config.file,
      blocking.map((p) => p.line),
    );
  }
  if (blocking.length > 0) {
    const lines = blocking.map((p) => p.line);
    throw new RefusedError(
      lines.length === 1 ? `refused: ${lines[0]}` : `refused: ${lines.length} unsafe inputs in ${source}`,
      { details: lines.length === 1 ? [] : lines },
    );
  }
  const plan: MakePlan = {
    kind: 'make',
    source,
    out,
    sourceDateEpoch: date.epoch,
    epochSource: date.from,
    commit,
    missing: problems.map((p) => p.line),
    archives: collected.archives,
    assets: raw.assets,
    notes: collected.notes,
  };
  if (opts.from === undefined && config.build !== undefined) plan.build = config.build;
  return plan;
}

/** Fail with every missing input at once (exit 2). */
export function assertInputsPresent(plan: MakePlan): void {
  const n = plan.missing.length;
  if (n === 0) return;
  const fix = `build them, pass --from DIR, or set "build" in krel.json`;
  if (n === 1) throw new UsageError(`${plan.missing[0]} (in ${plan.source}): ${fix}`);
  throw new UsageError(`${n} inputs missing in ${plan.source} (${fix}):`, { details: plan.missing });
}

export interface ApplyMakeOptions {
  toolVersion: string;
  /** zlib level 1-9 (default 6). */
  level?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

/** Write every archive at once; the first failure stops the others. */
async function writeAll(plan: MakePlan, staging: string, opts: ApplyMakeOptions): Promise<ArchiveRecord[]> {
  const stop = new AbortController();
  const signal = opts.signal === undefined ? stop.signal : AbortSignal.any([stop.signal, opts.signal]);
  // Enough blocks to keep every core busy, plus one so a core never waits for the main thread.
  const slots = new Slots(availableParallelism() + 1);
  const results = await Promise.allSettled(
    plan.archives.map(async (a) => {
      const bar = opts.progress?.item(a.name, a.bytes);
      try {
        const record = await writeArchive(a, path.join(staging, a.name), {
          epoch: plan.sourceDateEpoch,
          signal,
          slots,
          ...(opts.level !== undefined ? { level: opts.level } : {}),
          ...(bar !== undefined ? { onRead: (n: number) => bar.tick(n) } : {}),
        });
        bar?.done();
        return record;
      } catch (e) {
        stop.abort(e);
        throw e;
      }
    }),
  );
  const records: ArchiveRecord[] = [];
  let failure: unknown;
  for (const r of results) {
    if (r.status === 'fulfilled') records.push(r.value);
    else failure ??= signal.aborted && stop.signal.aborted ? stop.signal.reason : r.reason;
  }
  if (failure !== undefined) throw failure instanceof Error ? failure : new Error(errorMessage(failure));
  return records;
}

export async function applyMake(plan: MakePlan, opts: ApplyMakeOptions): Promise<ReleaseManifest> {
  assertInputsPresent(plan);
  await checkReplaceable(plan.out);
  const staging = await createStaging(plan.out);
  try {
    const records = await writeAll(plan, staging, opts);
    const assets: RawAssetRecord[] = [];
    for (const a of plan.assets) assets.push(await copyRawAsset(a, staging, opts.signal));
    const manifest: ReleaseManifest = {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      tool: { name: 'krel', version: opts.toolVersion },
      commit: plan.commit,
      sourceDateEpoch: plan.sourceDateEpoch,
      archives: records,
      ...(assets.length > 0 ? { assets } : {}),
    };
    const manifestText = JSON.stringify(manifest, null, 2) + '\n';
    await writeFile(path.join(staging, MANIFEST_FILE), manifestText);
    const sums = [...records, ...assets].map((r) => ({ name: r.name, sha256: r.sha256 }));
    sums.push({ name: MANIFEST_FILE, sha256: sha256Text(manifestText) });
    await writeFile(path.join(staging, SUMS_FILE), formatSums(sums));
    await writeFile(path.join(staging, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
    opts.signal?.throwIfAborted();
    await commitStaging(staging, plan.out);
    return manifest;
  } catch (e) {
    await discardStaging(staging);
    if (opts.signal?.aborted) throw new InterruptedError();
    throw e;
  } finally {
    opts.progress?.stop();
  }
}
