/**
 * Upload throughput of one 512 MB asset to the GitHub emulator: krel's GitHub store (the built code, in a child
 * process) against `curl --data-binary @file` to the same uploads endpoint, in the same run (and against
 * `curl -T`, which like krel reads the file while sending). krel's peak RSS
 * (VmHWM of the child) is measured for a 64 MB and a 512 MB upload: streaming means it does not grow with the
 * asset. Goal: throughput ratio krel/curl >= 0.8. BENCH_ROUNDS (default 3) rounds alternate curl and krel; the
 * best time of each is reported.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureCommands } from '../support/tools.js';
import { type GitHubEmulator, startGitHubEmulator } from '../support/github-emulator/index.js';
import type { BenchResult } from './types.js';

export const name = 'upload';

const MB = 1024 * 1024;
const TOKEN = 'ghp_benchToken0123456789abcdefABCDEF0123';
const BUILD = fileURLToPath(new URL('../../build/', import.meta.url));

/** Runs in the child: upload argv file as argv name to the release of tag argv tag; print seconds and VmHWM. */
const CHILD = `
import { findRelease } from '../support/find-release.js';
import { readFileSync, statSync } from 'node:fs';
const [build, apiUrl, token, tag, file, name] = process.argv.slice(1);
const { createGitHubStore } = await import(build + 'store/github-store.js');
const { Logger } = await import(build + 'log/logger.js');
const store = createGitHubStore({ owner: 'kontainapp', repo: 'km', token, apiUrl, logger: new Logger({ ci: 'none' }), writeSpacingMs: 0 });
const release = await findRelease(store, tag);
const size = statSync(file).size;
const cpu0 = process.cpuUsage();
const started = process.hrtime.bigint();
const asset = await store.uploadAsset(release, { name, file, size, sha256: undefined, contentType: 'application/octet-stream' });
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
const hwm = Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
process.stdout.write(JSON.stringify({ seconds, cpuSeconds, hwmKb: hwm, size: asset.size, state: asset.state }));
`;

function capture(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.slice(-2000)}`)),
    );
  });
}

/** A file of `size` bytes of varied content, written in 1 MB blocks (never held whole in memory). */
async function makeFile(file: string, size: number): Promise<void> {
  const out = createWriteStream(file);
  const block = Buffer.alloc(MB);
  for (let off = 0; off < size; off += MB) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE(((off + i) * 2654435761) >>> 0, i);
    if (!out.write(block.subarray(0, Math.min(MB, size - off))))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
}

interface KrelRun {
  seconds: number;
  cpuSeconds: number;
  hwmKb: number;
}

async function krelUpload(gh: GitHubEmulator, file: string, asset: string): Promise<KrelRun> {
  const out = await capture(process.execPath, [
    '--input-type=module',
    '-e',
    CHILD,
    BUILD,
    gh.apiUrl,
    TOKEN,
    'v-bench',
    file,
    asset,
  ]);
  const r = JSON.parse(out) as KrelRun & { state: string };
  if (r.state !== 'uploaded') throw new Error(`krel upload ended in state ${r.state}`);
  return r;
}

/**
 * curl to the same endpoint: `--data-binary @file` (curl reads the file into memory before sending) or, with
 * `streamed`, `-T file -X POST` (read from disk while sending, as krel does).
 */
async function curlUpload(
  gh: GitHubEmulator,
  releaseId: number,
  file: string,
  size: number,
  asset: string,
  streamed = false,
) {
  const url = `${gh.uploadsUrl}/repos/kontainapp/km/releases/${releaseId}/assets?name=${asset}`;
  const out = await capture('curl', [
    '-sS',
    '-o',
    '/dev/null',
    '-w',
    '%{http_code} %{time_total}',
    ...(streamed ? ['-T', file, '-X', 'POST', '-H', 'Expect:'] : ['--data-binary', `@${file}`]),
    '-H',
    `Authorization: token ${TOKEN}`,
    '-H',
    'Content-Type: application/octet-stream',
    '-H',
    `Content-Length: ${size}`,
    url,
  ]);
  const [code, seconds] = out.trim().split(' ');
  if (code !== '201') throw new Error(`curl upload answered ${code}`);
  return Number(seconds);
}

/** Drop the stored copies so the disk does not fill over the rounds. */
async function clearAssets(gh: GitHubEmulator): Promise<void> {
  const release = gh.state.repos[0]!.releases[0]!;
  for (const a of [...release.assets]) {
    await fetch(`${gh.apiUrl}/repos/kontainapp/km/releases/assets/${a.id}`, {
      method: 'DELETE',
      headers: { authorization: `token ${TOKEN}` },
    });
  }
}

export async function run(): Promise<BenchResult[]> {
  ensureCommands({ curl: 'curl' });
  const loadBefore = loadavg()[0]!;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const dir = await mkdtemp(path.join(tmpdir(), 'krel-bench-upload-'));
  const gh = await startGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km' }], token: TOKEN });
  try {
    const created = await fetch(`${gh.apiUrl}/repos/kontainapp/km/releases`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ tag_name: 'v-bench', draft: true }),
    });
    const releaseId = ((await created.json()) as { id: number }).id;
    const big = path.join(dir, 'big.bin');
    const small = path.join(dir, 'small.bin');
    const bigSize = 512 * MB;
    await makeFile(big, bigSize);
    await makeFile(small, 64 * MB);

    const smallRun = await krelUpload(gh, small, 'small-krel.bin');
    await clearAssets(gh);
    let curlBest = Infinity;
    let curlStreamedBest = Infinity;
    let krelBest: KrelRun | undefined;
    for (let i = 0; i < rounds; i++) {
      curlBest = Math.min(curlBest, await curlUpload(gh, releaseId, big, bigSize, `curl-${i}.bin`));
      await clearAssets(gh);
      curlStreamedBest = Math.min(
        curlStreamedBest,
        await curlUpload(gh, releaseId, big, bigSize, `curl-t-${i}.bin`, true),
      );
      await clearAssets(gh);
      const k = await krelUpload(gh, big, `krel-${i}.bin`);
      if (!krelBest || k.seconds < krelBest.seconds) krelBest = k;
      await clearAssets(gh);
    }
    gh.assertNoViolations();
    const curlMBs = bigSize / MB / curlBest;
    const curlStreamedMBs = bigSize / MB / curlStreamedBest;
    const krelMBs = bigSize / MB / krelBest!.seconds;
    return [
      {
        metric: 'upload 512 MB throughput',
        value: krelMBs,
        unit: 'MB/s',
        reference: curlMBs,
        ratio: krelMBs / curlMBs,
        note: 'curl --data-binary (goal ratio >= 0.8)',
      },
      {
        metric: 'upload 512 MB throughput',
        value: krelMBs,
        unit: 'MB/s',
        reference: curlStreamedMBs,
        ratio: krelMBs / curlStreamedMBs,
        note: 'curl -T (streamed from disk)',
      },
      { metric: 'krel CPU time, 512 MB upload', value: krelBest!.cpuSeconds, unit: 's' },
      {
        metric: 'load average (1 min) before / after',
        value: loadBefore,
        unit: '',
        reference: loadavg()[0]!,
        note: 'busy machine: throughput ratios vary between runs',
      },
      {
        metric: 'upload peak RSS, 512 MB asset',
        value: krelBest!.hwmKb / 1024,
        unit: 'MB',
        reference: smallRun.hwmKb / 1024,
        ratio: krelBest!.hwmKb / smallRun.hwmKb,
        note: 'same upload of 64 MB (ratio ~1: no growth)',
      },
    ];
  } finally {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  }
}
