export { checkTag, resolveTag, tagNameProblem, type ResolvedTag, type TagSource } from './resolve.js';
export { releaseFlags, tagMatches, tagRule, type ReleaseFlags, type TagRule } from './rules.js';
