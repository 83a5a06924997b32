/** Temporary source trees and configs for packager tests. */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildConfig } from '../../src/config/load.js';
import type { KrelConfig } from '../../src/config/types.js';
import type { Statement } from '../../src/attest/provenance.js';
import type { DsseEnvelope } from '../../src/attest/dsse.js';
import { PROVENANCE_FILE } from '../../src/config/release-files.js';

export type Node = string | { content: string; mode?: number } | { symlink: string } | { dir: true };

export interface Fixture {
  root: string;
  source: string;
  cleanup(): void;
}

/** A temp dir holding `build/` (the source) made from `files` (paths relative to build/). */
export function makeTree(files: Record<string, Node>): Fixture {
  const root = mkdtempSync(path.join(tmpdir(), 'krel-pack-'));
  const source = path.join(root, 'build');
  mkdirSync(source);
  for (const [rel, node] of Object.entries(files)) {
    const abs = path.join(source, rel);
    mkdirSync(path.dirname(abs), { recursive: true });
    if (typeof node === 'string') writeFileSync(abs, node, { mode: 0o644 });
    else if ('symlink' in node) symlinkSync(node.symlink, abs);
    else if ('dir' in node) mkdirSync(abs, { recursive: true });
    else writeFileSync(abs, node.content, { mode: node.mode ?? 0o644 });
  }
  return { root, source, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export type RawFile =
  string | { from: string; to?: string; mode?: string; exclude?: string[]; source?: string };
export type RawArchives = { name: string; files: RawFile[]; prefix?: string }[];

/** Write krel.json next to build/ and return the typed config. */
export function writeConfig(
  fx: Fixture,
  archives: RawArchives,
  extra: Record<string, unknown> = {},
): KrelConfig {
  const raw = { source: 'build', archives, ...extra };
  const file = path.join(fx.root, 'krel.json');
  writeFileSync(file, JSON.stringify(raw, null, 2));
  return buildConfig(raw, file);
}

export function sh(cmd: string, cwd?: string): string {
  return execFileSync('sh', ['-c', cmd], { cwd, encoding: 'utf8' });
}

/** A tree like the sample: a core archive and two payloads. */
export const SAMPLE: Record<string, Node> = {
  'bin/km': { content: '#!/bin/sh\necho km\n', mode: 0o700 },
  'bin/krun': { content: '#!/bin/sh\necho krun\n', mode: 0o755 },
  'runtime/libkm.so': { content: 'lib', mode: 0o600 },
  'include/km_hcalls.h': '#define X 1\n',
  'payloads/python/bin/python3.km': 'py\n',
  'payloads/python/bin/python.km': { symlink: 'python3.km' },
  'payloads/node/bin/node.km': 'node\n',
};

export const SAMPLE_ARCHIVES: RawArchives = [
  { name: 'kontain.tar.gz', files: ['bin', 'runtime', 'include'] },
  { name: 'kontain-python.tar.gz', files: ['payloads/python'] },
  { name: 'kontain-node.tar.gz', files: ['payloads/node'] },
];

/** The in-toto statement of `dir`'s provenance.intoto.jsonl (one DSSE envelope), decoded. */
export function provenanceOf(dir: string): Statement {
  const envelope = JSON.parse(readFileSync(path.join(dir, PROVENANCE_FILE), 'utf8')) as DsseEnvelope;
  return JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Statement;
}

/** The sha256 of every file of `dir` (dot files too), by name. */
export function sha256Of(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((n) => [
        n,
        createHash('sha256')
          .update(readFileSync(path.join(dir, n)))
          .digest('hex'),
      ]),
  );
}

/** The names of the files that differ between two directories, or that only one of them holds, sorted. */
export function changedFiles(a: string, b: string): string[] {
  const [x, y] = [sha256Of(a), sha256Of(b)];
  return [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((n) => x[n] !== y[n]).sort();
}

/**
 * Assert that `b` holds exactly the files of `a` (dot files too), byte for byte: by the sha256 of each, and by GNU
 * sha256sum's own check (every file of `a` listed by `sha256sum` there, checked in `b` by `sha256sum --check
 * --strict`, which fails on any mismatch or missing file). Returns the files' names.
 */
export function expectSameFiles(a: string, b: string): string[] {
  const files = sha256Of(a);
  expect(sha256Of(b)).to.deep.equal(files);
  const names = Object.keys(files);
  const listing = execFileSync('sha256sum', ['--', ...names], { cwd: a, encoding: 'utf8' });
  const check = execFileSync('sha256sum', ['--check', '--strict', '-'], {
    cwd: b,
    input: listing,
    encoding: 'utf8',
  });
  expect(check).to.equal(names.map((n) => `${n}: OK\n`).join(''));
  return names;
}
