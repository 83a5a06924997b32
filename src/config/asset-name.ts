/**
 * The one rule for release asset names, used by krel.json validation (archive names, so `krel make` refuses
 * early) and by publish (every asset, GitHub or the local store). GitHub renames an asset whose name holds
 * anything but letters, digits, ".", "_", "+" and "-", or starts or ends with "."; the local store keeps its
 * own files under names starting with ".". A renamed asset would break every download URL, so such a name is
 * refused instead.
 */

/** Longest file name the usual file systems (and GitHub) take. */
export const MAX_ASSET_NAME = 255;

/** Why `name` cannot be a release asset name, or undefined when it can. */
export function assetNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty: give the asset a name';
  if (!/^[A-Za-z0-9._+-]+$/.test(name))
    return 'may hold only letters, digits, ".", "_", "+" and "-" (GitHub renames other characters): rename it';
  if (name.startsWith('.') || name.endsWith('.'))
    return 'must not start or end with "." (GitHub renames it): rename it';
  if (name.includes('..')) return 'must not hold "..": rename it';
  if (name.length > MAX_ASSET_NAME) return `is longer than ${MAX_ASSET_NAME} characters: shorten it`;
  return undefined;
}

/** An archive name is an asset name ending in ".tar.gz". */
export function archiveNameProblem(name: string): string | undefined {
  return (
    assetNameProblem(name) ?? (name.endsWith('.tar.gz') ? undefined : 'must end with ".tar.gz": rename it')
  );
}
