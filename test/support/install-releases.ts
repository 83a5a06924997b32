/**
 * Releases for km-releases/kontain-install.sh tests: release directories built with GNU tar (hostile ones
 * included), served over 127.0.0.1 laid out like GitHub's download URLs, the script run as a user would,
 * and byte-for-byte snapshots of a directory tree.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type FileServer, safeJoin, startFileServer } from '../../src/validate/file-server.js';
import { REPO_ROOT } from './cli.js';

export const SCRIPT = path.join(REPO_ROOT, 'km-releases/kontain-install.sh');
const SAMPLE_BUILD = path.join(REPO_ROOT, 'examples/kontain/build');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run the install script (`script`, default the one in km-releases) with only PATH, HOME and `env`; as another
 * uid when `asUser` is given.
 */
export function runScript(
  args: string[],
  env: NodeJS.ProcessEnv,
  asUser?: number,
  script = SCRIPT,
): Promise<Run> {
  const [cmd, argv]: [string, string[]] =
    asUser === undefined
      ? ['bash', [script, ...args]]
      : ['setpriv', [`--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', 'bash', script, ...args]];
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, {
      env: { PATH: process.env.PATH, HOME: os.tmpdir(), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The error lines of a run: exactly one is expected when the script refuses. */
export const errorLines = (r: Run): string[] => r.stderr.split('\n').filter((l) => l.includes(': error: '));

/** A tree with the sample build's bin/ and tests/: a core archive the script accepts. */
export function coreTree(dir: string): string {
  mkdirSync(dir, { recursive: true });
  for (const d of ['bin', 'tests'])
    cpSync(path.join(SAMPLE_BUILD, d), path.join(dir, d), { recursive: true, verbatimSymlinks: true });
  return dir;
}

/** GNU tar: `tar -C dir -czf out [extra...] members...` (extra: e.g. -P, --transform). */
export function tarGz(dir: string, out: string, members: string[], extra: string[] = []): string {
  execFileSync('tar', ['--owner=0', '--group=0', '-C', dir, '-czf', out, ...extra, ...members], {
    stdio: 'pipe',
  });
  return out;
}

export const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Write SHA256SUMS listing the given assets of a release directory. */
export function writeSums(releaseDir: string, names: string[]): void {
  const lines = names.map((n) => `${sha256(path.join(releaseDir, n))}  ${n}\n`);
  writeFileSync(path.join(releaseDir, 'SHA256SUMS'), lines.join(''));
}

/**
 * A release in `dir`: kontain.tar.gz made from a core tree (built in `treeDir`, changed by `edit`, which
 * returns extra top-level members), the given payload files copied in, and SHA256SUMS unless `sums` is false.
 */
export function makeRelease(
  dir: string,
  treeDir: string,
  opts: { edit?: (tree: string) => string[]; payloads?: Record<string, string>; sums?: boolean } = {},
): void {
  mkdirSync(dir, { recursive: true });
  const tree = coreTree(treeDir);
  const extra = opts.edit?.(tree) ?? [];
  tarGz(tree, path.join(dir, 'kontain.tar.gz'), ['bin', 'tests', ...extra]);
  const payloads = opts.payloads ?? {};
  for (const [name, file] of Object.entries(payloads))
    writeFileSync(path.join(dir, name), readFileSync(file));
  if (opts.sums !== false) writeSums(dir, ['kontain.tar.gz', ...Object.keys(payloads)]);
}

/** A directory for PATH holding every command of the current PATH except `without` (as links). */
export function pathWithout(dir: string, without: string[]): string {
  mkdirSync(dir, { recursive: true });
  for (const from of (process.env.PATH ?? '').split(':')) {
    if (from === '' || !existsSync(from)) continue;
    for (const name of readdirSync(from)) {
      if (without.includes(name) || existsSync(path.join(dir, name))) continue;
      symlinkSync(path.join(from, name), path.join(dir, name));
    }
  }
  return dir;
}

export interface ReleaseServer {
  readonly server: FileServer;
  /** KONTAIN_RELEASE_URL for this server. */
  readonly releaseUrl: string;
  /** The directory of release `tag` (created): assets go in it. */
  releaseDir(tag: string): string;
  close(): Promise<void>;
}

/** Serve root/<tag>/<asset> at /kontainapp/km/releases/download/<tag>/<asset>, nothing else. */
export async function serveReleases(root: string): Promise<ReleaseServer> {
  const prefix = '/kontainapp/km/releases/download/';
  const server = await startFileServer((urlPath) => {
    if (!urlPath.startsWith(prefix)) return undefined;
    const file = safeJoin(root, urlPath.slice(prefix.length));
    return file === undefined ? undefined : { file };
  });
  return {
    server,
    releaseUrl: `http://127.0.0.1:${server.port}${prefix.replace(/\/$/, '')}`,
    releaseDir: (tag) => {
      const dir = path.join(root, tag);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    close: () => server.close(),
  };
}

export type TreeEntry =
  | { type: 'dir'; mode: number }
  | { type: 'file'; mode: number; sha256: string }
  | { type: 'link'; target: string }
  | { type: 'other'; mode: number };

/** Every entry under dir (dir itself as ''), with its mode and content: equal snapshots = the tree is unchanged. */
export function snapshotTree(dir: string): Record<string, TreeEntry> {
  const out: Record<string, TreeEntry> = {};
  const walk = (rel: string): void => {
    const full = path.join(dir, rel);
    const st = lstatSync(full);
    const mode = st.mode & 0o7777;
    if (st.isSymbolicLink()) out[rel] = { type: 'link', target: readlinkSync(full) };
    else if (st.isFile()) out[rel] = { type: 'file', mode, sha256: sha256(full) };
    else if (st.isDirectory()) {
      out[rel] = { type: 'dir', mode };
      for (const name of readdirSync(full).sort()) walk(path.join(rel, name));
    } else out[rel] = { type: 'other', mode };
  };
  if (existsSync(dir)) walk('');
  return out;
}
