/**
 * The Debian mirror this machine's apt uses (read from /etc/apt/sources.list and sources.list.d, one-line and
 * deb822 formats), and a check that it serves a suite before an image build starts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { errorMessage, UsageError } from '../errors/index.js';

export interface AptSource {
  uri: string;
  suites: string[];
}

/** Sources from one file's text. `deb822` for *.sources, else the one-line format. Only "deb" entries. */
export function parseAptSources(text: string, deb822: boolean): AptSource[] {
  if (!deb822) {
    const out: AptSource[] = [];
    for (const raw of text.split('\n')) {
      const line = raw.replace(/#.*/, '').trim();
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line);
      if (m?.[1] !== undefined && m[2] !== undefined) out.push({ uri: m[1], suites: [m[2]] });
    }
    return out;
  }
  const out: AptSource[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last = '';
    for (const raw of block.split('\n')) {
      if (raw.startsWith('#')) continue;
      const cont = /^\s+(\S.*)$/.exec(raw);
      if (cont?.[1] !== undefined && last !== '') {
        fields.set(last, `${fields.get(last) ?? ''} ${cont[1]}`);
        continue;
      }
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m?.[1] === undefined || m[2] === undefined) continue;
      last = m[1].toLowerCase();
      fields.set(last, m[2].trim());
    }
    if (!(fields.get('types') ?? '').split(/\s+/).includes('deb')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const suites = (fields.get('suites') ?? '').split(/\s+/).filter(Boolean);
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) out.push({ uri, suites });
  }
  return out;
}

/** The first main Debian archive (not security, not a third-party repo) among the sources apt reads. */
function pickDebianMirror(sources: readonly AptSource[]): string | undefined {
  const main = sources.find(
    (s) =>
      /\/debian\/?$/.test(s.uri) && s.suites.some((suite) => !/-(security|updates|backports)$/.test(suite)),
  );
  return main?.uri.replace(/\/+$/, '');
}

export function readDebianMirror(aptDir = '/etc/apt'): string {
  const sources: AptSource[] = [];
  const read = (file: string, deb822: boolean): void => {
    try {
      sources.push(...parseAptSources(readFileSync(file, 'utf8'), deb822));
    } catch {
      // a missing file is simply no sources
    }
  };
  read(path.join(aptDir, 'sources.list'), false);
  let names: string[] = [];
  try {
    names = readdirSync(path.join(aptDir, 'sources.list.d')).sort();
  } catch {
    names = [];
  }
  for (const name of names) {
    if (name.endsWith('.list')) read(path.join(aptDir, 'sources.list.d', name), false);
    else if (name.endsWith('.sources')) read(path.join(aptDir, 'sources.list.d', name), true);
  }
  const mirror = pickDebianMirror(sources);
  if (mirror === undefined) {
    throw new UsageError(
      `no Debian mirror found in ${aptDir}/sources.list(.d): add one (e.g. "deb http://deb.debian.org/debian bookworm main") or set KREL_DEBIAN_MIRROR`,
    );
  }
  return mirror;
}

/** Fails with one clear line when the mirror does not serve `suite` (http(s) mirrors only; others are trusted). */
export async function checkMirrorSuite(
  mirror: string,
  suite: string,
  image: string,
  signal?: AbortSignal,
): Promise<void> {
  if (!/^https?:\/\//.test(mirror)) return;
  const url = `${mirror}/dists/${suite}/InRelease`;
  const timeout = AbortSignal.timeout(15_000);
  let status: number;
  try {
    const res = await fetch(url, {
      method: 'HEAD',
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    status = res.status;
  } catch (e) {
    if (signal?.aborted === true) throw e;
    throw new UsageError(
      `image ${image}: the Debian mirror ${mirror} cannot be reached (${errorMessage(e)}); check the network or set KREL_DEBIAN_MIRROR`,
    );
  }
  if (status !== 200) {
    throw new UsageError(
      `image ${image}: the Debian mirror ${mirror} does not serve suite "${suite}" (${url}: HTTP ${status}); use a mirror that has it (KREL_DEBIAN_MIRROR) or another image`,
    );
  }
}
