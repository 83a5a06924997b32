/**
 * krel make against GNU tar on the same ~256 MB tree, in one run: wall time of
 * `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -czf` (one archive after the other) and of
 * `krel make` (the built CLI, spawned), and krel's peak RSS from /usr/bin/time. Goal: ratio <= 0.6, RSS <= 150 MB.
 * BENCH_ROUNDS (default 2) rounds alternate tar and krel; the best time of each is reported.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KREL_BIN } from '../support/cli.js';
import { ensureCommands } from '../support/tools.js';
import { generateTree, kontainLikeTree } from './gen-tree.js';
import type { BenchResult } from './types.js';

export const name = 'make';

const ARCHIVES = [
  { name: 'kontain.tar.gz', files: ['bin', 'runtime', 'include', 'tests'] },
  { name: 'kontain-python.tar.gz', files: ['payloads/python'] },
  { name: 'kontain-node.tar.gz', files: ['payloads/node'] },
];

interface Timed {
  seconds: number;
  stderr: string;
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Timed> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code === 0) resolve({ seconds, stderr });
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

async function dirBytes(dir: string, suffix: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith(suffix)) n += (await stat(path.join(dir, f))).size;
  return n;
}

async function gnuTar(src: string, out: string): Promise<number> {
  await rm(out, { recursive: true, force: true });
  await import('node:fs/promises').then((fs) => fs.mkdir(out));
  let total = 0;
  for (const a of ARCHIVES) {
    const flags = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
    total += (await timed('tar', [...flags, '-czf', path.join(out, a.name), '-C', src, ...a.files])).seconds;
  }
  return total;
}

async function krelMake(config: string, out: string): Promise<{ seconds: number; rssMb: number }> {
  const env = { ...process.env, SOURCE_DATE_EPOCH: '0', CI: '' };
  const r = await timed(
    '/usr/bin/time',
    ['-f', 'peak-rss-kb=%M', process.execPath, KREL_BIN, 'make', '--config', config, '--out', out],
    env,
  );
  const m = /peak-rss-kb=(\d+)/.exec(r.stderr);
  if (m === null) throw new Error(`no peak RSS in /usr/bin/time output: ${r.stderr}`);
  return { seconds: r.seconds, rssMb: Number(m[1]) / 1024 };
}

export async function run(): Promise<BenchResult[]> {
  ensureCommands({ tar: 'tar', time: 'time' });
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const root = await mkdtemp(path.join(tmpdir(), 'krel-bench-make-'));
  try {
    const src = path.join(root, 'build');
    const genStart = Date.now();
    const bytes = await generateTree(src, kontainLikeTree(Number(process.env.BENCH_SCALE ?? 1)));
    process.stderr.write(
      `  generated ${(bytes / 2 ** 20).toFixed(0)} MB in ${((Date.now() - genStart) / 1000).toFixed(1)}s\n`,
    );
    const config = path.join(root, 'krel.json');
    await writeFile(config, JSON.stringify({ source: 'build', archives: ARCHIVES }));
    let tar = Infinity;
    let krel = Infinity;
    let rss = 0;
    for (let i = 0; i < rounds; i++) {
      const t = await gnuTar(src, path.join(root, 'tar-out'));
      const k = await krelMake(config, path.join(root, 'krel-out'));
      process.stderr.write(
        `  round ${i + 1}: GNU tar ${t.toFixed(2)}s, krel ${k.seconds.toFixed(2)}s, krel peak RSS ${k.rssMb.toFixed(0)} MB\n`,
      );
      tar = Math.min(tar, t);
      krel = Math.min(krel, k.seconds);
      rss = Math.max(rss, k.rssMb);
    }
    const tarOut = await dirBytes(path.join(root, 'tar-out'), '.tar.gz');
    const krelOut = await dirBytes(path.join(root, 'krel-out'), '.tar.gz');
    const mb = (n: number) => n / 2 ** 20;
    return [
      { metric: 'input tree', value: mb(bytes), unit: 'MB' },
      { metric: 'GNU tar -czf, 3 archives in turn', value: tar, unit: 's' },
      {
        metric: 'krel make wall time',
        value: krel,
        unit: 's',
        reference: tar,
        ratio: krel / tar,
        note: 'GNU tar (goal ratio <= 0.6)',
      },
      {
        metric: 'krel make peak RSS',
        value: rss,
        unit: 'MB',
        reference: 150,
        ratio: rss / 150,
        note: 'goal',
      },
      {
        metric: 'krel output size',
        value: mb(krelOut),
        unit: 'MB',
        reference: mb(tarOut),
        ratio: krelOut / tarOut,
        note: 'GNU tar',
      },
    ];
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
