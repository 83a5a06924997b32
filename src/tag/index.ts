export {
  MAX_TAG_BYTES,
  checkTag,
  releaseTagProblem,
  resolveTag,
  tagNameProblem,
  type ResolvedTag,
  type TagSource,
} from './resolve.js';
export { releaseFlags, tagMatches, tagRule, type ReleaseFlags, type TagRule } from './rules.js';
