/** A throwaway krel project for publish tests: a git checkout with two commits, krel.json and a dist/. */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KREL_BIN, REPO_ROOT, type RunResult, baseEnv, runKrel } from '../support/cli.js';

export interface ProjectOptions {
  store: string;
  replace?: string[];
  uploadConcurrency?: number;
  generateNotes?: boolean;
}

export interface Project {
  dir: string;
  config: string;
  dist: string;
  /** The two commits of the checkout, oldest first (HEAD is the second). */
  commits: [string, string];
  /** Replace dist/ with these files and a SHA256SUMS listing them. */
  writeDist(files: Record<string, string | Buffer>): void;
  run(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  cleanup(): void;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function makeProject(opts: ProjectOptions): Project {
  const dir = mkdtempSync(path.join(tmpdir(), 'krel-publish-'));
  git(dir, 'init', '-q');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'one');
  const c1 = git(dir, 'rev-parse', 'HEAD');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'two');
  const c2 = git(dir, 'rev-parse', 'HEAD');
  const config = path.join(dir, 'krel.json');
  writeFileSync(
    config,
    JSON.stringify({
      repo: 'kontainapp/km',
      archives: [{ name: 'kontain.tar.gz', files: ['bin'] }],
      release: {
        store: opts.store,
        replace: opts.replace ?? ['v0.1-test', 'v*-daily'],
        generateNotes: opts.generateNotes ?? false,
        uploadConcurrency: opts.uploadConcurrency ?? 3,
      },
    }),
  );
  const dist = path.join(dir, 'dist');
  return {
    dir,
    config,
    dist,
    commits: [c1, c2],
    writeDist(files) {
      rmSync(dist, { recursive: true, force: true });
      mkdirSync(dist, { recursive: true });
      const lines: string[] = [];
      for (const [name, data] of Object.entries(files)) {
        writeFileSync(path.join(dist, name), data);
        lines.push(`${sha256(data)}  ${name}\n`);
      }
      writeFileSync(path.join(dist, 'SHA256SUMS'), lines.join(''));
    },
    run: (args, env = {}) => runKrel(['--config', config, ...args], { cwd: dir, env, timeoutMs: 120_000 }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Every file under dir (relative path -> sha256 of its bytes), for "nothing changed" assertions. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) {
        out[path.relative(dir, p) + '/'] = 'dir';
        walk(p);
      } else out[path.relative(dir, p)] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Assert a test's output never shows the token. */
export function expectNoToken(r: RunResult, token: string): void {
  for (const [name, text] of [
    ['stdout', r.stdout],
    ['stderr', r.stderr],
  ] as const) {
    if (text.includes(token)) throw new Error(`the token appears in ${name}`);
  }
}

/** Build the CLI the tests run. tsc emits even when an unrelated file has a type error, so only the output counts. */
export function buildCli(): void {
  spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO_ROOT, stdio: 'ignore' });
  if (!existsSync(KREL_BIN)) throw new Error(`npm run build did not produce ${KREL_BIN}`);
}

/**
 * Run krel in the project and send `signal` as soon as `when()` holds (polled every millisecond): to kill or
 * interrupt a publish in the middle of an upload.
 */
export function runAndSignalWhen(
  p: Project,
  args: string[],
  env: NodeJS.ProcessEnv,
  signal: NodeJS.Signals,
  when: () => boolean,
): Promise<RunResult> {
  const child = spawn(process.execPath, [KREL_BIN, '--config', p.config, ...args], {
    cwd: p.dir,
    env: { ...baseEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (when()) {
        clearInterval(poll);
        child.kill(signal);
      }
    }, 1);
    child.on('close', (code, sig) => {
      clearInterval(poll);
      resolve({ code, signal: sig, stdout, stderr });
    });
  });
}
