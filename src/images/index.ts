/** runenv OCI images: reproducible build, registry client (push, pull-retag, cleanup), OCI image layout. */
export { applyBuild, planBuild } from './build.js';
export type { BuildPlan, BuiltImage } from './build.js';
export { applyCleanup, planCleanup } from './cleanup.js';
export type { CleanupPlan } from './cleanup.js';
export { applyCopy } from './copy.js';
export type { CopyResult } from './copy.js';
export { ImageLayout } from './layout.js';
export { checkTag, imageRepo, parsePullRef, parseRegistry } from './names.js';
export type { RegistrySpec } from './names.js';
export { planPull } from './pull.js';
export type { PullPlan } from './pull.js';
export { planPush } from './push.js';
export type { PushPlan } from './push.js';
export {
  buildPlanJson,
  formatBuildPlan,
  formatCleanupPlan,
  formatPullPlan,
  formatPushPlan,
} from './render.js';
export { LayoutTarget, openTarget } from './target.js';
export type { ImageTarget } from './target.js';
