/** `krel publish`: make dist/ a release, with the tag rules and nothing half-done ever visible. */
import { Command } from 'commander';
import { commandIo } from '../context.js';
import type { PublishFlags } from './publish-run.js';

export function publishCommand(): Command {
  return new Command('publish')
    .description(
      'publish dist/ as the release of the tag (RELEASE_TAG, else the CI tag ref, else the default)',
    )
    .option('--store <spec>', '"github" or "dir:PATH" (default: krel.json release.store)')
    .option(
      '--commit <sha>',
      'commit to pin the release to (default: GITHUB_SHA, BUILD_SOURCEVERSION, git HEAD)',
    )
    .option('--dist <dir>', 'directory holding the assets and SHA256SUMS (default: krel.json "out")')
    .addHelpText(
      'after',
      `
Preflight (read-only): token and repository, tag rule, immutable releases, asset limits, every asset re-hashed
against SHA256SUMS. Then a draft pinned to the commit gets every asset (each verified by size and sha256);
only then is an existing release of a replace tag deleted, the tag moved and the draft published; finally
each public download is hashed. A rerun resumes krel's own leftover draft.
--dry-run prints the plan (--json: as JSON) and changes nothing; it exits 3 when the plan refuses.
Output: the release URL on stdout (--json: {url, id, tag, action, assets, done}: done lists the actions carried out).

Exit codes: 0 published (or planned); 2 bad tag, config or missing dist/; 3 refused (tag rule, draft not
made by krel, immutable release, missing or rejected token, dist/ not matching SHA256SUMS), nothing changed;
4 failed part-way (the message says what is left); 130 interrupted (draft deleted, old release untouched).`,
    )
    .action(async (flags: PublishFlags, cmd: Command) => {
      const { runPublish } = await import('./publish-run.js');
      await runPublish(commandIo(cmd), flags);
    });
}
