/**
 * buildPublishPlan: a pure function from the gathered facts to the plan. Every tag rule, resume decision and
 * preflight refusal is decided here, so --dry-run shows exactly what a publish would do.
 */
import { RefusedError } from '../errors/index.js';
import type { StoreInfo, StoredRelease } from '../store/types.js';
import { releaseVisibility, tagRule, type ResolvedTag } from '../tag/index.js';
import type { ResolvedCommit } from '../context/commit.js';
import type { LocalAssets } from './local-assets.js';
import { describeRival, draftHolder, newRun, type RunIdentity } from './lease.js';
import { parseMarker } from './marker.js';
import { assetListNotes, type NotesFacts } from './notes.js';
import type { PlanAsset, PublishPlan, PublishPlanAction } from './plan-types.js';

export interface PublishFacts {
  store: StoreInfo;
  tag: ResolvedTag;
  replacePatterns: readonly string[];
  latest: boolean | 'legacy';
  commit: ResolvedCommit;
  local: LocalAssets;
  /** Every release (published or draft) of the tag being published, and krel's drafts for it. */
  releases: StoredRelease[];
  /** The commit the git tag points at now, if the tag exists. */
  tagCommit: string | undefined;
  notes: NotesFacts;
  /** This run (id, start, lease); default: a fresh run with the default lease. */
  run?: RunIdentity;
  /** The time the facts were read (ms); default: now. Decides which drafts are stale. */
  now?: number;
}

const digestOf = (sha256: string): string => `sha256:${sha256}`;

