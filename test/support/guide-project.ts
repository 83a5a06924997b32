/**
 * A project for validating a guide other than krel's own: a krel.json naming the guide, krel's install script
 * and the given validate.steps overrides (the release files come from --dist).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './cli.js';

/** A guide written the way real ones are: transcripts, shell in a C fence, a prose install, placeholders. */
export const REAL_STYLE_GUIDE = path.join(REPO_ROOT, 'test/fixtures/guides/kontain-release.md');

/** The overrides that make REAL_STYLE_GUIDE run, as a release engineer would write them. */
export const REAL_STYLE_OVERRIDES = [
  {
    index: 1,
    before:
      'sudo mkdir -p /opt/kontain && sudo chown "$(id -u):$(id -g)" /opt/kontain && ' +
      'curl -fsSL "$KONTAIN_RELEASES_REPO_URL/kontain-install.sh" | bash',
    timeout: 600,
  },
  {
    match: 'releases/download/v0\\.9\\.1',
    replace: [
      [
        'https://github\\.com/kontainapp/km/releases/download/v0\\.9\\.1',
        '$KONTAIN_RELEASE_URL/$RELEASE_TAG',
      ],
    ],
  },
  { match: '^dir=\\$\\(mktemp -d\\)', run: true },
  { match: '^int main\\(void\\)', file: 'second.c' },
  { match: '^(Docker|Kubernetes)$', skip: 'needs a container engine or a cluster' },
  { match: '<download link TBD>', skip: 'faktory is not released yet' },
];

/** Writes <dir>/krel.json for `doc` with these overrides; returns its path. */
export function writeGuideConfig(
  dir: string,
  doc: string,
  steps: readonly object[] = REAL_STYLE_OVERRIDES,
): string {
  const file = path.join(dir, 'krel.json');
  const config = {
    repo: 'kontainapp/km',
    archives: [{ name: 'kontain.tar.gz', files: ['bin'] }],
    validate: { doc, installScript: path.join(REPO_ROOT, 'km-releases/kontain-install.sh'), steps },
  };
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return file;
}
