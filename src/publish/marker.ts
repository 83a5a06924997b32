/**
 * The marker krel puts in the body of its own drafts, so a rerun can tell its leftover draft (resume it)
 * from somebody else's (refuse). HTML comments: invisible on the release page.
 *
 *   <!-- krel:draft tag=v0.1-test commit=<sha> -->
 *   <!-- krel:lease run=<id> started=<iso> beat=<iso> -->          (released=1 once its run gave it up)
 *
 * The lease says which run owns the draft and when that run last showed it is alive (see lease.ts).
 */

export interface DraftMarker {
  tag: string;
  commit: string;
}

export interface DraftLease {
  /** The run that owns the draft. */
  run: string;
  /** When that run started (ISO): the tie-break between two live runs (see lease.ts). */
  started: string;
  /** The run's last heartbeat (ISO). */
  beat: string;
  /** Set when the run ended and left the draft for a rerun to finish. */
  released?: boolean;
}

export function formatMarker(m: DraftMarker): string {
  return `<!-- krel:draft tag=${m.tag} commit=${m.commit} -->`;
}

export function formatLease(l: DraftLease): string {
  return `<!-- krel:lease run=${l.run} started=${l.started} beat=${l.beat}${l.released ? ' released=1' : ''} -->`;
}

export function parseMarker(body: string | undefined | null): DraftMarker | undefined {
  const m = /<!-- krel:draft tag=(\S+) commit=(\S+) -->/.exec(body ?? '');
  return m === null ? undefined : { tag: m[1]!, commit: m[2]! };
}

export function parseLease(body: string | undefined | null): DraftLease | undefined {
  const m = /<!-- krel:lease run=(\S+) started=(\S+) beat=(\S+)( released=1)? -->/.exec(body ?? '');
  if (m === null) return undefined;
  return { run: m[1]!, started: m[2]!, beat: m[3]!, ...(m[4] ? { released: true } : {}) };
}

/**
 * The tag name a draft is created under: GitHub refuses a second release of a tag (drafts included) while the
 * old one exists, so the draft takes a temporary name and is renamed to the real tag when it is published.
 */
export function draftTagName(tag: string): string {
  return `krel-draft/${tag}`;
}

/** Is this release of `tag`, or krel's draft for it? */
export function isForTag(release: { tag: string; body: string }, tag: string): boolean {
  return release.tag === tag || parseMarker(release.body)?.tag === tag;
}

/** `body` with the marker (and the lease, when given) appended; an earlier lease line is replaced. */
export function withMarker(body: string, m: DraftMarker, lease?: DraftLease): string {
  const text = stripMarker(body);
  return `${text}\n\n${formatMarker(m)}\n${lease ? `${formatLease(lease)}\n` : ''}`;
}

/** The body without krel's marker and lease lines. */
export function stripMarker(body: string): string {
  return body
    .replace(/\n*<!-- krel:draft [^\n]*-->\n?/g, '\n')
    .replace(/\n*<!-- krel:lease [^\n]*-->\n?/g, '\n')
    .trimEnd();
}
