/** Validation: the docs are the test. */
export { buildResolver, checkArtifacts, describeSource, stepEnv, type ArtifactSource } from './artifacts.js';
export { startFileServer, type FileServer } from './file-server.js';
export { formatSummary } from './report-table.js';
export { toJunitXml } from './report-junit.js';
export { toMarkdown } from './report-markdown.js';
export type { TargetReport, ValidationReport } from './report.js';
export { runSteps, type StepResult, type StepStatus } from './runner.js';
export { resolveSource } from './source.js';
export { loadGuide, parseGuide, parseSteps, type Guide, type Step } from './steps.js';
export { buildTargets, parseImageList } from './targets.js';
export { applyValidate, outcomeError, planValidate, type ValidatePlan } from './validate.js';
