/**
 * `krel make`: planMake computes what each archive holds and the actions (read-only, backs --dry-run);
 * applyMake carries the actions out: the archives concurrently into a staging directory, the raw assets,
 * release-manifest.json and SHA256SUMS, then swaps it in.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSigningKey, type SigningKey } from '../attest/keys.js';
import { builderFromEnv, provenanceLine, provenanceStatement } from '../attest/provenance.js';
import { buildSbom } from '../attest/sbom.js';
import { signBytes } from '../attest/signature.js';
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
  PROVENANCE_FILE,
  SBOM_FILE,
  SIG_FILE,
  SUMS_FILE,
  type ArchiveRecord,
  type MakeAction,
  type MakePlan,
  type PlannedSigning,
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
  /** The release tag (default: krel.json release.defaultTag) and repository (default: krel.json repo). */
  tag?: string;
  repo?: string;
  /** The key that signs SHA256SUMS and the provenance (planSigning); none: no signature and no provenance. */
  signing?: PlannedSigning;
}

export async function planMake(config: KrelConfig, opts: PlanMakeOptions): Promise<MakePlan> {
  const source = opts.from ?? config.source;
  const out = opts.out ?? config.out;
  // An output krel may not replace is refused before anything is read or built.
  await checkReplaceable(out);
  const [date, commit, collected, raw, configBytes] = await Promise.all([
    resolveSourceDate(opts.env, config.dir),
    headCommit(config.dir),
    collectArchives({ source, archives: config.archives, exclude: (abs) => isStagingOf(out, abs) }),
    planRawAssets(config.assets),
    readFile(config.file).catch(() => Buffer.alloc(0)),
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
    release: {
      tag: opts.tag ?? config.release.defaultTag,
      ...((opts.repo ?? config.repo) !== undefined ? { repo: (opts.repo ?? config.repo)! } : {}),
      builder: builderFromEnv(opts.env),
    },
    config: { file: config.file, sha256: sha256Text(configBytes) },
    ...(opts.signing !== undefined ? { signing: opts.signing } : {}),
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
      { kind: 'write-sbom' },
      { kind: 'write-manifest' },
      // The provenance records when the build ran, so it is written for signed releases only: an unsigned one
      // would prove nothing, and leaving it out keeps an unsigned release byte-reproducible.
      ...(opts.signing !== undefined ? [{ kind: 'write-provenance' as const }] : []),
      { kind: 'write-checksums' },
      ...(opts.signing !== undefined
        ? [{ kind: 'sign-checksums' as const, algorithm: opts.signing.algorithm, keyId: opts.signing.keyId }]
        : []),
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

/** The attestation files a plan writes, as the manifest lists them. */
function attestationsOf(plan: MakePlan): Pick<ReleaseManifest, 'attestations'> {
  const kinds = new Set(plan.actions.map((a) => a.kind));
  const sign = plan.actions.find((a) => a.kind === 'sign-checksums');
  const attestations: NonNullable<ReleaseManifest['attestations']> = {
    ...(kinds.has('write-sbom') ? { sbom: SBOM_FILE } : {}),
    ...(kinds.has('write-provenance') ? { provenance: PROVENANCE_FILE } : {}),
    ...(sign !== undefined
      ? { signature: { file: SIG_FILE, algorithm: sign.algorithm, keyId: sign.keyId } }
      : {}),
  };
  return Object.keys(attestations).length > 0 ? { attestations } : {};
}

/** The planned signing key, loaded again: it must still be the key the plan names. */
function loadPlannedKey(signing: PlannedSigning | undefined): SigningKey {
  if (signing === undefined) throw new Error('internal: the make plan signs without a signing key');
  const key = loadSigningKey(signing.keyFile, `signing key ${signing.keyFile}`);
  if (key.keyId !== signing.keyId)
    throw new RefusedError(
      `signing key ${signing.keyFile} changed since the plan was made: run krel make again`,
    );
  return key;
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
  const startedOn = new Date();
  let writing: MakeAction[] = [];
  const records: ArchiveRecord[] = [];
  const assets: RawAssetRecord[] = [];
  /** The files krel writes beside the assets, with their sha256, in the order written. */
  const own: { name: string; sha256: string }[] = [];
  const writeOwn = async (name: string, content: string | Buffer): Promise<void> => {
    await writeFile(path.join(staging, name), content);
    if (name !== SIG_FILE) own.push({ name, sha256: sha256Text(content) });
  };
  let manifest: ReleaseManifest | undefined;
  let sumsText: string | undefined;
  let key: SigningKey | undefined;
  const signingKey = (): SigningKey => (key ??= loadPlannedKey(plan.signing));
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
        case 'write-sbom': {
          const sbom = await buildSbom({
            repo: plan.release.repo,
            tag: plan.release.tag,
            toolVersion: opts.toolVersion,
            sourceDateEpoch: plan.sourceDateEpoch,
            archives: records,
            assets,
          });
          await writeOwn(SBOM_FILE, sbom);
          break;
        }
        case 'write-manifest': {
          manifest = {
            schemaVersion: MANIFEST_SCHEMA_VERSION,
            tool: { name: 'krel', version: opts.toolVersion },
            commit: plan.commit,
            sourceDateEpoch: plan.sourceDateEpoch,
            archives: records,
            ...(assets.length > 0 ? { assets } : {}),
            ...attestationsOf(plan),
          };
          await writeOwn(MANIFEST_FILE, JSON.stringify(manifest, null, 2) + '\n');
          break;
        }
        case 'write-provenance': {
          const statement = provenanceStatement({
            subjects: [...records, ...assets, ...own],
            builder: plan.release.builder,
            toolVersion: opts.toolVersion,
            config: { name: path.basename(plan.config.file), sha256: plan.config.sha256 },
            repo: plan.release.repo,
            commit: plan.commit,
            tag: plan.release.tag,
            sourceDateEpoch: plan.sourceDateEpoch,
            startedOn,
            finishedOn: new Date(),
          });
          await writeOwn(PROVENANCE_FILE, provenanceLine(statement, signingKey()));
          break;
        }
        case 'write-checksums':
          sumsText = formatSums([...records, ...assets, ...own]);
          await writeOwn(SUMS_FILE, sumsText);
          break;
        case 'sign-checksums':
          if (sumsText === undefined)
            throw new Error('internal: the make plan signs SHA256SUMS before writing it');
          await writeOwn(SIG_FILE, signBytes(Buffer.from(sumsText), signingKey()));
          break;
        case 'replace-output':
          await writeFile(path.join(staging, OUTPUT_MARKER), OUTPUT_MARKER_TEXT);
          opts.signal?.throwIfAborted();
          await commitStaging(staging, a.out);
          break;
      }
      done(a);
    }
    if (manifest === undefined) throw new Error('internal: the make plan writes no manifest');
    return manifest;
  } catch (e) {
    await batch.settle().catch(() => undefined);
    await discardStaging(staging);
    if (opts.signal?.aborted) throw new InterruptedError();
    throw e;
  } finally {
    opts.progress?.stop();
  }
}
