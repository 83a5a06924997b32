/**
 * Secret redaction. Every string the logger, reports and error printer emit passes through redact().
 * Secrets are registered once (tokens from the environment, passwords from config or from URLs) and replaced
 * by ***; the user and password of any URL ("scheme://user:password@host") are replaced as well.
 */

const secrets = new Set<string>();

/** Environment variables whose values are always treated as secrets when set. */
const SECRET_ENV_VARS = [
  'GITHUB_RELEASE_TOKEN',
  'GITHUB_TOKEN',
  'GH_TOKEN',
  'KREL_REGISTRY_PASSWORD',
  'SYSTEM_ACCESSTOKEN',
] as const;

/** Environment variables holding URLs krel reads or passes on: their user and password are secrets. */
const URL_ENV_VARS = [
  'GITHUB_API_URL',
  'GITHUB_SERVER_URL',
  'KREL_DEBIAN_MIRROR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'http_proxy',
  'https_proxy',
] as const;

/** Register a secret, whatever its length or shape: a 3-character token is as secret as a long one. */
export function addSecret(value: string | undefined): void {
  if (value === undefined || value === '') return;
  secrets.add(value);
  // The same secret as it appears inside a URL.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
}

/**
 * The credential of a URL-like value: the password of "scheme://user:password@host", or the user of
 * "scheme://token@host" (a token passed as the user name), raw and percent-decoded.
 */
function addUrlSecrets(value: string | undefined): void {
  const m = value === undefined ? null : /^[^:/?#]*:?\/\/([^/?#]*)@/.exec(value);
  if (m === null) return;
  const userinfo = m[1]!;
  const colon = userinfo.indexOf(':');
  const secret = colon === -1 ? userinfo : userinfo.slice(colon + 1);
  addSecret(secret);
  try {
    addSecret(decodeURIComponent(secret));
  } catch {
    // Not valid percent-encoding: the raw value is registered already.
  }
}

export function registerEnvSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_ENV_VARS) addSecret(env[name]);
  for (const name of URL_ENV_VARS) addUrlSecrets(env[name]);
}

/** Patterns that look like credentials even when they were never registered, and what replaces them. */
const PATTERNS: readonly (readonly [RegExp, string])[] = [
  [/\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, '***'],
  [/\bgithub_pat_[A-Za-z0-9_]{20,}\b/g, '***'],
  [/(authorization:\s*(?:token|bearer|basic)\s+)[^\s'"]+/gi, '$1***'],
  // The userinfo of a URL: scheme://user:password@host -> scheme://***@host.
  [/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^\s/?#@]+@/g, '$1***@'],
];

export function redact(text: string): string {
  let out = text;
  // Longest first: a secret that contains a shorter one is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
  return out;
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}
