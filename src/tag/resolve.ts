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

/** Why `name` is not a usable git tag name (git check-ref-format rules), or undefined when it is. */
export function tagNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '@') return 'is "@"';
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

/** Refuse what cannot be a release tag; returns the tag unchanged. */
export function checkTag(tag: string, source: TagSource): string {
  const from = source === 'default' || source === 'argument' ? '' : ` (from ${source})`;
  if (!tag.startsWith('v')) {
    throw new UsageError(
      `release tag "${tag}"${from} must start with "v", e.g. v${tag.replace(/^[^0-9]*/, '') || '1.0.0'}`,
    );
  }
  const problem = tagNameProblem(tag);
  if (problem !== undefined)
    throw new UsageError(`release tag "${tag}"${from} is not a valid git tag name: it ${problem}`);
  return tag;
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
