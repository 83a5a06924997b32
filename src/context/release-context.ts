/**
 * The release context: what every command works with, resolved once, in one place (buildReleaseContext).
 * Domain code (pack/, publish/, validate/, images/) receives it and never reads the environment again for the
 * tag, the commit, the repository, the store or the options below.
 */
import type { KrelConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore } from '../store/types.js';
import type { StoreSpec } from '../config/store-spec.js';
import type { ResolvedTag, TagRule } from '../tag/index.js';
import type { ResolvedCommit } from './commit.js';

export interface ContextTag extends ResolvedTag {
  /** What the tag rules of krel.json say about this tag. */
  rule: TagRule;
}

/** Global flags every command has. */
export interface ContextOptions {
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
}

export interface ReleaseContext {
  config: KrelConfig;
  /** The release tag (RELEASE_TAG > CI ref > default), checked, with its source and rule. */
  tag: ContextTag;
  /** owner/name: krel.json "repo", else GITHUB_REPOSITORY; checked. Undefined when neither says. */
  repo: string | undefined;
  /** The store spec: --store, else krel.json's. */
  storeSpec: StoreSpec;
  /** The release store, opened on first use (a GitHub store needs a token; make never opens one). */
  store(): ReleaseStore;
  /** The commit a release is pinned to, resolved on first use (--commit > CI > git HEAD). */
  commit(): Promise<ResolvedCommit>;
  logger: Logger;
  signal: AbortSignal;
  options: ContextOptions;
  /** The process environment, for the knobs that are not release facts (tuning, CI detection, credentials). */
  env: NodeJS.ProcessEnv;
  cwd: string;
  toolVersion: string;
}
