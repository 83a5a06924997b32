/**
 * krel make against GNU tar on the same ~256 MB tree, in one run: wall time of
 * `tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -czf` (one archive after the other) and of
 * `krel make` (the built CLI, spawned), and krel's peak RSS from /usr/bin/time. Goal: ratio <= 0.6, RSS <= 150 MB.
 * BENCH_ROUNDS (default 2) rounds alternate tar and krel; the best time of each is reported. CPU time is
 * reported too: on a busy machine wall times mostly measure the neighbours, CPU time does not.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
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

interface Measured {
  /** Wall time. */
  seconds: number;
  /** User + system CPU of the process and its children (GNU tar's gzip included). */
  cpu: number;
  rssMb: number;
}

/** Run a command under /usr/bin/time: wall time measured here, CPU and peak RSS reported by time. */
function measured(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'krel-bench %U %S %M', ...args], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const m = /krel-bench ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
      if (code !== 0 || m === null) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ seconds, cpu: Number(m[1]) + Number(m[2]), rssMb: Number(m[3]) / 1024 });
    });
  });
}

async function dirBytes(dir: string, suffix: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.endsWith(suffix)) n += (await stat(path.join(dir, f))).size;
  return n;
}

async function gnuTar(src: string, out: string): Promise<Measured> {
  await rm(out, { recursive: true, force: true });
  await mkdir(out);
  const total: Measured = { seconds: 0, cpu: 0, rssMb: 0 };
  for (const a of ARCHIVES) {
    const flags = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner'];
    const r = await measured(['tar', ...flags, '-czf', path.join(out, a.name), '-C', src, ...a.files]);
    total.seconds += r.seconds;
    total.cpu += r.cpu;
  }
  return total;
}

function krelMake(config: string, out: string): Promise<Measured> {
  const env = { ...process.env, SOURCE_DATE_EPOCH: '0', CI: '' };
  return measured([process.execPath, KREL_BIN, 'make', '--config', config, '--out', out], env);
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
    const load = loadavg()[0]!;
    const best = (xs: Measured[], k: 'seconds' | 'cpu') => Math.min(...xs.map((x) => x[k]));
    const tars: Measured[] = [];
    const krels: Measured[] = [];
    for (let i = 0; i < rounds; i++) {
      const t = await gnuTar(src, path.join(root, 'tar-out'));
      const k = await krelMake(config, path.join(root, 'krel-out'));
      tars.push(t);
      krels.push(k);
      process.stderr.write(
        `  round ${i + 1}: GNU tar ${t.seconds.toFixed(2)}s (cpu ${t.cpu.toFixed(1)}s), ` +
          `krel ${k.seconds.toFixed(2)}s (cpu ${k.cpu.toFixed(1)}s, peak RSS ${k.rssMb.toFixed(0)} MB), ` +
          `load ${loadavg()[0]!.toFixed(1)}\n`,
      );
    }
    const [tar, krel] = [best(tars, 'seconds'), best(krels, 'seconds')];
    const [tarCpu, krelCpu] = [best(tars, 'cpu'), best(krels, 'cpu')];
    const rss = Math.max(...krels.map((k) => k.rssMb));
    const tarOut = await dirBytes(path.join(root, 'tar-out'), '.tar.gz');
    const krelOut = await dirBytes(path.join(root, 'krel-out'), '.tar.gz');
    const mb = (n: number) => n / 2 ** 20;
    return [
      { metric: 'input tree', value: mb(bytes), unit: 'MB' },
      { metric: 'load average at start (2 cores)', value: load, unit: '' },
      { metric: 'GNU tar -czf, 3 archives in turn', value: tar, unit: 's' },
      {
        metric: 'krel make wall time',
        value: krel,
        unit: 's',
        reference: tar,
        ratio: krel / tar,
        note: 'GNU tar (goal ratio <= 0.6)',
      },
      { metric: 'GNU tar CPU (user+sys, gzip included)', value: tarCpu, unit: 's' },
      {
        metric: 'krel make CPU (user+sys)',
        value: krelCpu,
        unit: 's',
        reference: tarCpu,
        ratio: krelCpu / tarCpu,
        note: 'GNU tar',
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
