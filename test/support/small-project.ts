/**
 * A tiny project for VM tests that only need a guide to run: one archive (bin/hello), a dist/ made by krel, and
 * a guide of the given blocks. Keeps a VM test's time in the boot, not in installing a release.
 */
import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, runKrel } from './cli.js';

export interface SmallProject {
  config: string;
  dist: string;
}

/** Writes <dir>/krel.json, bin/hello and guide.md (one sh block per entry of `blocks`), and makes <dir>/dist. */
export async function makeSmallProject(dir: string, blocks: readonly string[]): Promise<SmallProject> {
  mkdirSync(path.join(dir, 'bin'), { recursive: true });
  writeFileSync(path.join(dir, 'bin', 'hello'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
  const guide = ['# A small guide', '', ...blocks.flatMap((b) => ['```sh', b, '```', ''])].join('\n');
  writeFileSync(path.join(dir, 'guide.md'), guide);
  const config = path.join(dir, 'krel.json');
  const json = {
    repo: 'kontainapp/km',
    archives: [{ name: 'kontain.tar.gz', files: ['bin'] }],
    validate: { doc: 'guide.md', installScript: path.join(REPO_ROOT, 'km-releases/kontain-install.sh') },
  };
  writeFileSync(config, `${JSON.stringify(json, null, 2)}\n`);
  const dist = path.join(dir, 'dist');
  const made = await runKrel(['make', '--config', config, '--out', dist]);
  expect(made.code, made.stderr).to.equal(0);
  return { config, dist };
}
