/**
 * Release tag resolution: RELEASE_TAG > CI ref (GITHUB_REF, BUILD_SOURCEBRANCH) > the default tag.
 * A value that is not a valid release tag is refused with a clear error, never renamed.
 */
import { UsageError } from '../errors/index.js';

export type TagSource = 'RELEASE_TAG' | 'GITHUB_REF' | 'BUILD_SOURCEBRANCH' | 'default' | 'argument';

export interface ResolvedTag {
  tag: string;
  source: TagSource;
}

/**
 * A tag becomes a file name (release-notes/<tag>.md, the local store's refs/tags/<tag> and its temp file
 * beside it), and a file name holds at most 255 bytes; 200 leaves room for what krel appends.
 */
export const MAX_TAG_BYTES = 200;

/**
 * Why `git check-ref-format "refs/tags/<name>"` refuses `name`, or undefined when git accepts it:
 * no "..", no control character, space, ~ ^ : ? * [ or \, no leading, trailing or doubled "/", no component
 * starting with "." or ending with ".lock", no trailing ".", no "@{".
 */
export function tagNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name))
    return 'contains a space, control character or one of ~ ^ : ? * [ \\';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.includes('//')) return 'contains "//"';
  if (name.startsWith('/') || name.endsWith('/')) return 'starts or ends with "/"';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.split('/').some((c) => c.startsWith('.') || c.endsWith('.lock'))) {
    return 'has a component starting with "." or ending with ".lock"';
  }
  return undefined;
}

/**
 * Why `tag` cannot be a release tag, or undefined when it can: it starts with "v", git accepts it, it holds
 * none of # ? % (they change a URL's meaning) and fits MAX_TAG_BYTES.
 */
export function releaseTagProblem(tag: string): string | undefined {
  if (!tag.startsWith('v')) return `must start with "v", e.g. v${tag.replace(/^[^0-9]*/, '') || '1.0.0'}`;
  const problem = tagNameProblem(tag);
  if (problem !== undefined) return `is not a valid git tag name: it ${problem}`;
  if (/[#?%]/.test(tag)) return 'must not contain #, ? or % (they change the meaning of a URL)';
  const bytes = Buffer.byteLength(tag, 'utf8');
  if (bytes > MAX_TAG_BYTES) return `is ${bytes} bytes long; a release tag holds at most ${MAX_TAG_BYTES}`;
  return undefined;
}

/**
 * The one gate every tag passes where it enters krel (RELEASE_TAG, the CI ref, the default tag, command
 * arguments): refuse what cannot be a release tag with a UsageError; returns the tag unchanged.
 */
export function checkTag(tag: string, source: TagSource): string {
  const problem = releaseTagProblem(tag);
  if (problem === undefined) return tag;
  const from = source === 'default' || source === 'argument' ? '' : ` (from ${source})`;
  const shown = tag.length > 60 ? `${tag.slice(0, 40)}…` : tag;
  throw new UsageError(`release tag ${JSON.stringify(shown)}${from} ${problem}`);
}

/** refs/tags/X -> X; a branch ref (releases/a/b or any other) -> undefined (the default tag applies). */
function tagFromRef(ref: string | undefined): string | undefined {
  if (ref === undefined || ref === '') return undefined;
  return ref.startsWith('refs/tags/') ? ref.slice('refs/tags/'.length) : undefined;
}

export function resolveTag(env: NodeJS.ProcessEnv, defaultTag: string): ResolvedTag {
  const explicit = env.RELEASE_TAG;
  if (explicit !== undefined && explicit !== '')
    return { tag: checkTag(explicit, 'RELEASE_TAG'), source: 'RELEASE_TAG' };
  const gh = tagFromRef(env.GITHUB_REF);
  if (gh !== undefined) return { tag: checkTag(gh, 'GITHUB_REF'), source: 'GITHUB_REF' };
  const az = tagFromRef(env.BUILD_SOURCEBRANCH);
  if (az !== undefined) return { tag: checkTag(az, 'BUILD_SOURCEBRANCH'), source: 'BUILD_SOURCEBRANCH' };
  return { tag: checkTag(defaultTag, 'default'), source: 'default' };
}
