/** The publish plan: a plain, serialisable document; --dry-run prints it, applyPublishPlan runs it. */
import type { RunIdentity } from './lease.js';
import type { NotesSource } from './notes.js';

/** What a publish does with the tag (the JSON field `action`). */
export type PublishMode = 'create' | 'replace' | 'refuse';

/** One thing a publish does, in the order apply does it. */
export type PublishPlanAction =
  | { kind: 'delete-stale-draft'; releaseId: string; commit: string }
  | { kind: 'create-draft'; commit: string }
  | { kind: 'resume-draft'; releaseId: string }
  | { kind: 'keep-asset'; name: string }
  | { kind: 'delete-asset'; name: string; reason: string }
  | { kind: 'upload'; name: string; size: number; sha256: string }
  /** Right before the swap: stand down if another run published, deleted the old release or is newer. */
  | { kind: 'recheck'; existing: string | null }
  | { kind: 'delete-old'; releaseId: string }
  | { kind: 'move-tag'; from: string | null; to: string }
  | { kind: 'publish'; prerelease: boolean; makeLatest: 'true' | 'false' | 'legacy' }
  | { kind: 'verify-download'; name: string };

export interface PlanAsset {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
}

export interface PublishPlan {
  version: 1;
  kind: 'publish';
  store: string;
  tag: string;
  tagSource: string;
  /** What the tag rules say about this tag. */
  rule: 'replace' | 'refuse';
  action: PublishMode;
  /** Why the plan refuses, one line each (action 'refuse' only). */
  refusals: string[];
  warnings: string[];
  flags: { prerelease: boolean; makeLatest: 'true' | 'false' | 'legacy' };
  commit: string;
  commitSource: string;
  dist: string;
  notes: { source: NotesSource; path?: string; body: string };
  /** The existing published release that a replace deletes. */
  existing?: { id: string; url: string; commit: string };
  assets: PlanAsset[];
  /** This run: its id and start time go into the draft's lease (lease.ts). */
  run: RunIdentity;
  /** Empty when the plan refuses. */
  actions: PublishPlanAction[];
}
