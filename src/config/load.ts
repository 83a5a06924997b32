/**
 * Load krel.json: parse, validate against krel.schema.json (shipped with the package), apply every default
 * in one pass, resolve paths. Every problem is reported at once, one line each, with its JSON path.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError, UsageError, errorMessage } from '../errors/index.js';
import { packageFile } from '../util/package-root.js';
import { archiveNameProblem, assetNameProblem } from './asset-name.js';
import { repoNameProblem } from './repo-name.js';
import { MANIFEST_FILE, PROVENANCE_FILE, SBOM_FILE, SIG_FILE, SUMS_FILE } from './release-files.js';
import { buildStepOverrides, type RawStepOverride } from './step-overrides.js';
import { parseStoreSpec } from './store-spec.js';
import { DEFAULT_PREFIX, type FileEntry, type ImageSpec, type KrelConfig } from './types.js';

/** The schema of the installed package (the same file from src/ and build/). */
export const SCHEMA_FILE = packageFile('src', 'config', 'krel.schema.json');

let validator: ReturnType<Ajv['compile']> | undefined;
function getValidator(): ReturnType<Ajv['compile']> {
  if (validator === undefined) {
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as object;
    // The schema is krel's own, checked against its meta-schema by the tests: not again on every run.
    validator = new Ajv({ allErrors: true, strict: false, validateSchema: false }).compile(schema);
  }
  return validator;
}

