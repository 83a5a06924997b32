/**
 * `krel images build`: krel.json's images, in order, into the local image store under kontain/ names.
 * Plan (read-only): expand templates, collect each payload (as `krel make` does), find each base; an image
 * already in the store is used as it is (provided), unless rebuild is asked. Apply: layer, config, manifest.
 * Everything in an image is a function of the payload, krel.json, the commit and the source date, so
 * building twice gives the same digest.
 */
import type { ImageSpec, KrelConfig } from '../config/types.js';
import { RefusedError, UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { collectArchives } from '../pack/collect.js';
import type { PackEntry } from '../pack/types.js';
import { applyCopy, partialFailure, planCopy, resolveImage } from './copy.js';
import { createLayer } from './layer.js';
import type { ImageLayout } from './layout.js';
import { imageRepo, localRef, parseLocalRef, parsePullRef, type PullRef } from './names.js';
import { LayoutTarget, type ImageTarget } from './target.js';
import { expandTemplate, imageVars } from './template.js';
import {
  MEDIA,
  PLAN_VERSION,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
  type Plan,
} from './types.js';

export interface ImageSettings {
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  workdir?: string;
}

export type BaseRef =
  { kind: 'store'; ref: string } | { kind: 'registry'; ref: string; digest: string; pull: PullRef };

export type BuildAction =
  | { kind: 'use'; image: string; ref: string; digest: string }
  | {
      kind: 'build';
      image: string;
      ref: string;
      base?: BaseRef;
      files: number;
      bytes: number;
      /** The payload's members (the --json plan shows their count only). */
      entries: PackEntry[];
      settings: ImageSettings;
    };

export interface BuildPlan extends Plan<'images-build', BuildAction> {
  store: string;
  commit: string;
  created: string;
}

export interface PlanBuildOptions {
  config: KrelConfig;
  /** Image names to build (with their platform suffix); empty: all. */
  names: readonly string[];
  store: ImageLayout;
  commit: string;
  epoch: number;
  rebuild: boolean;
  openRegistry: (spec: PullRef['registry']) => Promise<ImageTarget>;
}

const REVISION = 'org.opencontainers.image.revision';
const SOURCE = 'org.opencontainers.image.source';
const VERSION = 'org.opencontainers.image.version';

function pickImages(config: KrelConfig, names: readonly string[]): Set<string> {
  const all = config.images.map(imageRepo);
  if (config.images.length === 0)
    throw new UsageError(`${config.file} lists no "images": add one (name, files or base) to build`);
  const unknown = names.filter((n) => !all.includes(n));
  if (unknown.length > 0)
    throw new UsageError(
      `no image named ${unknown.map((n) => `"${n}"`).join(', ')} in krel.json: known: ${all.join(', ')}`,
    );
  return new Set(names.length > 0 ? names : all);
}

function expandSettings(spec: ImageSpec, vars: Map<string, string>, at: string): ImageSettings {
  const x = (s: string, field: string): string => expandTemplate(s, vars, `${at}.${field}`);
  const map = (m: Record<string, string>, field: string): Record<string, string> =>
    Object.fromEntries(Object.entries(m).map(([k, v]) => [k, x(v, `${field}.${k}`)]));
  const s: ImageSettings = { env: map(spec.env, 'env'), labels: map(spec.labels, 'labels') };
  if (spec.entrypoint !== undefined) s.entrypoint = spec.entrypoint.map((v, i) => x(v, `entrypoint[${i}]`));
  if (spec.cmd !== undefined) s.cmd = spec.cmd.map((v, i) => x(v, `cmd[${i}]`));
  if (spec.workdir !== undefined) s.workdir = spec.workdir;
  return s;
}

async function collectPayload(config: KrelConfig, spec: ImageSpec, at: string): Promise<PackEntry[]> {
  if (spec.files.length === 0) return [];
  const { archives, problems } = await collectArchives({
    source: config.source,
    archives: [{ name: spec.name, files: spec.files }],
  });
  const lines = problems.map((p) => `${at}.${p.line.replace(/^archives\[0\]\./, '')}`);
  if (problems.some((p) => p.kind === 'unsafe'))
    throw new RefusedError(lines.length === 1 ? lines[0]! : `${at}: the payload is unsafe to package`, {
      details: lines.length === 1 ? [] : lines,
    });
  if (lines.length > 0)
    throw new UsageError(lines.length === 1 ? lines[0]! : `${at}: ${lines.length} payload problems`, {
      details: lines.length === 1 ? [] : lines,
    });
  return archives[0]!.entries;
}

async function planBase(
  text: string,
  at: string,
  store: ImageLayout,
  built: ReadonlySet<string>,
  openRegistry: PlanBuildOptions['openRegistry'],
): Promise<BaseRef> {
  if (text.startsWith('kontain/')) {
    const { repo, tag } = parseLocalRef(text, `${at}.base`);
    const ref = `${repo}:${tag}`;
    if (!built.has(ref) && (await store.resolve(ref)) === undefined)
      throw new UsageError(
        `${at}.base: ${ref} is not in the image store: list it earlier in "images" or pull it (krel images pull)`,
      );
    return { kind: 'store', ref };
  }
  const pull = parsePullRef(text);
  const source = await openRegistry(pull.registry);
  const { manifest } = await resolveImage(source, pull.repo, pull.ref);
  return { kind: 'registry', ref: text, digest: manifest.digest, pull };
}

export async function planBuild(o: PlanBuildOptions): Promise<BuildPlan> {
  const wanted = pickImages(o.config, o.names);
  const vars = new Map<string, string>([['commit', o.commit]]);
  const built = new Set<string>();
  const actions: BuildAction[] = [];
  for (const [i, spec] of o.config.images.entries()) {
    const at = `images[${i}]`;
    const image = imageRepo(spec);
    const ref = localRef(spec);
    for (const [k, v] of imageVars(image, `kontain/${image}`, spec.version)) vars.set(k, v);
    if (!wanted.has(image)) continue;
    const own = new Map(vars);
    for (const [k, v] of Object.entries(spec.args))
      own.set(`arg.${k}`, expandTemplate(v, vars, `${at}.args.${k}`));
    const present = await o.store.resolve(ref);
    if (present !== undefined && !o.rebuild) {
      actions.push({ kind: 'use', image, ref, digest: present.digest });
      continue;
    }
    const baseText = spec.base === undefined ? undefined : expandTemplate(spec.base, own, `${at}.base`);
    const base =
      baseText === undefined ? undefined : await planBase(baseText, at, o.store, built, o.openRegistry);
    const entries = await collectPayload(o.config, spec, at);
    actions.push({
      kind: 'build',
      image,
      ref,
      ...(base !== undefined ? { base } : {}),
      files: entries.filter((e) => e.type === 'file').length,
      bytes: entries.reduce((n, e) => n + e.size, 0),
      entries,
      settings: withOciLabels(expandSettings(spec, own, at), o.config, o.commit, spec.version),
    });
    built.add(ref);
  }
  return {
    version: PLAN_VERSION,
    kind: 'images-build',
    store: o.store.root,
    commit: o.commit,
    created: new Date(o.epoch * 1000).toISOString(),
    actions,
  };
}

function withOciLabels(s: ImageSettings, config: KrelConfig, commit: string, version: string): ImageSettings {
  const labels: Record<string, string> = { ...s.labels, [REVISION]: commit, [VERSION]: version };
  if (config.repo !== undefined && s.labels[SOURCE] === undefined)
    labels[SOURCE] = `https://github.com/${config.repo}`;
  return { ...s, labels };
}

function sortedObject(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function mergeEnv(base: readonly string[], ours: Record<string, string>): string[] {
  const keyOf = (kv: string): string => kv.split('=')[0]!;
  const kept = base.filter((kv) => !(keyOf(kv) in ours));
  return [...kept, ...Object.entries(ours).map(([k, v]) => `${k}=${v}`)];
}

interface BaseImage {
  layers: Descriptor[];
  config: ImageConfig;
}

async function loadBase(base: BaseRef, store: ImageLayout, o: ApplyBuildOptions): Promise<BaseImage> {
  const storeTarget = new LayoutTarget(store, `oci:${store.root}`);
  let manifestDigest: string;
  if (base.kind === 'registry') {
    const source = await o.openRegistry(base.pull.registry);
    const { actions } = await planCopy(source, storeTarget, [
      { from: base.pull.repo, ref: base.digest, to: [{ repo: 'base', tags: [] }] },
    ]);
    await applyCopy(actions, source, storeTarget, o.logger);
    const m = await source.getManifest(base.pull.repo, base.digest);
    if (m !== undefined) await store.putBlobBytes(m.bytes);
    manifestDigest = base.digest;
  } else {
    const desc = await store.resolve(base.ref);
    if (desc === undefined) throw new UsageError(`base ${base.ref} is not in the image store`);
    manifestDigest = desc.digest;
  }
  const manifest = JSON.parse((await store.readBlob(manifestDigest)).toString('utf8')) as ImageManifest;
  const config = JSON.parse((await store.readBlob(manifest.config.digest)).toString('utf8')) as ImageConfig;
  const layers = manifest.layers.map((l) => ({
    mediaType: l.mediaType === MEDIA.dockerLayerGzip ? MEDIA.layerGzip : l.mediaType,
    digest: l.digest,
    size: l.size,
  }));
  return { layers, config };
}

export interface ApplyBuildOptions {
  store: ImageLayout;
  epoch: number;
  logger: Logger;
  openRegistry: PlanBuildOptions['openRegistry'];
  signal?: AbortSignal;
}

export interface BuiltImage {
  image: string;
  ref: string;
  digest: string;
  built: boolean;
}

async function buildOne(a: BuildAction & { kind: 'build' }, plan: BuildPlan, o: ApplyBuildOptions) {
  const base: BaseImage =
    a.base !== undefined
      ? await loadBase(a.base, o.store, o)
      : {
          layers: [],
          config: { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } },
        };
  const layers = [...base.layers];
  const diffIds = [...base.config.rootfs.diff_ids];
  if (a.entries.length > 0) {
    const layer = await createLayer(o.store, a.image, a.entries, o.epoch, o.signal);
    layers.push(layer.descriptor);
    diffIds.push(layer.diffId);
  }
  const bc = base.config.config ?? {};
  const s = a.settings;
  const runtime: NonNullable<ImageConfig['config']> = {};
  const entrypoint = s.entrypoint ?? bc.Entrypoint;
  if (entrypoint !== undefined) runtime.Entrypoint = entrypoint;
  const cmd = s.cmd ?? (s.entrypoint === undefined ? bc.Cmd : undefined);
  if (cmd !== undefined) runtime.Cmd = cmd;
  runtime.Env = mergeEnv(bc.Env ?? [], s.env);
  runtime.Labels = sortedObject({ ...bc.Labels, ...s.labels });
  const workdir = s.workdir ?? bc.WorkingDir;
  if (workdir !== undefined) runtime.WorkingDir = workdir;
  const config: ImageConfig = {
    created: plan.created,
    architecture: base.config.architecture,
    os: base.config.os,
    config: runtime,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...(base.config.history ?? []),
      {
        created: plan.created,
        created_by: `krel images build ${a.ref}`,
        ...(a.entries.length === 0 ? { empty_layer: true } : {}),
      },
    ],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = await o.store.putBlobBytes(configBytes);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: { mediaType: MEDIA.config, digest: configDigest, size: configBytes.length },
    layers,
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  const digest = await o.store.putBlobBytes(bytes);
  await o.store.setRef(a.ref, { mediaType: MEDIA.manifest, digest, size: bytes.length });
  return digest;
}

export async function applyBuild(plan: BuildPlan, o: ApplyBuildOptions): Promise<BuiltImage[]> {
  const out: BuiltImage[] = [];
  for (const [i, a] of plan.actions.entries()) {
    try {
      if (a.kind === 'use') {
        o.logger.info(`${a.ref}: in the image store (${a.digest}), used as it is`);
        out.push({ image: a.image, ref: a.ref, digest: a.digest, built: false });
        continue;
      }
      const digest = await buildOne(a, plan, o);
      o.logger.info(`${a.ref}: built ${digest}`);
      out.push({ image: a.image, ref: a.ref, digest, built: true });
    } catch (e) {
      throw partialFailure(e, i, plan.actions.length);
    }
  }
  return out;
}
