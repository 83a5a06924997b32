/**
 * `krel make`: planMake computes what each archive holds and the actions (read-only, backs --dry-run);
 * applyMake carries the actions out: the archives concurrently into a staging directory, the raw assets,
 * release-manifest.json and SHA256SUMS, then swaps it in.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { KrelConfig } from '../config/types.js';
import { ConfigError, InterruptedError, RefusedError, UsageError } from '../errors/index.js';
import type { Progress } from '../log/progress.js';
import { ArchiveBatch } from './archive-batch.js';
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
  type MakeAction,
  type MakePlan,
  type RawAssetRecord,
  type ReleaseManifest,
} from './types.js';
import { copyRawAsset, planRawAssets } from './raw-assets.js';

export interface PlanMakeOptions {
  /** Absolute prebuilt tree (--from); replaces config.source and disables the build command. */
  from?: string;
  /** Absolute output directory (--out); default config.out. */
  out?: string;
  /** The build command has run: plan no further build. */
  built?: boolean;
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
  const build = opts.from === undefined && opts.built !== true ? config.build : undefined;
  const missing = problems.map((p) => p.line);
  const plan: MakePlan = {
    version: 1,
    kind: 'make',
    source,
    out,
    sourceDateEpoch: date.epoch,
    epochSource: date.from,
    commit,
    missing,
    ...(build !== undefined ? { build } : {}),
    archives: collected.archives,
    assets: raw.assets,
    notes: collected.notes,
    actions: [
      ...(build !== undefined && missing.length > 0 ? [{ kind: 'run-build' as const, command: build }] : []),
      ...collected.archives.map((a) => ({
        kind: 'write-archive' as const,
        name: a.name,
        entries: a.entries.length,
      })),
      ...raw.assets.map((a) => ({ kind: 'copy-asset' as const, name: a.name })),
      { kind: 'write-manifest' },
      { kind: 'write-checksums' },
      { kind: 'replace-output', out },
    ],
  };
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
  /** Called as each of the plan's actions is done, in plan order. */
  onAction?: (a: MakeAction) => void;
}

/** The archive or asset a plan's action names. */
function planned<T extends { name: string }>(list: readonly T[], name: string): T {
  const found = list.find((x) => x.name === name);
  if (found === undefined) throw new Error(`internal: the make plan acts on ${name}, which it does not hold`);
  return found;
}

/** Carry out the plan's actions in order, in a staging directory that replace-output swaps in. */
export async function applyMake(plan: MakePlan, opts: ApplyMakeOptions): Promise<ReleaseManifest> {
  assertInputsPresent(plan);
  await checkReplaceable(plan.out);
  const staging = await createStaging(plan.out);
  const batch = new ArchiveBatch(staging, {
    epoch: plan.sourceDateEpoch,
    ...(opts.level !== undefined ? { level: opts.level } : {}),
    ...(opts.progress !== undefined ? { progress: opts.progress } : {}),
    ...(opts.signal !== undefined ? { signal: opts.signal } : {}),
  });
  const done = (a: MakeAction): void => opts.onAction?.(a);
  let writing: MakeAction[] = [];
  const records: ArchiveRecord[] = [];
  const assets: RawAssetRecord[] = [];
  let manifest: { value: ReleaseManifest; text: string } | undefined;
  const written = (): { value: ReleaseManifest; text: string } => {
    if (manifest === undefined)
      throw new Error('internal: the make plan writes checksums before the manifest');
    return manifest;
  };
  try {
    for (const a of plan.actions) {
      // The archives run concurrently until the first action that is not one.
      if (a.kind !== 'write-archive' && writing.length > 0) {
        records.push(...(await batch.settle()));
        writing.forEach(done);
        writing = [];
      }
      switch (a.kind) {
        case 'run-build':
          throw new Error(`internal: the build "${a.command}" runs before a make is applied, not in it`);
        case 'write-archive':
          batch.start(planned(plan.archives, a.name));
          writing.push(a);
          continue;
        case 'copy-asset':
          assets.push(await copyRawAsset(planned(plan.assets, a.name), staging, opts.signal));
          break;
        case 'write-manifest': {
          const value: ReleaseManifest = {
            schemaVersion: MANIFEST_SCHEMA_VERSION,
            tool: { name: 'krel', version: opts.toolVersion },
            commit: plan.commit,
            sourceDateEpoch: plan.sourceDateEpoch,
            archives: records,
            ...(assets.length > 0 ? { assets } : {}),
          };
          manifest = { value, text: JSON.stringify(value, null, 2) + '\n' };
          await writeFile(path.join(staging, MANIFEST_FILE), manifest.text);
          break;
        }
        case 'write-checksums': {
          const sums = [...records, ...assets].map((r) => ({ name: r.name, sha256: r.sha256 }));
          sums.push({ name: MANIFEST_FILE, sha256: sha256Text(written().text) });
          await writeFile(path.join(staging, SUMS_FILE), formatSums(sums));
          break;
        }
        case 'replace-output':
          await writeFile(path.join(staging, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
          opts.signal?.throwIfAborted();
          await commitStaging(staging, a.out);
          break;
      }
      done(a);
    }
    return written().value;
  } catch (e) {
    await batch.settle().catch(() => undefined);
    await discardStaging(staging);
    if (opts.signal?.aborted) throw new InterruptedError();
    throw e;
  } finally {
    opts.progress?.stop();
  }
}