/** "/archives/1/files/0" -> "archives[1].files[0]" */
export function jsonPath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`),
      '',
    );
}

function describe(e: ErrorObject): string | undefined {
  const at = jsonPath(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties':
      return `${at === '(root)' ? '' : at + ': '}unknown key "${String(e.params.additionalProperty)}"`;
    case 'required':
      return `${at === '(root)' ? '' : at + ': '}missing required key "${String(e.params.missingProperty)}"`;
    case 'oneOf':
      // The branch errors say more; suppressed below unless alone.
      return undefined;
    case 'enum':
      return `${at}: must be one of ${JSON.stringify(e.params.allowedValues)}`;
    default:
      return `${at}: ${e.message ?? 'is invalid'}`;
  }
}

function schemaProblems(data: unknown): string[] {
  const validate = getValidator();
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // A file entry is a string or an object: report the object branch's errors when an object was given.
  const lines = errors
    .filter(
      (e) => !(e.keyword === 'type' && /\/files\/\d+$/.test(e.instancePath) && e.params.type === 'string'),
    )
    .map(describe)
    .filter((l): l is string => l !== undefined);
  const unique = [...new Set(lines)];
  return unique.length > 0
    ? unique
    : errors.map((e) => `${jsonPath(e.instancePath)}: ${e.message ?? 'invalid'}`);
}

/** "repo" held to GitHub's owner/name rules (the schema's pattern alone lets "../.." through). */
function repoProblems(data: unknown): string[] {
  const repo = (data as { repo?: unknown } | null)?.repo;
  // What the schema's pattern refuses, it reports itself.
  if (typeof repo !== 'string' || !/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) return [];
  const problem = repoNameProblem(repo);
  return problem === undefined ? [] : [`repo: ${JSON.stringify(repo)} ${problem}`];
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new ConfigError(file, [`not valid JSON (${errorMessage(e)})`]);
  }
}

type RawFileEntry =
  string | { from: string; to?: string; mode?: string; exclude?: string[]; source?: string };

/** A file entry with its mode parsed and its own "source" resolved against `dir` (krel.json's directory). */
function toEntry(raw: RawFileEntry, dir: string): FileEntry {
  if (typeof raw === 'string') return { from: raw };
  const entry: FileEntry = { from: raw.from };
  if (raw.to !== undefined) entry.to = raw.to;
  if (raw.mode !== undefined) entry.mode = parseInt(raw.mode, 8);
  if (raw.exclude !== undefined) entry.exclude = raw.exclude;
  if (raw.source !== undefined) entry.source = path.resolve(dir, raw.source);
  return entry;
}

interface RawConfig {
  repo?: string;
  source?: string;
  build?: string;
  out?: string;
  prefix?: string;
  archives: {
    name: string;
    description?: string;
    prefix?: string;
    files: RawFileEntry[];
  }[];
  assets?: { name: string; from: string; mode?: string }[];
  release?: {
    store?: string;
    replace?: string[];
    defaultTag?: string;
    notes?: string;
    generateNotes?: boolean;
    latest?: boolean | 'legacy';
    uploadConcurrency?: number;
  };
  validate?: {
    doc?: string;
    installScript?: string;
    vm?: string[];
    stepTimeout?: number;
    session?: 'shared' | 'isolated';
    steps?: RawStepOverride[];
  };
  images?: RawImage[];
  sign?: { key?: string; publicKey?: string };
}

type RawImage = Omit<Partial<ImageSpec>, 'files'> & {
  name: string;
  files?: RawConfig['archives'][number]['files'];
};

/** krel.json "images" with defaults applied; names must be unique and each image needs files or a base. */
function buildImages(raw: readonly RawImage[], problems: string[], dir: string): ImageSpec[] {
  const seen = new Set<string>();
  return raw.map((im, i) => {
    const local = im.platform === undefined ? im.name : `${im.name}-${im.platform}`;
    if (seen.has(local)) problems.push(`images[${i}].name: "${local}" is used by an earlier image`);
    seen.add(local);
    if ((im.files ?? []).length === 0 && im.base === undefined)
      problems.push(`images[${i}]: give "files" (the payload) or a "base", or both`);
    const spec: ImageSpec = {
      name: im.name,
      version: im.version ?? 'latest',
      files: (im.files ?? []).map((f) => toEntry(f, dir)),
      aliases: im.aliases ?? [],
      args: im.args ?? {},
      env: im.env ?? {},
      labels: im.labels ?? {},
    };
    for (const k of ['platform', 'base', 'entrypoint', 'cmd', 'workdir'] as const)
      if (im[k] !== undefined) Object.assign(spec, { [k]: im[k] });
    return spec;
  });
}

const RESERVED_NAMES = [SUMS_FILE, MANIFEST_FILE, SIG_FILE, PROVENANCE_FILE, SBOM_FILE];

/**
 * Archive and asset names krel or GitHub would refuse later, and names used twice (an asset may not take an
 * archive's name, nor SHA256SUMS or release-manifest.json); read from JSON not yet validated.
 */
function archiveProblems(data: unknown): string[] {
  const problems: string[] = [];
  const names = new Set<string>(RESERVED_NAMES);
  const check = (key: 'archives' | 'assets', nameProblem: (n: string) => string | undefined): void => {
    const list = (data as Record<string, unknown> | null)?.[key];
    if (!Array.isArray(list)) return;
    list.forEach((a: unknown, i) => {
      const name = (a as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return;
      const problem = nameProblem(name);
      const at = `${key}[${i}].name: ${JSON.stringify(name)}`;
      if (problem !== undefined) problems.push(`${at} ${problem}`);
      else if (RESERVED_NAMES.includes(name))
        problems.push(`${at} is the name of a file krel writes: rename it`);
      else if (names.has(name)) problems.push(`${at} is used by an earlier archive or asset`);
      names.add(name);
    });
  };
  check('archives', archiveNameProblem);
  check('assets', assetNameProblem);
  return problems;
}

/** Build the typed config from validated JSON; the only place defaults are applied. */
export function buildConfig(raw: RawConfig, file: string): KrelConfig {
  const dir = path.dirname(file);
  const abs = (p: string): string => path.resolve(dir, p);
  const r = raw.release ?? {};
  const v = raw.validate ?? {};
  const storeSpec = r.store ?? 'github';
  const problems = archiveProblems(raw);
  const images = buildImages(raw.images ?? [], problems, dir);
  const prefix = raw.prefix ?? DEFAULT_PREFIX;
  const stepOverrides = buildStepOverrides(v.steps ?? [], problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  const config: KrelConfig = {
    file,
    dir,
    source: abs(raw.source ?? '.'),
    out: abs(raw.out ?? 'dist'),
    prefix,
    archives: raw.archives.map((a) => ({
      name: a.name,
      ...(a.description !== undefined ? { description: a.description } : {}),
      files: a.files.map((f) => toEntry(f, dir)),
      prefix: a.prefix ?? prefix,
    })),
    assets: (raw.assets ?? []).map((a) => ({
      name: a.name,
      from: abs(a.from),
      ...(a.mode !== undefined ? { mode: parseInt(a.mode, 8) } : {}),
    })),
    release: {
      store: parseStoreSpec(storeSpec, dir, '"release.store" in krel.json'),
      replace: r.replace ?? ['v0.1-test'],
      defaultTag: r.defaultTag ?? 'v0.1-test',
      notesDir: abs(r.notes ?? 'release-notes'),
      generateNotes: r.generateNotes ?? true,
      latest: r.latest ?? true,
      uploadConcurrency: r.uploadConcurrency ?? 3,
    },
    validate: {
      doc: abs(v.doc ?? 'km-releases/GettingStarted.md'),
      installScript: abs(v.installScript ?? 'km-releases/kontain-install.sh'),
      vm: v.vm ?? ['debian-12'],
      stepTimeoutSec: v.stepTimeout ?? 300,
      session: v.session ?? 'shared',
      steps: stepOverrides,
    },
    images,
    sign: {
      ...(raw.sign?.key !== undefined ? { key: abs(raw.sign.key) } : {}),
      ...(raw.sign?.publicKey !== undefined ? { publicKey: abs(raw.sign.publicKey) } : {}),
    },
  };
  if (raw.repo !== undefined) config.repo = raw.repo;
  if (raw.build !== undefined) config.build = raw.build;
  return config;
}

export async function loadConfig(file: string): Promise<KrelConfig> {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new UsageError(`no config at ${abs}: create krel.json there or pass --config PATH`);
    }
    throw e;
  }
  const data = parseJson(text, abs);
  const problems = [...schemaProblems(data), ...archiveProblems(data), ...repoProblems(data)];
  if (problems.length > 0) throw new ConfigError(abs, problems);
  return buildConfig(data as RawConfig, abs);
}
