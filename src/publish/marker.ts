/**
 * The marker krel puts in the body of its own drafts, so a rerun can tell its leftover draft (resume it)
 * from somebody else's (refuse). An HTML comment: invisible on the release page.
 */

export interface DraftMarker {
  tag: string;
  commit: string;
}

export function formatMarker(m: DraftMarker): string {
  return `<!-- krel:draft tag=${m.tag} commit=${m.commit} -->`;
}

export function parseMarker(body: string | undefined | null): DraftMarker | undefined {
  const m = /<!-- krel:draft tag=(\S+) commit=(\S+) -->/.exec(body ?? '');
  return m === null ? undefined : { tag: m[1]!, commit: m[2]! };
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

export function withMarker(body: string, m: DraftMarker): string {
  return `${body.trimEnd()}\n\n${formatMarker(m)}\n`;
}
