/**
 * krel publish against the GitHub emulator on 127.0.0.1: upload throughput of one 512 MB asset by `krel
 * publish` vs `curl -T` to the same uploads endpoint (both timed by the emulator from the request's arrival to
 * its answer; goal ratio >= 0.8), and krel's peak RSS (from /usr/bin/time) for a 64 MB and a 512 MB asset:
 * it must not grow with the asset size (streams, never buffers).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { sha256File } from '../../src/checksums/index.js';
import { KREL_BIN, baseEnv } from '../support/cli.js';
import { type GitHubEmulator, startGitHubEmulator } from '../support/github-emulator/index.js';
import { emulatorStore } from '../support/github-emulator/testing.js';
import { ensureCommands } from '../support/tools.js';
import type { BenchResult } from './types.js';

export const name = 'publish';

const MB = 1024 * 1024;

async function writeAsset(file: string, bytes: number): Promise<void> {
  const out = createWriteStream(file);
  const chunk = randomBytes(MB);
  for (let done = 0; done < bytes; done += MB) {
    chunk.writeUInt32LE(done / MB, 0);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

function exec(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`${cmd} exited ${code}: ${stderr.slice(-2000)}`)),
    );
  });
}

/** Seconds the emulator spent receiving the last upload of `asset`. */
function uploadSeconds(gh: GitHubEmulator, asset: string): number {
  const r = gh.requests
    .filter((x) => x.listener === 'uploads' && x.status === 201 && x.url.includes(`name=${asset}`))
    .pop();
  if (r === undefined) throw new Error(`no completed upload of ${asset} in the emulator log`);
  return (r.end - r.start) / 1000;
}

async function krelPublish(
  gh: GitHubEmulator,
  dir: string,
  sizeMb: number,
  tag: string,
): Promise<{ rssMb: number; seconds: number }> {
  const dist = path.join(dir, `dist-${sizeMb}`);
  await mkdir(dist, { recursive: true });
  const asset = `big-${sizeMb}.bin`;
  await writeAsset(path.join(dist, asset), sizeMb * MB);
  await writeFile(
    path.join(dist, 'SHA256SUMS'),
    `${(await sha256File(path.join(dist, asset))).sha256}  ${asset}\n`,
  );
  const commit = gh.state.repos[0]!.commits[0]!;
  const env = {
    ...baseEnv(),
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_TOKEN: gh.token,
    RELEASE_TAG: tag,
    KREL_GITHUB_WRITE_SPACING_MS: '0',
  };
  const { stderr } = await exec(
    '/usr/bin/time',
    [
      '-f',
      'maxrss-kb %M',
      process.execPath,
      KREL_BIN,
      '--config',
      path.join(dir, 'krel.json'),
      'publish',
      '--commit',
      commit,
      '--dist',
      dist,
    ],
    env,
  );
  const m = /maxrss-kb (\d+)/.exec(stderr);
  if (m === null) throw new Error(`no RSS in /usr/bin/time output: ${stderr.slice(-500)}`);
  return { rssMb: Number(m[1]) / 1024, seconds: uploadSeconds(gh, asset) };
}

async function curlUpload(gh: GitHubEmulator, file: string, asset: string): Promise<number> {
  const store = emulatorStore(gh);
  const draft = await store.createDraft({
    tag: 'bench-curl',
    commit: gh.state.repos[0]!.commits[0]!,
    name: 'curl',
    body: '',
    prerelease: true,
  });
  const url = `${gh.uploadsUrl}/repos/kontainapp/km/releases/${draft.id}/assets?name=${asset}`;
  await exec(
    'curl',
    [
      '-sS',
      '--fail',
      '-o',
      '/dev/null',
      '-X',
      'POST',
      '-T',
      file,
      '-H',
      `Authorization: token ${gh.token}`,
      '-H',
      'Content-Type: application/octet-stream',
      url,
    ],
    process.env,
  );
  return uploadSeconds(gh, asset);
}

export async function run(): Promise<BenchResult[]> {
  ensureCommands({ curl: 'curl', time: 'time' });
  const gh = await startGitHubEmulator({ repos: [{ owner: 'kontainapp', repo: 'km' }] });
  const dir = await mkdtemp(path.join(tmpdir(), 'krel-bench-publish-'));
  try {
    await writeFile(
      path.join(dir, 'krel.json'),
      JSON.stringify({
        repo: 'kontainapp/km',
        archives: [{ name: 'x.tar.gz', files: ['x'] }],
        release: { generateNotes: false },
      }),
    );
    const small = await krelPublish(gh, dir, 64, 'v0.0.1');
    const big = await krelPublish(gh, dir, 512, 'v0.0.2');
    const curl = await curlUpload(gh, path.join(dir, 'dist-512', 'big-512.bin'), 'curl-512.bin');
    const krelMbps = 512 / big.seconds;
    const curlMbps = 512 / curl;
    return [
      {
        metric: 'upload 512 MB, krel publish',
        value: krelMbps,
        unit: 'MB/s',
        reference: curlMbps,
        ratio: krelMbps / curlMbps,
        note: 'curl -T (goal ratio >= 0.8)',
      },
      { metric: 'peak RSS, 64 MB asset', value: small.rssMb, unit: 'MB' },
      {
        metric: 'peak RSS, 512 MB asset',
        value: big.rssMb,
        unit: 'MB',
        reference: small.rssMb,
        ratio: big.rssMb / small.rssMb,
        note: '64 MB asset (must stay ~1)',
      },
    ];
  } finally {
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  }
}
