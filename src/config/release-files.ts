/** The files krel writes beside the release assets, named once. */

/** sha256sum-format checksums of every asset (and the manifest). */
export const SUMS_FILE = 'SHA256SUMS';
/** What make wrote: tool version, commit, and per archive its entries. */
export const MANIFEST_FILE = 'release-manifest.json';
/** The raw signature of SHA256SUMS (the one release file SHA256SUMS does not list). */
export const SIG_FILE = 'SHA256SUMS.sig';
/** The in-toto Statement (SLSA provenance v1) in a DSSE envelope, one per line. */
export const PROVENANCE_FILE = 'provenance.intoto.jsonl';
/** The CycloneDX SBOM of the release. */
export const SBOM_FILE = 'sbom.cdx.json';
