/** The packager: archive specs -> deterministic tar.gz, SHA256SUMS and release-manifest.json. */
export { applyMake, assertInputsPresent, planMake } from './make.js';
export type { ApplyMakeOptions, PlanMakeOptions } from './make.js';
export { buildDir, runBuild } from './build-inputs.js';
export { formatPlan } from './plan-text.js';
export { limitYoungGenerationGrowth } from './heap.js';
export { verifyDist } from './verify.js';
export type { VerifyReport } from './verify.js';
export * from './types.js';
