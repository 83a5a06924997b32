/**
 * The one rule for the repository krel publishes to ("owner/name"), wherever it comes from (krel.json "repo",
 * GITHUB_REPOSITORY). The names go into GitHub URLs and become directories of a local store, so they are
 * held to GitHub's own rules: an owner is letters, digits and single inner hyphens, at most 39 characters; a
 * repository is letters, digits, ".", "_" and "-", at most 100 characters, and never "." or "..".
 */
import { UsageError } from '../errors/index.js';

export const MAX_OWNER = 39;
export const MAX_REPO = 100;

/** Why `full` is not a GitHub "owner/name", or undefined when it is. */
export function repoNameProblem(full: string): string | undefined {
  const parts = full.split('/');
  if (parts.length !== 2) return 'must be owner/name, e.g. kontainapp/km';
  const [owner = '', name = ''] = parts;
  if (!/^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$/.test(owner))
    return `has owner ${JSON.stringify(owner)}: an owner is letters, digits and single hyphens, not first or last`;
  if (owner.length > MAX_OWNER) return `has an owner longer than ${MAX_OWNER} characters`;
  if (!/^[A-Za-z0-9._-]+$/.test(name))
    return `has repository name ${JSON.stringify(name)}: a name is letters, digits, ".", "_" and "-"`;
  if (name === '.' || name === '..') return `has repository name "${name}"`;
  if (name.length > MAX_REPO) return `has a repository name longer than ${MAX_REPO} characters`;
  return undefined;
}

/** Refuse a repository GitHub could not have, naming where it came from; returns it unchanged. */
export function checkRepo(full: string, source: string): string {
  const problem = repoNameProblem(full);
  if (problem !== undefined) {
    const shown = full.length > 160 ? `${full.slice(0, 140)}…` : full;
    throw new UsageError(`repository ${JSON.stringify(shown)} (from ${source}) ${problem}`);
  }
  return full;
}
