/**
 * Registry credentials and authentication challenges.
 * Credentials: KREL_REGISTRY_USER + KREL_REGISTRY_PASSWORD, else REGISTRY_AUTH_FILE (containers-auth.json),
 * else $DOCKER_CONFIG/config.json or ~/.docker/config.json — the last two share the `auths` format:
 * { "auths": { "HOST[:PORT]": { "auth": base64("user:password") } | { "username", "password" } } }.
 * Every secret found is registered for redaction before it is used.
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError, errorMessage } from '../errors/index.js';
import { addSecret } from '../log/redact.js';

export interface Credentials {
  username: string;
  password: string;
  /** Where they came from (for messages; never the secret). */
  from: string;
}

interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
}

/** "https://index.docker.io/v1/" -> "index.docker.io"; "127.0.0.1:5000/x" -> "127.0.0.1:5000". */
function hostOfKey(key: string): string {
  return key.replace(/^[a-z]+:\/\//, '').split('/')[0]!;
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

function sameHost(a: string, b: string): boolean {
  return a === b || (DOCKER_HUB.has(a) && DOCKER_HUB.has(b));
}

function fromEntry(e: AuthEntry, from: string): Credentials | undefined {
  if (e.auth !== undefined && e.auth !== '') {
    addSecret(e.auth);
    const text = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw new UsageError(`${from}: "auth" is not base64 of "user:password": log in again`);
    const password = text.slice(colon + 1);
    addSecret(password);
    return { username: text.slice(0, colon), password, from };
  }
  if (e.username !== undefined && e.password !== undefined) {
    addSecret(e.password);
    return { username: e.username, password: e.password, from };
  }
  return undefined;
}

async function fromFile(file: string, host: string, required: boolean): Promise<Credentials | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read registry credentials ${file}: ${errorMessage(e)}`);
  }
  let data: { auths?: Record<string, AuthEntry> };
  try {
    data = JSON.parse(text) as typeof data;
  } catch {
    throw new UsageError(`${file}: not valid JSON: fix it or point REGISTRY_AUTH_FILE elsewhere`);
  }
  for (const [key, entry] of Object.entries(data.auths ?? {}))
    if (sameHost(hostOfKey(key), host)) return fromEntry(entry, file);
  return undefined;
}

export async function findCredentials(
  host: string,
  env: NodeJS.ProcessEnv,
): Promise<Credentials | undefined> {
  const user = env.KREL_REGISTRY_USER;
  const password = env.KREL_REGISTRY_PASSWORD;
  if (user !== undefined && user !== '' && password !== undefined) {
    addSecret(password);
    return { username: user, password, from: 'KREL_REGISTRY_USER/KREL_REGISTRY_PASSWORD' };
  }
  if (env.REGISTRY_AUTH_FILE !== undefined && env.REGISTRY_AUTH_FILE !== '')
    return fromFile(env.REGISTRY_AUTH_FILE, host, true);
  const dockerDir = env.DOCKER_CONFIG ?? path.join(env.HOME ?? os.homedir(), '.docker');
  return fromFile(path.join(dockerDir, 'config.json'), host, false);
}

export function basicHeader(c: Credentials): string {
  const value = Buffer.from(`${c.username}:${c.password}`).toString('base64');
  addSecret(value);
  return `Basic ${value}`;
}

/** One WWW-Authenticate challenge: scheme and its parameters (RFC 7235). */
export interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse `Bearer realm="https://a/token",service="reg",scope="repository:x:pull,push"` (first challenge). */
export function parseChallenge(header: string | undefined): Challenge | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s*(.*)$/s.exec(header);
  if (m === null) return undefined;
  const params: Record<string, string> = {};
  const re = /\s*([A-Za-z0-9!#$%&'*+.^_`|~-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/gy;
  const rest = m[2]!;
  let p: RegExpExecArray | null;
  while (re.lastIndex < rest.length && (p = re.exec(rest)) !== null) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]!;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}
