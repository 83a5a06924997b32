/**
 * Tag rules: a tag matching a replace pattern replaces its existing release; any other tag with a release is
 * refused. semver decides the release flags: a prerelease is never marked latest.
 */
import picomatch from 'picomatch';
import semver from 'semver';

export type TagRule = 'replace' | 'refuse';

export function tagRule(tag: string, replacePatterns: readonly string[]): TagRule {
  return replacePatterns.some((p) => tagMatches(tag, p)) ? 'replace' : 'refuse';
}

/** Does the tag match the pattern? (prune and delete use this to stay inside a pattern.) */
export function tagMatches(tag: string, pattern: string): boolean {
  return picomatch.isMatch(tag, pattern, { dot: true });
}

export interface ReleaseFlags {
  prerelease: boolean;
  makeLatest: 'true' | 'false' | 'legacy';
  /** The tag read as semver (coerced: v0.9-beta -> 0.9.0-beta), or undefined when it has no version. */
  version?: string;
}

export function releaseFlags(tag: string, latest: boolean | 'legacy'): ReleaseFlags {
  const parsed = semver.coerce(tag, { includePrerelease: true });
  if (parsed === null) return { prerelease: true, makeLatest: 'false' };
  const prerelease = parsed.prerelease.length > 0;
  const makeLatest = prerelease ? 'false' : latest === 'legacy' ? 'legacy' : latest ? 'true' : 'false';
  return { prerelease, makeLatest, version: parsed.version };
}
