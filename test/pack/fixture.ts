/** Temporary source trees and configs for packager tests. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
