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

export function withMarker(body: string, m: DraftMarker): string {
  return `${body.trimEnd()}\n\n${formatMarker(m)}\n`;
}
