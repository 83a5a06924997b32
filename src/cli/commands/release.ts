/** `krel release`: the whole pipeline in one command, with the CI workflow's gates. */
import { Command, Option } from 'commander';
import { commandIo } from '../context.js';
import { positiveInt } from '../options.js';
import type { ReleaseFlags } from './release-run.js';

export function releaseCommand(): Command {
  return new Command('release')
    .description('make -> validate the local dist on a fresh VM -> publish -> validate the published release')
    .option('--store <spec>', '"github" or "dir:PATH" (default: krel.json release.store)')
    .option('--vm [images]', 'guest images to validate on, comma-separated (default: krel.json validate.vm)')
    .addOption(
      new Option(
        '--host <user@host[:port]>',
        'validate on an existing machine over SSH instead (repeatable)',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('--identity <key>', 'private key file for --host')
    .option('--known-host-key <fingerprint>', 'pin the --host key: SHA256:... as `ssh-keygen -l` prints it')
    .option('--known-hosts <file>', 'pin the --host key from this known_hosts file')
    .option('--doc <file>', 'steps document (default: krel.json validate.doc, GettingStarted.md)')
    .option('--vm-network', 'give the VMs real network access (needed to validate a GitHub release)', false)
    .option(
      '--commit <sha>',
      'commit to pin the release to (default: GITHUB_SHA, BUILD_SOURCEVERSION, git HEAD)',
    )
    .option('-o, --out <dir>', 'output directory of make (default: krel.json "out")')
    .option('--junit-dir <dir>', 'write validate-dist.xml and validate-release.xml (JUnit) here')
    .option(
      '--images-registry <reg>',
      'push the runenv images of krel.json here (HOST[:PORT]/NAMESPACE or oci:PATH); default: build only',
    )
    .option('--images-tag <tag>', 'push only this tag (e.g. CI-<build id>) instead of latest and the commit')
    .option('--plain-http', 'talk plain http to --images-registry (a local registry)')
    .addOption(
      new Option(
        '--step-timeout <seconds>',
        'default step timeout (default: krel.json validate.stepTimeout)',
      ).argParser(positiveInt),
    )
    .addHelpText(
      'after',
      `
Steps: preflight (tag rule and store, read-only) -> make -> validate dist -> images (skipped without "images"
in krel.json) -> publish -> validate release.
A step that fails stops the pipeline: a failed validation of the local dist publishes nothing (exit 5), a tag
the rules refuse fails before anything is built (exit 3). The tag is resolved once (RELEASE_TAG, else the CI
tag ref, else the default) and used by every step. --dry-run runs the preflight and prints the plan.
--json prints {tag, url, steps, manifest, validateDist, images, publish, validateRelease} on stdout.

Exit codes: those of the failing step (2 usage, 3 refused, 4 part-way, 5 validation failed, 130 interrupted).`,
    )
    .action(async (flags: ReleaseFlags, cmd: Command) => {
      const { runRelease } = await import('./release-run.js');
      await runRelease(commandIo(cmd), flags);
    });
}
