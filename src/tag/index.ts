export {
  MAX_TAG_BYTES,
  checkTag,
  releaseTagProblem,
  resolveTag,
  tagNameProblem,
  type ResolvedTag,
  type TagSource,
} from './resolve.js';
export { releaseVisibility, tagMatches, tagRule, type ReleaseVisibility, type TagRule } from './rules.js';
