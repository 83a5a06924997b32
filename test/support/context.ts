/** A release context for in-process tests: built by the one builder, with the store it should use. */
import type { KrelConfig } from '../../src/config/types.js';
import { contextFor } from '../../src/context/build.js';
import type { ReleaseContext } from '../../src/context/release-context.js';
import { Logger } from '../../src/log/logger.js';
import type { ReleaseStore } from '../../src/store/types.js';

export function testContext(
  config: KrelConfig,
  o: { env?: NodeJS.ProcessEnv; logger?: Logger; store?: ReleaseStore; commit?: string } = {},
): ReleaseContext {
  const ctx = contextFor(config, {
    env: o.env ?? {},
    cwd: config.dir,
    logger: o.logger ?? new Logger({ ci: 'none', quiet: true }),
    signal: new AbortController().signal,
    options: { dryRun: false, json: false, verbose: false },
    toolVersion: '0.0.0-test',
    ...(o.commit !== undefined ? { commit: o.commit } : {}),
  });
  const store = o.store;
  return store === undefined ? ctx : { ...ctx, store: () => store };
}
