/**
 * A stateful GitHub REST API emulator over real HTTP on 127.0.0.1, checked against GitHub's OpenAPI
 * description. Three listeners: the API, the uploads host (like uploads.github.com) and the web host (like
 * github.com: browser_download_url, release pages).
 *
 *   const gh = await startGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km' }], token });
 *   gh.faults.add({ route: 'uploadReleaseAsset', nth: 2, kind: { status: 502 } });
 *   ... run krel against gh.apiUrl ...
 *   expect(gh.writes()).to.deep.equal([]);
 *   afterEach(() => gh.assertNoViolations());   // every test file using the emulator must do this
 *   await gh.close();
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultSwitch } from './faults.js';
import { preloadOpenApi } from './openapi.js';
import { type Listener, type Pipeline, type RequestRecord, handle } from './server.js';
import { EmulatorState, type RepoSpec } from './state.js';

export type { FaultKind, FaultSpec, Fault } from './faults.js';
export type { RequestRecord } from './server.js';
export type { EmuAsset, EmuRelease, EmuRepo, RepoSpec } from './state.js';
export { EmulatorState, fakeSha } from './state.js';

export interface GitHubEmulatorOptions {
  repos: RepoSpec[];
  /** The only token the emulator accepts (requests with another one get 401 Bad credentials). */
  token?: string;
  /**
   * Wait a random 0..maxMs before handling each request, drawn from a generator seeded with `seed`: concurrent
   * clients then interleave differently for each seed, and the same way again for the same seed and timing.
   */
  latency?: { seed: number; maxMs: number };
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface GitHubEmulator {
  apiUrl: string;
  uploadsUrl: string;
  /** Plays github.com: browser_download_url and html_url live here. */
  downloadsUrl: string;
  token: string;
  state: EmulatorState;
  requests: RequestRecord[];
  faults: FaultSwitch;
  /** Every OpenAPI mismatch seen so far (requests and responses). */
  violations: string[];
  /** Throws listing every OpenAPI mismatch; call it in afterEach of every test using the emulator. */
  assertNoViolations(): void;
  /** Requests that would change GitHub (anything but GET/HEAD), in order. */
  writes(): RequestRecord[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function startGitHubEmulator(opts: GitHubEmulatorOptions): Promise<GitHubEmulator> {
  preloadOpenApi();
  const dir = await mkdtemp(join(tmpdir(), 'krel-gh-emulator-'));
  const servers = { api: createServer(), uploads: createServer(), web: createServer() };
  const [api, uploads, web] = await Promise.all([
    listen(servers.api),
    listen(servers.uploads),
    listen(servers.web),
  ]);
  const p: Pipeline = {
    state: new EmulatorState(opts.repos),
    urls: { api, uploads, web },
    token: opts.token ?? 'ghp_emulatorToken000000000000000000000001',
    dir,
    faults: new FaultSwitch(),
    requests: [],
    violations: [],
    rate: { limit: 5000, used: 0, reset: 0 },
  };
  if (opts.latency !== undefined) {
    const random = seededRandom(opts.latency.seed);
    const max = opts.latency.maxMs;
    p.latency = () => Math.floor(random() * max);
  }
  for (const [listener, server] of Object.entries(servers) as [Listener, Server][]) {
    server.on('request', (req, res) => void handle(p, listener, req, res));
    // Keep-alive sockets would hold close() open.
    server.keepAliveTimeout = 1000;
  }
  return {
    apiUrl: api,
    uploadsUrl: uploads,
    downloadsUrl: web,
    token: p.token,
    state: p.state,
    requests: p.requests,
    faults: p.faults,
    violations: p.violations,
    assertNoViolations() {
      if (p.violations.length > 0)
        throw new Error(
          `GitHub emulator: ${p.violations.length} OpenAPI violation(s):\n  ${p.violations.join('\n  ')}`,
        );
    },
    writes: () => p.requests.filter((r) => r.write),
    async close() {
      await Promise.all(
        Object.values(servers).map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
      await rm(dir, { recursive: true, force: true });
    },
  };
}
