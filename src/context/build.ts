/**
 * buildReleaseContext: the one place the release facts are resolved — krel.json (--config > KREL_CONFIG >
 * ./krel.json), the tag and its rule, the repository, the store spec, the commit (lazily), the logger and the
 * abort signal. Every command builds one and hands it down.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { checkRepo } from '../config/repo-name.js';
import type { KrelConfig } from '../config/types.js';
import { UsageError } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import { parseStoreSpec } from '../config/store-spec.js';
import { createStore } from '../store/index.js';
import type { ReleaseStore } from '../store/types.js';
import { resolveTag, tagRule } from '../tag/index.js';
import { resolveCommit, type ResolvedCommit } from './commit.js';
import type { ContextOptions, ReleaseContext } from './release-context.js';

export interface BuildContextInput {
  env: NodeJS.ProcessEnv;
  cwd: string;
  logger: Logger;
  signal: AbortSignal;
  options: ContextOptions;
  toolVersion: string;
  /** --config */
  configFile?: string;
  /** --store SPEC (relative to cwd) */
  store?: string;
  /** --commit SHA */
  commit?: string;
}

/** The krel.json a command reads: --config, else $KREL_CONFIG, else ./krel.json (which must exist). */
export async function loadContextConfig(
  input: Pick<BuildContextInput, 'env' | 'cwd' | 'configFile'>,
): Promise<KrelConfig> {
  const given = input.configFile ?? input.env.KREL_CONFIG;
  const file = path.resolve(input.cwd, given ?? 'krel.json');
  if (given === undefined && !existsSync(file))
    throw new UsageError(`no krel.json in ${input.cwd}: create one or pass --config PATH`);
  return loadConfig(file);
}

/** owner/name from krel.json "repo", else GITHUB_REPOSITORY, checked against GitHub's naming rules. */
export function resolveRepo(config: KrelConfig, env: NodeJS.ProcessEnv): string | undefined {
  if (config.repo !== undefined) return checkRepo(config.repo, `"repo" in ${config.file}`);
  const fromEnv = env.GITHUB_REPOSITORY;
  return fromEnv === undefined || fromEnv === '' ? undefined : checkRepo(fromEnv, 'GITHUB_REPOSITORY');
}

export async function buildReleaseContext(input: BuildContextInput): Promise<ReleaseContext> {
  const config = await loadContextConfig(input);
  return contextFor(config, input);
}

/** The context over an already loaded config (tests and the pipeline build it from one). */
export function contextFor(config: KrelConfig, input: BuildContextInput): ReleaseContext {
  const resolved = resolveTag(input.env, config.release.defaultTag);
  const repo = resolveRepo(config, input.env);
  const storeSpec = input.store !== undefined ? parseStoreSpec(input.store, input.cwd) : config.release.store;
  let store: ReleaseStore | undefined;
  let commit: Promise<ResolvedCommit> | undefined;
  return {
    config,
    tag: { ...resolved, rule: tagRule(resolved.tag, config.release.replace) },
    repo,
    storeSpec,
    store: () =>
      (store ??= createStore({ config, spec: storeSpec, repo, env: input.env, logger: input.logger })),
    commit: () => (commit ??= resolveCommit(input.commit, input.env, config.dir)),
    logger: input.logger,
    signal: input.signal,
    options: input.options,
    env: input.env,
    cwd: input.cwd,
    toolVersion: input.toolVersion,
  };
}
