/**
 * `krel validate`: run the steps of GettingStarted.md (or --doc) on fresh VMs (--vm) or existing hosts (--host)
 * over SSH, against local dist/ (default) or a published release (--release TAG). Exit 5 when a step fails.
 */
import { Command, Option } from 'commander';
import { commandIo } from '../context.js';
import { positiveNumber, positiveInt } from '../options.js';
import { VALIDATE_DEFAULTS } from '../../validate/defaults.js';
import type { ValidateFlags } from './validate-run.js';

export function validateCommand(): Command {
  return new Command('validate')
    .description('run the getting-started steps on a fresh VM or an existing host, over SSH')
    .addOption(
      new Option(
        '--vm [images]',
        'fresh local qemu VMs, comma-separated guest images (default: krel.json validate.vm)',
      ),
    )
    .addOption(
      new Option(
        '--vm-image <file>',
        'a fresh local qemu VM from this cloud image (qcow2 with cloud-init; repeatable); the file is never written',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .addOption(
      new Option(
        '--host <user@host[:port]>',
        'an existing machine over SSH (repeatable); needs --identity',
      ).argParser((v: string, prev: string[] | undefined) => [...(prev ?? []), v]),
    )
    .option('--identity <key>', 'private key file for --host')
    .option('--known-host-key <fingerprint>', 'pin the --host key: SHA256:... as `ssh-keygen -l` prints it')
    .option(
      '--known-hosts <file>',
      'pin the --host key from this known_hosts file (default ~/.ssh/known_hosts)',
    )
    .option('--doc <file>', 'steps document (default: krel.json validate.doc, GettingStarted.md)')
    .option('--dist <dir>', 'install from this local dist/ (default: krel.json out)')
    .option(
      '--release <tag>',
      'install the published release TAG (GitHub, or the local store of release.store)',
    )
    .option('--store <spec>', 'with --release: "github" or "dir:PATH" (default: krel.json release.store)')
    .option('--vm-network', 'give VMs real network access (needed for --release from GitHub)', false)
    .option('--keep', 'leave VMs running afterwards and print how to enter them', false)
    .option(
      '--cold-boot',
      "boot VMs from scratch instead of restoring their image's saved machine state",
      false,
    )
    .option('--junit <file>', 'write a JUnit XML report (one testsuite per target, one testcase per step)')
    .option(
      '--report <file>',
      'write the JSON report (as --json prints it) to a file, e.g. for krel report merge',
    )
    .option('--log-dir <dir>', "write each target's full log (step output included) to <dir>/<target>.log")
    .option('--events <file>', 'write an NDJSON event stream: target, step, status, time, as it happens')
    .option('--fail-fast', 'cancel the other targets when one fails (without it, every target finishes)')
    .addOption(
      new Option(
        '--concurrency <n>',
        'targets validated at once (default: every host, and as many VMs as cores and free memory allow)',
      ).argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--step-timeout <seconds>',
        'default step timeout (default: krel.json validate.stepTimeout)',
      ).argParser(positiveInt),
    )
    .addOption(
      new Option(
        '--timeout-scale <factor>',
        'multiply step timeouts (default: 4 on TCG VMs, else 1)',
      ).argParser(positiveNumber),
    )
    .addOption(
      new Option(
        '--ssh-timeout <seconds>',
        `how long a target may take to answer SSH (default: ${VALIDATE_DEFAULTS.sshTimeoutSec})`,
      ).argParser(positiveInt),
    )
    .option('--show-output <target>', "print only this target's step output (the others' with --verbose)")
    .option(
      '--lint',
      'classify every block of the guide (runs, skipped, suspicious) without booting; exit 2 if one would fail',
    )
    .option('--steps <list>', 'run only these blocks, e.g. 2-5,7 (numbers as --lint prints them)')
    .addOption(
      new Option(
        '--from-step <n>',
        'run blocks n.. after replaying the earlier ones to rebuild the session',
      ).argParser(positiveInt),
    )
    .option('--no-replay', 'with --from-step: do not replay the earlier blocks')
    .addHelpText(
      'after',
      `
Steps: every fenced block of the guide, in order, in one shell session (krel.json validate.session):
sh/bash blocks run as scripts under bash -euo pipefail, console transcripts run their $ lines and compare
the output, other languages and sample output are skipped unless told. Annotations <!-- krel: ... --> and
krel.json validate.steps tune blocks (validate/README.md). Lint runs first: a block that would surely fail
stops the run before any VM boots (exit 2). Log lines are prefixed [target] and [target step N]. Exit 5
when a step fails, 3 when a host key does not match the pinned one, 4 when a target could not be
provisioned or reached.`,
    )
    .action(async (flags: ValidateFlags, cmd: Command) => {
      const { runValidate } = await import('./validate-run.js');
      await runValidate(commandIo(cmd), flags);
    });
}
