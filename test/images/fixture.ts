/** A krel project with runenv images: a git repository, a payload tree and krel.json, in a temp dir. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runKrel, type RunResult } from '../support/cli.js';

export interface ImagesProject {
  root: string;
  commit: string;
  store: string;
  krel(args: string[], env?: NodeJS.ProcessEnv): Promise<RunResult>;
  cleanup(): void;
}

export const PYTHON_IMAGES = [
  {
    name: 'runenv-python',
    files: [{ from: 'payloads/python', to: 'opt/kontain/python' }],
    aliases: ['runenv-python-3.7'],
    entrypoint: ['/opt/kontain/python/bin/python3'],
    env: { PYTHONHOME: '/opt/kontain/python' },
  },
];

export function imagesProject(images: unknown[] = PYTHON_IMAGES, epoch = '1700000000'): ImagesProject {
  const root = mkdtempSync(path.join(os.tmpdir(), 'krel-images-'));
  const py = path.join(root, 'build', 'payloads', 'python');
  mkdirSync(path.join(py, 'bin'), { recursive: true });
  mkdirSync(path.join(py, 'lib'), { recursive: true });
  writeFileSync(path.join(py, 'bin', 'python3'), '#!/bin/sh\necho python\n');
  chmodSync(path.join(py, 'bin', 'python3'), 0o755);
  writeFileSync(path.join(py, 'lib', 'os.py'), 'import sys\n'.repeat(2000));
  writeFileSync(
    path.join(root, 'krel.json'),
    JSON.stringify({
      repo: 'kontainapp/km',
      source: 'build',
      archives: [{ name: 'k.tar.gz', files: ['payloads'] }],
      images,
    }),
  );
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=ci', ...args], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
  git('init', '-q', '.');
  git('add', '-A');
  git('commit', '-qm', 'payloads');
  const commit = git('rev-parse', 'HEAD');
  return {
    root,
    commit,
    store: path.join(root, '.krel-images'),
    krel: (args, env = {}) => runKrel(args, { cwd: root, env: { SOURCE_DATE_EPOCH: epoch, ...env } }),
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

export function readIndex(store: string): {
  manifests: { digest: string; annotations?: Record<string, string> }[];
} {
  return JSON.parse(readFileSync(path.join(store, 'index.json'), 'utf8')) as ReturnType<typeof readIndex>;
}

export function refNames(store: string): string[] {
  return readIndex(store).manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'] ?? '');
}
