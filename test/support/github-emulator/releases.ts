/** Release rules shared by the routes: tag checks, publishing (creates the tag), latest, immutability. */
import { validationFailed } from './http.js';
import type { EmulatorState, EmuRelease, EmuRepo } from './state.js';
import { nowIso } from './state.js';

export function validTagName(tag: string): boolean {
  return (
    tag.length > 0 &&
    !/[\s~^:?*[\\]|\.\.|@\{|\/\/|^[-/.]|[/.]$|\.lock$/.test(tag) &&
    // eslint-disable-next-line no-control-regex
    !/[\x00-\x1f\x7f]/.test(tag)
  );
}

/** Refuse a tag another published release (or a deleted immutable one) holds. */
export function guardTagFree(repo: EmuRepo, tag: string, self?: EmuRelease): void {
  if (repo.burnedTags.has(tag))
    throw validationFailed(
      'Release',
      'already_exists',
      'tag_name',
      'tag_name was used by an immutable release',
    );
  if (repo.releases.some((r) => r !== self && !r.draft && r.tagName === tag))
    throw validationFailed('Release', 'already_exists', 'tag_name');
}

export function recomputeLegacyLatest(repo: EmuRepo): void {
  const candidates = repo.releases.filter((r) => !r.draft && !r.prerelease);
  candidates.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id - a.id);
  repo.latestReleaseId = candidates[0]?.id;
}

export function applyMakeLatest(repo: EmuRepo, release: EmuRelease, makeLatest: string | undefined): void {
  if (release.draft) return;
  const mode = makeLatest ?? 'true';
  if (mode === 'true' && !release.prerelease) repo.latestReleaseId = release.id;
  else if (mode === 'legacy') recomputeLegacyLatest(repo);
  else if (repo.latestReleaseId === release.id && release.prerelease) recomputeLegacyLatest(repo);
}

/** draft -> published: the tag is created at target_commitish when missing, as GitHub does. */
export function publish(state: EmulatorState, repo: EmuRepo, release: EmuRelease): void {
  guardTagFree(repo, release.tagName, release);
  const ref = `refs/tags/${release.tagName}`;
  if (!repo.refs.has(ref)) {
    const sha = state.resolveCommitish(repo, release.targetCommitish);
    if (sha === undefined) throw validationFailed('Release', 'invalid', 'target_commitish');
    repo.refs.set(ref, sha);
  }
  release.draft = false;
  release.publishedAt = nowIso();
  release.immutable = repo.immutableReleases;
}
