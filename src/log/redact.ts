/**
 * Secret redaction. Every string the logger, reports and error printer emit passes through redact().
 * Secrets are registered once (tokens from the environment, passwords from config) and replaced by ***.
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

export function addSecret(value: string | undefined): void {
  // Very short values would redact ordinary words; GitHub tokens are far longer.
  if (value !== undefined && value.length >= 6) secrets.add(value);
}

export function registerEnvSecrets(env: NodeJS.ProcessEnv = process.env): void {
  for (const name of SECRET_ENV_VARS) addSecret(env[name]);
}

/** Patterns that look like tokens even when they were never registered. */
const TOKEN_PATTERNS: readonly RegExp[] = [
  /\bgh[pousr]_[A-Za-z0-9]{20,}\b/g,
  /\bgithub_pat_[A-Za-z0-9_]{20,}\b/g,
  /(authorization:\s*(?:token|bearer|basic)\s+)[^\s'"]+/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('***');
  for (const re of TOKEN_PATTERNS)
    out = out.replace(re, (_m, prefix: unknown) => (typeof prefix === 'string' ? `${prefix}***` : '***'));
  return out;
}

/** For tests: forget registered secrets. */
export function clearSecrets(): void {
  secrets.clear();
}
