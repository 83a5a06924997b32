/**
 * The options of a validation: what the command line may say (ValidationRequest) and every option with its
 * default applied from krel.json or the built-in defaults (ValidationOptions), here and only here.
 */
import path from 'node:path';
import type { ReleaseContext } from '../context/release-context.js';
import { VALIDATE_DEFAULTS } from './defaults.js';
import type { SourceOptions } from './source.js';
import type { StepSelection } from './step-selection.js';
import { parseImageList } from './targets.js';

/** Every validate option, defaults applied (validationOptions). */
export interface ValidationOptions extends SourceOptions, StepSelection {
  /** Guest images for fresh VMs ([] with only hosts). */
  vm: string[];
  /** Cloud image files for fresh VMs (--vm-image), absolute. */
  vmImages: string[];
  hosts: string[];
  identity?: string;
  knownHostKey?: string;
  knownHostsFile?: string;
  /** The guide (absolute). */
  doc: string;
  vmNetwork: boolean;
  keep: boolean;
  /** Boot VMs from scratch instead of restoring their image's saved machine state (--cold-boot). */
  coldBoot: boolean;
  junit?: string;
  /** The JSON report, also written to this file (--report). */
  report?: string;
  /** Targets at once; undefined: as many VMs as this machine holds (target-slots.ts), every host. */
  concurrency?: number;
  stepTimeoutSec: number;
  timeoutScale?: number;
  sshTimeoutSec: number;
  showOutputOf?: string;
  session: 'shared' | 'isolated';
  logDir?: string;
  /** The NDJSON event stream's file. */
  events?: string;
  failFast: boolean;
}

/** What the command line may say; everything else comes from krel.json or a default, here and only here. */
export interface ValidationRequest extends SourceOptions, StepSelection {
  vm?: string | true;
  vmImage?: string[];
  host?: string[];
  identity?: string;
  knownHostKey?: string;
  knownHosts?: string;
  doc?: string;
  vmNetwork?: boolean;
  keep?: boolean;
  coldBoot?: boolean;
  junit?: string;
  report?: string;
  concurrency?: number;
  stepTimeout?: number;
  timeoutScale?: number;
  sshTimeout?: number;
  showOutput?: string;
  logDir?: string;
  events?: string;
  failFast?: boolean;
}

export function validationOptions(ctx: ReleaseContext, r: ValidationRequest): ValidationOptions {
  const abs = (p: string): string => path.resolve(ctx.cwd, p);
  const onVm = (r.host === undefined && r.vmImage === undefined) || r.vm !== undefined;
  const vm = !onVm ? [] : r.vm === undefined || r.vm === true ? ctx.config.validate.vm : parseImageList(r.vm);
  return {
    vm,
    vmImages: (r.vmImage ?? []).map(abs),
    hosts: r.host ?? [],
    doc: r.doc !== undefined ? abs(r.doc) : ctx.config.validate.doc,
    vmNetwork: r.vmNetwork ?? false,
    keep: r.keep ?? false,
    coldBoot: r.coldBoot ?? false,
    failFast: r.failFast ?? false,
    stepTimeoutSec: r.stepTimeout ?? ctx.config.validate.stepTimeoutSec,
    sshTimeoutSec: r.sshTimeout ?? VALIDATE_DEFAULTS.sshTimeoutSec,
    session: ctx.config.validate.session,
    ...(r.steps !== undefined ? { steps: r.steps } : {}),
    ...(r.fromStep !== undefined ? { fromStep: r.fromStep } : {}),
    ...(r.replay !== undefined ? { replay: r.replay } : {}),
    ...(r.identity !== undefined ? { identity: abs(r.identity) } : {}),
    ...(r.knownHostKey !== undefined ? { knownHostKey: r.knownHostKey } : {}),
    ...(r.knownHosts !== undefined ? { knownHostsFile: abs(r.knownHosts) } : {}),
    ...(r.junit !== undefined ? { junit: abs(r.junit) } : {}),
    ...(r.report !== undefined ? { report: abs(r.report) } : {}),
    ...(r.logDir !== undefined ? { logDir: abs(r.logDir) } : {}),
    ...(r.events !== undefined ? { events: abs(r.events) } : {}),
    ...(r.concurrency !== undefined ? { concurrency: r.concurrency } : {}),
    ...(r.timeoutScale !== undefined ? { timeoutScale: r.timeoutScale } : {}),
    ...(r.showOutput !== undefined ? { showOutputOf: r.showOutput } : {}),
    ...(r.dist !== undefined ? { dist: r.dist } : {}),
    ...(r.release !== undefined ? { release: r.release } : {}),
    ...(r.store !== undefined ? { store: r.store } : {}),
  };
}
