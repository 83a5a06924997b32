/**
 * `krel validate`: run the steps of GettingStarted.md (or --doc) on fresh VMs (--vm) or existing hosts (--host)
 * over SSH, against local dist/ (default) or a published release (--release TAG). Exit 5 when a step fails.
 */
import {
  applyValidation,
  planValidation,
  validationError,
  validationOptions,
  type ValidationRequest,
} from '../../validate/validate-release.js';
import { formatValidatePlan } from '../../validate/validate-render.js';
import { releaseContext, type CommandIo } from '../context.js';

export type ValidateFlags = ValidationRequest;

export async function runValidate(io: CommandIo, flags: ValidateFlags): Promise<void> {
  const ctx = await releaseContext(io);
  const planned = await planValidation(ctx, validationOptions(ctx, flags));
  if (io.globals.dryRun) {
    if (io.globals.json) io.printJson(planned.plan);
    else io.print(formatValidatePlan(planned.plan));
    return;
  }
  const report = await applyValidation(ctx, planned);
  if (io.globals.json) io.printJson(report);
  const err = validationError(ctx, report);
  if (err !== undefined) throw err;
}
