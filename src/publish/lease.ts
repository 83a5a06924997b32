/**
 * Draft leases: which of krel's drafts belong to a run that is still going, and which are abandoned.
 *
 * Every run has an id and a start time, written into its draft (marker.ts) and refreshed by a heartbeat. A
 * draft of another run is stale (abandoned: krel may delete or resume it) only when its run released it, or
 * its last heartbeat is older than the lease (15 minutes; KREL_DRAFT_LEASE_MS overrides), or it carries no
 * lease and was created longer than the lease ago. Anything else is live and never touched by another run.
 *
 * Two live runs of one tag: the newer one proceeds (later `started`; equal times: the greater run id), the
 * older one stands down at its pre-swap check. The newest push of a replace tag is the one that should win.
 */
import { randomBytes } from 'node:crypto';
import type { StoredRelease } from '../store/types.js';
import { type DraftLease, parseLease, parseMarker } from './marker.js';

export const DEFAULT_LEASE_MS = 15 * 60_000;

export interface RunIdentity {
  id: string;
  /** ISO start time. */
  started: string;
  leaseMs: number;
}

export function newRun(leaseMs = DEFAULT_LEASE_MS, now = new Date()): RunIdentity {
  return { id: randomBytes(6).toString('hex'), started: now.toISOString(), leaseMs };
}

export type DraftHolder = 'mine' | 'live' | 'stale';

/** Whose is this krel draft, as seen by `run` at `now` (ms)? */
export function draftHolder(release: StoredRelease, run: RunIdentity, now: number): DraftHolder {
  const lease = parseLease(release.body);
  if (lease?.run === run.id) return 'mine';
  if (lease?.released === true) return 'stale';
  const since = lease?.beat ?? release.createdAt;
  const t = since === undefined ? NaN : Date.parse(since);
  if (Number.isNaN(t)) return 'stale';
  return now - t > run.leaseMs ? 'stale' : 'live';
}

/** Does lease `a` win over lease `b` (newer start, then the greater run id)? */
export function outranks(a: DraftLease, b: DraftLease): boolean {
  const ta = Date.parse(a.started);
  const tb = Date.parse(b.started);
  if (ta !== tb) return ta > tb;
  return a.run > b.run;
}

/** Another run's live draft of the tag, described for a message. */
export function describeRival(r: StoredRelease): string {
  const lease = parseLease(r.body);
  const commit = parseMarker(r.body)?.commit ?? r.targetCommitish;
  return `draft ${r.id} of run ${lease?.run ?? '?'} (commit ${commit}, started ${lease?.started ?? r.createdAt ?? '?'})`;
}