export function buildPublishPlan(f: PublishFacts): PublishPlan {
  const tag = f.tag.tag;
  const commit = f.commit.commit;
  const rule = tagRule(tag, f.replacePatterns);
  const flags = releaseVisibility(tag, f.latest);
  const refusals = [...f.local.problems];
  const warnings: string[] = [];

  if (f.store.canWrite === false)
    refusals.push(`the credentials cannot write releases to ${f.store.description}`);

  const published = f.releases.find((r) => !r.draft && r.tag === tag);
  const drafts = f.releases
    .filter((r) => r.draft)
    .map((release) => ({ release, marker: parseMarker(release.body) }));
  const foreign = drafts.filter((d) => d.marker?.tag !== tag);
  const run = f.run ?? newRun();
  const now = f.now ?? Date.now();
  // Only abandoned drafts (lease.ts) are krel's to resume or delete; a live one belongs to a run still going.
  const own = drafts.filter((d) => d.marker?.tag === tag);
  const abandoned = own.filter((d) => draftHolder(d.release, run, now) === 'stale');
  const live = own.filter((d) => !abandoned.includes(d));
  const resume = abandoned.find((d) => d.marker?.commit === commit)?.release;
  const stale = abandoned.filter((d) => d.release !== resume);
  for (const d of live) {
    warnings.push(
      `another krel publish of ${tag} is under way (${describeRival(d.release)}): the newer run publishes, ` +
        'the older one stands down',
    );
  }

  for (const d of foreign) {
    refusals.push(
      `a draft release of ${tag} (id ${d.release.id}) exists that krel did not make: delete it or publish another tag`,
    );
  }
  if (published !== undefined && rule === 'refuse') {
    refusals.push(
      `release ${tag} already exists (${published.url}) and ${tag} matches no replace pattern ` +
        `(${f.replacePatterns.join(', ') || 'none'}): publish a new tag`,
    );
  }
  if (published?.immutable === true) {
    refusals.push(`release ${tag} is immutable: it can never be replaced or deleted; publish a new tag`);
  } else if (rule === 'replace' && f.store.immutableReleases === true) {
    refusals.push(
      `${f.store.description} makes published releases immutable, and ${tag} is a replace tag: its first ` +
        'publish would burn the tag so it could never be replaced; turn off immutable releases or use a non-replace tag',
    );
  } else if (rule === 'replace' && f.store.immutableReleases === 'unknown') {
    warnings.push(
      `cannot read whether ${f.store.description} has immutable releases; a replace may be refused by the store`,
    );
  }
  if (rule === 'refuse' && published === undefined && f.tagCommit !== undefined && f.tagCommit !== commit) {
    refusals.push(
      `tag ${tag} already points at ${f.tagCommit}, not ${commit}, and is not a replace tag: ` +
        `publish that commit (--commit ${f.tagCommit}) or another tag`,
    );
  }

  const assets = f.local.assets.map((a) => ({
    name: a.name,
    size: a.size,
    sha256: a.sha256,
    contentType: a.contentType,
  }));
  const listBody = assetListNotes(tag, assets);
  const notes: PublishPlan['notes'] = f.notes.file
    ? { source: 'file', path: f.notes.file.path, body: f.notes.file.text }
    : { source: f.notes.generateNotes ? 'generate' : 'list', body: listBody };

  const base: Omit<PublishPlan, 'action' | 'actions'> = {
    version: 1,
    kind: 'publish',
    store: f.store.description,
    tag,
    tagSource: f.tag.source,
    rule,
    refusals,
    warnings,
    flags: { prerelease: flags.prerelease, makeLatest: flags.makeLatest },
    commit,
    commitSource: f.commit.source,
    dist: f.local.dist,
    notes,
    ...(published
      ? { existing: { id: published.id, url: published.url, commit: published.targetCommitish } }
      : {}),
    assets,
    run,
  };
  if (refusals.length > 0) return { ...base, action: 'refuse', actions: [] };

  const actions: PublishPlanAction[] = stale.map((d) => ({
    kind: 'delete-stale-draft',
    releaseId: d.release.id,
    commit: d.marker?.commit ?? '',
  }));
  if (resume === undefined) {
    actions.push({ kind: 'create-draft', commit });
    for (const a of assets) actions.push({ kind: 'upload', name: a.name, size: a.size, sha256: a.sha256 });
  } else {
    actions.push({ kind: 'resume-draft', releaseId: resume.id });
    for (const a of resume.assets) {
      const want = assets.find((x) => x.name === a.name);
      if (want === undefined) actions.push({ kind: 'delete-asset', name: a.name, reason: 'not in dist/' });
      else if (a.state !== 'uploaded')
        actions.push({ kind: 'delete-asset', name: a.name, reason: `state ${a.state}` });
      else if (a.size !== want.size || a.digest !== digestOf(want.sha256))
        actions.push({ kind: 'delete-asset', name: a.name, reason: 'size or digest differs' });
    }
    // Kept assets first, then the uploads together: apply runs consecutive uploads at once.
    const kept = (a: PlanAsset): boolean =>
      resume.assets.some(
        (x) =>
          x.name === a.name && x.state === 'uploaded' && x.size === a.size && x.digest === digestOf(a.sha256),
      );
    for (const a of assets.filter(kept)) actions.push({ kind: 'keep-asset', name: a.name });
    for (const a of assets.filter((x) => !kept(x)))
      actions.push({ kind: 'upload', name: a.name, size: a.size, sha256: a.sha256 });
  }
  actions.push({ kind: 'recheck', existing: published?.id ?? null });
  if (published !== undefined) actions.push({ kind: 'delete-old', releaseId: published.id });
  actions.push({ kind: 'publish', prerelease: flags.prerelease, makeLatest: flags.makeLatest });
  // After publishing, never before: only the run whose publish succeeded ever moves the tag (swap.ts).
  if (f.tagCommit !== commit) actions.push({ kind: 'move-tag', from: f.tagCommit ?? null, to: commit });
  for (const a of assets) actions.push({ kind: 'verify-download', name: a.name });
  return { ...base, action: published ? 'replace' : 'create', actions };
}

/** The error a refused plan stops with: its first reason as the message, the others as details. */
export function refusalError(plan: PublishPlan): RefusedError {
  return new RefusedError(plan.refusals[0] ?? `publishing ${plan.tag} is refused`, {
    details: plan.refusals.slice(1),
  });
}
