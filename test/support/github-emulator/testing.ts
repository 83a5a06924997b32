/**
 * Mocha helpers for tests that talk to the emulator: a fresh emulator per test, and an afterEach that fails
 * the test on any OpenAPI violation. Every test file using the emulator must call assertNoViolations in its
 * afterEach, directly or through useGitHubEmulator.
 */
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '../../../src/log/logger.js';
import {
  type GitHubStore,
  type GitHubStoreOptions,
  createGitHubStore,
} from '../../../src/store/github-store.js';
import type { DraftRequest, UploadRequest } from '../../../src/store/types.js';
import { type GitHubEmulator, type GitHubEmulatorOptions, startGitHubEmulator } from './index.js';

export const TEST_TOKEN = 'ghp_krelTestToken0123456789abcdefABCDEF01';

export interface EmulatorHandle {
  readonly gh: GitHubEmulator;
}

export function useGitHubEmulator(opts: Partial<GitHubEmulatorOptions> = {}): EmulatorHandle {
  let current: GitHubEmulator | undefined;
  beforeEach(async () => {
    current = await startGitHubEmulator({
      repos: opts.repos ?? [{ owner: 'kontainapp', repo: 'km' }],
      token: opts.token ?? TEST_TOKEN,
    });
  });
  afterEach(async () => {
    const gh = current;
    current = undefined;
    if (!gh) return;
    try {
      gh.assertNoViolations();
    } finally {
      await gh.close();
    }
  });
  return {
    get gh(): GitHubEmulator {
      if (!current) throw new Error('the GitHub emulator runs only inside a test');
      return current;
    },
  };
}

/** A logger whose lines are kept (already redacted, as users would see them). */
export function captureLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger({ write: (l) => lines.push(l), verbose: true, ci: 'none' }), lines };
}

/** krel's GitHub store pointed at the emulator, with retry delays small enough for tests. */
export function emulatorStore(
  gh: GitHubEmulator,
  overrides: Partial<GitHubStoreOptions> & { repo?: string; owner?: string } = {},
): GitHubStore {
  const repo = gh.state.repos[0]!;
  return createGitHubStore({
    owner: repo.owner,
    repo: repo.repo,
    token: gh.token,
    apiUrl: gh.apiUrl,
    logger: overrides.logger ?? captureLogger().logger,
    userAgent: 'krel-test',
    writeSpacingMs: 0,
    retryBaseMs: 10,
    uploadBaseDelayMs: 10,
    ...overrides,
  });
}

/** A draft request for `tag` at `commit`: named after the tag, empty body, not a prerelease unless `extra` says. */
export function draftRequest(tag: string, commit: string, extra: Partial<DraftRequest> = {}): DraftRequest {
  return { tag, commit, name: tag, body: '', prerelease: false, ...extra };
}

/** Write an asset file (text, or that many pseudo-random bytes) and describe it as an upload. */
export async function writeAsset(
  dir: string,
  name: string,
  content: string | number,
): Promise<UploadRequest> {
  const bytes =
    typeof content === 'string'
      ? Buffer.from(content)
      : Buffer.from(Array.from({ length: content }, (_v, i) => (i * 7919 + (i >> 8)) & 0xff));
  const file = join(dir, name);
  await writeFile(file, bytes);
  return {
    name,
    file,
    size: bytes.length,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentType: 'application/gzip',
  };
}
