/**
 * krel validate: what the user waits for.
 * - host: `krel validate --host` against a local sshd: command to the first step's first line, and the cost of
 *   one trivial step (a fresh bash over SSH under timeout(1)).
 * - forward: a 64 MiB asset downloaded by the target from the host file server through the SSH reverse forward,
 *   against the same download straight from 127.0.0.1 (reference).
 * - vm (BENCH_VM=1, default on): cached-image `krel validate --vm`: command to the first step, and boot to SSH as
 *   the provider reports it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connect, exec, forwardIn } from '../../src/ssh/index.js';
import { buildResolver } from '../../src/validate/artifacts.js';
import { startFileServer } from '../../src/validate/file-server.js';
import { baseEnv, KREL_BIN, REPO_ROOT, runKrel } from '../support/cli.js';
import { startSshd } from '../support/sshd.js';
import { ensureCommands } from '../support/tools.js';
import { testSnapshot } from '../support/vm.js';
import type { BenchResult } from './types.js';

export const name = 'validate';

/** Issue 13: the whole example guide on a restored TCG VM. */
const GUIDE_GOAL_S = 15;

interface Timeline {
  code: number | null;
  /** ms from spawn to the first line matching each pattern. */
  at: Record<string, number | undefined>;
  stderr: string;
}

function timeline(
  args: string[],
  marks: Record<string, RegExp>,
  env: NodeJS.ProcessEnv = {},
): Promise<Timeline> {
  const started = Date.now();
  const at: Record<string, number | undefined> = {};
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KREL_BIN, ...args], {
      cwd: REPO_ROOT,
      env: { ...baseEnv(), ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      for (const [k, re] of Object.entries(marks))
        if (at[k] === undefined && re.test(stderr)) at[k] = Date.now() - started;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, at, stderr }));
  });
}

async function makeDist(work: string): Promise<string> {
  const dist = path.join(work, 'dist');
  const r = await runKrel(['make', '--config', 'examples/kontain/krel.json', '--out', dist]);
  if (r.code !== 0) throw new Error(`krel make failed: ${r.stderr}`);
  return dist;
}

async function hostBench(work: string, dist: string): Promise<BenchResult[]> {
  ensureCommands({ sudo: 'sudo', curl: 'curl' });
  const opt = mkdtempSync(path.join(work, 'opt-'));
  const home = mkdtempSync(path.join(work, 'home-'));
  const sshd = await startSshd({ mounts: { '/opt': opt, [os.homedir()]: home } });
  try {
    const target = `${sshd.endpoint.username}@127.0.0.1:${sshd.port}`;
    const common = ['--config', 'examples/kontain/krel.json', '--dist', dist, '--host', target];
    const keys = ['--identity', sshd.identityFile, '--known-host-key', sshd.hostKeyFingerprint];
    const gs = await timeline(['validate', ...common, ...keys], { first: /step 1\]/ });
    if (gs.code !== 0) throw new Error(`validate --host failed: ${gs.stderr}`);
    const n = 20;
    const doc = path.join(work, 'trivial.md');
    writeFileSync(
      doc,
      Array.from({ length: n }, (_, i) => `## S${i}\n\n\`\`\`bash\ntrue\n\`\`\`\n`).join('\n'),
    );
    const trivial = await timeline(['validate', ...common, ...keys, '--doc', doc], {
      first: /step 1\] S0 /,
      last: new RegExp(`step ${n}\\] S${n - 1}: passed`),
    });
    if (trivial.code !== 0) throw new Error(`validate trivial failed: ${trivial.stderr}`);
    const perStep = ((trivial.at.last ?? 0) - (trivial.at.first ?? 0)) / (n - 1);
    return [
      { metric: 'host: command to first step', value: gs.at.first ?? NaN, unit: 'ms' },
      { metric: 'host: one trivial step', value: perStep, unit: 'ms' },
    ];
  } finally {
    await sshd.stop();
  }
}

async function forwardBench(work: string): Promise<BenchResult[]> {
  const dir = mkdtempSync(path.join(work, 'fwd-'));
  const file = path.join(dir, 'big.bin');
  const size = 64 * 1024 * 1024;
  const fh = await open(file, 'w');
  const chunk = createHash('sha512').update('x').digest();
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i += chunk.length) chunk.copy(block, i);
  for (let i = 0; i < size / block.length; i++) await fh.write(block);
  await fh.close();
  const sshd = await startSshd();
  const server = await startFileServer(
    buildResolver({ kind: 'dist', dir, repo: 'o/r', tag: 'v1' }, { installScript: file }),
  );
  const conn = await connect(sshd.endpoint);
  try {
    const fwd = await forwardIn(conn, server.port);
    const get = async (port: number): Promise<number> => {
      const started = Date.now();
      const r = await exec(
        conn,
        `curl -fsS -o /dev/null http://127.0.0.1:${port}/o/r/releases/download/v1/big.bin`,
      );
      if (r.exitCode !== 0) throw new Error(`download through port ${port} failed`);
      return size / 1024 / 1024 / ((Date.now() - started) / 1000);
    };
    const direct = await get(server.port);
    const forwarded = await get(fwd.remotePort);
    await fwd.close();
    return [
      {
        metric: 'reverse forward download',
        value: forwarded,
        unit: 'MiB/s',
        reference: direct,
        ratio: forwarded / direct,
        note: 'direct 127.0.0.1',
      },
    ];
  } finally {
    conn.close();
    await server.close();
    await sshd.stop();
  }
}

/** `krel validate --vm` once with --cold-boot and once restoring the image's saved state, in this run. */
async function vmBench(dist: string): Promise<BenchResult[]> {
  await testSnapshot();
  const args = ['validate', '--config', 'examples/kontain/krel.json', '--dist', dist, '--vm', 'debian-12'];
  const marks = { first: /step 1\]/ };
  const measure = async (extra: string[]): Promise<{ first: number; total: number; accel: string }> => {
    const started = Date.now();
    const t = await timeline([...args, ...extra], marks);
    const total = (Date.now() - started) / 1000;
    if (t.code !== 0) throw new Error(`validate --vm ${extra.join(' ')} failed: ${t.stderr}`);
    return { first: (t.at.first ?? NaN) / 1000, total, accel: /is up: (\w+)/.exec(t.stderr)?.[1] ?? '?' };
  };
  const cold = await measure(['--cold-boot']);
  const restored = await measure([]);
  const a = restored.accel;
  return [
    { metric: `vm (${cold.accel}): command to first step, cold boot`, value: cold.first, unit: 's' },
    {
      metric: `vm (${a}): command to first step, restored`,
      value: restored.first,
      unit: 's',
      reference: cold.first,
      ratio: restored.first / cold.first,
      note: 'cold boot, this run (goal <= 0.25)',
    },
    { metric: `vm (${cold.accel}): whole guide, cold boot`, value: cold.total, unit: 's' },
    {
      metric: `vm (${a}): whole guide, restored`,
      value: restored.total,
      unit: 's',
      reference: GUIDE_GOAL_S,
      ratio: restored.total / GUIDE_GOAL_S,
      note: 'goal (TCG, quiet machine)',
    },
  ];
}

export async function run(): Promise<BenchResult[]> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'krel-bench-validate-'));
  try {
    const dist = await makeDist(work);
    const rows = [...(await hostBench(work, dist)), ...(await forwardBench(work))];
    if (process.env.BENCH_VM !== '0') rows.push(...(await vmBench(dist)));
    return rows;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
