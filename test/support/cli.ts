/** Run the built krel CLI as a user would: a child process, real env, captured stdout/stderr. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KREL_BIN = fileURLToPath(new URL('../../build/cli/main.js', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Replace the environment instead of extending process.env. */
  cleanEnv?: boolean;
  input?: string;
  timeoutMs?: number;
}

/** Variables that must not leak from the developer's or CI's environment into a krel under test. */
const SCRUB = [
  'RELEASE_TAG',
  'GITHUB_REF',
  'BUILD_SOURCEBRANCH',
  'GITHUB_ACTIONS',
  'TF_BUILD',
  'GITHUB_STEP_SUMMARY',
  'GITHUB_TOKEN',
  'GITHUB_RELEASE_TOKEN',
  'GITHUB_REPOSITORY',
  'GITHUB_API_URL',
  'KREL_CONFIG',
  'SOURCE_DATE_EPOCH',
  'KREL_SIGNING_KEY',
];

export function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of SCRUB) delete env[k];
  env.CI = '';
  return env;
}

export function runKrel(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const env = opts.cleanEnv ? { ...opts.env } : { ...baseEnv(), ...opts.env };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KREL_BIN, ...args], {
      cwd: opts.cwd ?? REPO_ROOT,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer =
      opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer !== undefined) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}
