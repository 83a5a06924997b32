/**
 * `krel validate`: run the steps of GettingStarted.md (or --doc) on fresh VMs (--vm) or existing hosts (--host)
 * over SSH, against local dist/ (default) or a published release (--release TAG). Exit 5 when a step fails.
 */
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { appendStepSummary } from '../../log/ci.js';
import { redact } from '../../log/redact.js';
import {
  applyValidate,
  buildTargets,
  checkArtifacts,
  describeSource,
  formatSummary,
  loadSteps,
  outcomeError,
  parseImageList,
  planValidate,
  resolveSource,
  toJunitXml,
  toMarkdown,
} from '../../validate/index.js';
import { writeFileAtomic } from '../../store/dir-files.js';
import { createContext, type CommandContext } from '../context.js';
import { abortController } from '../signals.js';
import { InterruptedError, UsageError } from '../../errors/index.js';

interface ValidateFlags {
  vm?: string | true;
  host?: string[];
  identity?: string;
  knownHostKey?: string;
  knownHosts?: string;
  doc?: string;
  dist?: string;
  release?: string;
  store?: string;
  vmNetwork: boolean;
  keep: boolean;
  junit?: string;
  concurrency: number;
  stepTimeout?: number;
  timeoutScale?: number;
  sshTimeout: number;
  showOutput?: string;
}

function positiveNumber(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number');
  return n;
}

function positiveInt(v: string): number {
  const n = positiveNumber(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('must be a whole number');
  return n;
}

async function run(ctx: CommandContext, flags: ValidateFlags): Promise<void> {
  const config = await ctx.config();
  const docFile = flags.doc !== undefined ? path.resolve(ctx.cwd, flags.doc) : config.validate.doc;
  const docName = path.relative(ctx.cwd, docFile) || docFile;
  const steps = await loadSteps(docFile, docName);
  const source = resolveSource({
    config,
    env: ctx.env,
    cwd: ctx.cwd,
    ...(flags.dist !== undefined ? { dist: flags.dist } : {}),
    ...(flags.release !== undefined ? { release: flags.release } : {}),
    ...(flags.store !== undefined ? { store: flags.store } : {}),
  });
  const installScript = config.validate.installScript;
  checkArtifacts(source, { installScript });
  const vm = flags.vm === undefined ? [] : flags.vm === true ? config.validate.vm : parseImageList(flags.vm);
  if (source.kind === 'url' && vm.length > 0 && !flags.vmNetwork) {
    throw new UsageError(
      `--release ${source.tag} downloads from ${source.baseUrl}, which a VM cannot reach without --vm-network`,
    );
  }
  const targets = await buildTargets({
    vm,
    ...(flags.host !== undefined ? { hosts: flags.host } : {}),
    ...(flags.identity !== undefined ? { identity: path.resolve(ctx.cwd, flags.identity) } : {}),
    hostKeys: {
      ...(flags.knownHostKey !== undefined ? { knownHostKey: flags.knownHostKey } : {}),
      ...(flags.knownHosts !== undefined ? { knownHostsFile: path.resolve(ctx.cwd, flags.knownHosts) } : {}),
    },
    logger: ctx.logger,
  });
  if (flags.showOutput !== undefined && !targets.some((t) => t.name === flags.showOutput)) {
    throw new UsageError(
      `--show-output ${flags.showOutput}: no such target (targets: ${targets.map((t) => t.name).join(', ')})`,
    );
  }
  const plan = planValidate({ doc: docName, steps, source, installScript, targets });
  if (ctx.globals.dryRun) {
    if (ctx.globals.json) return ctx.printJson(plan);
    ctx.print(`validate ${docName} on ${plan.targets.join(', ')} with ${describeSource(source)}`);
    for (const s of plan.steps) {
      const notes = [
        s.skip !== undefined ? `skip: ${s.skip}` : undefined,
        s.timeoutSec !== undefined ? `timeout ${s.timeoutSec}s` : undefined,
        ...s.expect.map((e) => `expect ${JSON.stringify(e)}`),
      ].filter((n) => n !== undefined);
      ctx.print(
        `  ${s.index}. ${s.name} (line ${s.line})${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`,
      );
    }
    return;
  }
  ctx.logger.info(
    `validating ${docName} (${steps.length} steps) on ${plan.targets.join(', ')}: ${describeSource(source)}`,
  );
  const report = await applyValidate({
    plan,
    steps,
    targets,
    logger: ctx.logger,
    defaultTimeoutSec: flags.stepTimeout ?? config.validate.stepTimeoutSec,
    concurrency: flags.concurrency,
    sshTimeoutMs: flags.sshTimeout * 1000,
    network: flags.vmNetwork,
    keep: flags.keep,
    signal: abortController.signal,
    ...(flags.timeoutScale !== undefined ? { timeoutScale: flags.timeoutScale } : {}),
    ...(flags.showOutput !== undefined ? { showOutputOf: flags.showOutput } : {}),
  });
  for (const line of formatSummary(report)) ctx.logger.info(line);
  if (flags.junit !== undefined) {
    const file = path.resolve(ctx.cwd, flags.junit);
    await writeFileAtomic(file, redact(toJunitXml(report)));
    ctx.logger.info(`JUnit report: ${file}`);
  }
  appendStepSummary(redact(toMarkdown(report)), ctx.env);
  if (ctx.globals.json) ctx.printJson(report);
  if (abortController.signal.aborted) throw new InterruptedError('interrupted: the targets were cleaned up');
  const err = outcomeError(report);
  if (err !== undefined) throw err;
}

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
    .option('--junit <file>', 'write a JUnit XML report (one testsuite per target, one testcase per step)')
    .addOption(new Option('--concurrency <n>', 'targets validated at once').argParser(positiveInt).default(2))
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
      new Option('--ssh-timeout <seconds>', 'how long a target may take to answer SSH')
        .argParser(positiveInt)
        .default(180),
    )
    .option('--show-output <target>', "print only this target's step output (the others' with --verbose)")
    .addHelpText(
      'after',
      `
Steps: every fenced sh/bash/shell block of the document, in order, each in a fresh bash -euo pipefail;
annotations <!-- krel: skip | timeout=N | expect="text" | name="..." --> tune a step (validate/README.md).
Log lines are prefixed [target] and [target step N]. Exit 5 when a step fails, 3 when a host key does not
match the pinned one, 4 when a target could not be provisioned or reached.`,
    )
    .action(async (flags: ValidateFlags, cmd: Command) => {
      await run(createContext(cmd), flags);
    });
}
