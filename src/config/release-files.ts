/** The files krel writes beside the release assets, named once. */

/** sha256sum-format checksums of every asset (and the manifest). */
export const SUMS_FILE = 'SHA256SUMS';
/** What make wrote: tool version, commit, and per archive its entries. */
export const MANIFEST_FILE = 'release-manifest.json';
