/**
 * Tag rules: a tag matching a replace pattern replaces its existing release; any other tag with a release is
 * refused. semver decides the release flags: a prerelease is never marked latest.
 */
import picomatch from 'picomatch';
// Only coerce: the whole of semver (ranges, every comparator) costs every command ~25 ms at start-up.
import coerce from 'semver/functions/coerce.js';

export type TagRule = 'replace' | 'refuse';

export function tagRule(tag: string, replacePatterns: readonly string[]): TagRule {
  return replacePatterns.some((p) => tagMatches(tag, p)) ? 'replace' : 'refuse';
}

/** Does the tag match the pattern? (prune and delete use this to stay inside a pattern.) */
export function tagMatches(tag: string, pattern: string): boolean {
  return picomatch.isMatch(tag, pattern, { dot: true });
}

/** How GitHub shows a release of the tag: a prerelease, and whether it becomes "latest". */
export interface ReleaseVisibility {
  prerelease: boolean;
  makeLatest: 'true' | 'false' | 'legacy';
}

export function releaseVisibility(tag: string, latest: boolean | 'legacy'): ReleaseVisibility {
  const parsed = coerce(tag, { includePrerelease: true });
  if (parsed === null) return { prerelease: true, makeLatest: 'false' };
  const prerelease = parsed.prerelease.length > 0;
  const makeLatest = prerelease ? 'false' : latest === 'legacy' ? 'legacy' : latest ? 'true' : 'false';
  return { prerelease, makeLatest };
}
