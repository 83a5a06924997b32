/**
 * `krel validate`: run the steps of GettingStarted.md (or --doc) on fresh VMs (--vm) or existing hosts (--host)
 * over SSH, against local dist/ (default) or a published release (--release TAG). Exit 5 when a step fails.
 */
import path from 'node:path';
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
  type ValidationReport,
} from '../../validate/index.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import type { CommandContext } from '../context.js';
import { abortController } from '../signals.js';
import { InterruptedError, UsageError } from '../../errors/index.js';

export interface ValidateFlags {
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

export async function runValidate(
  ctx: CommandContext,
  flags: ValidateFlags,
): Promise<ValidationReport | undefined> {
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
    if (ctx.globals.json) {
      ctx.printJson(plan);
      return undefined;
    }
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
    return undefined;
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
  return report;
}
