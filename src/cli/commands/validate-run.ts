/**
 * `krel validate`: run the steps of GettingStarted.md (or --doc) on fresh VMs (--vm) or existing hosts (--host)
 * over SSH, against local dist/ (default) or a published release (--release TAG). Exit 5 when a step fails.
 */
import { formatLint, lintError } from '../../validate/lint.js';
import {
  applyValidation,
  lintValidation,
  planValidation,
  validationError,
} from '../../validate/validate-release.js';
import { validationOptions, type ValidationRequest } from '../../validate/validation-options.js';
import { formatValidatePlan } from '../../validate/validate-render.js';
import { releaseContext, type CommandIo } from '../context.js';

export type ValidateFlags = ValidationRequest & { lint?: boolean };

export async function runValidate(io: CommandIo, flags: ValidateFlags): Promise<void> {
  const ctx = await releaseContext(io);
  const options = validationOptions(ctx, flags);
  if (flags.lint === true) {
    const report = await lintValidation(ctx, options);
    if (io.globals.json) io.printJson(report);
    else io.print(formatLint(report).join('\n'));
    const err = lintError(report);
    if (err !== undefined) throw err;
    return;
  }
  const planned = await planValidation(ctx, options);
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
