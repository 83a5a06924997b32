/** The packager's data: what goes into each archive (the plan) and what was made (the release manifest). */

export type EntryType = 'file' | 'directory' | 'symlink';

/** One archive member, decided before anything is written. */
export interface PackEntry {
  /** Archive path: relative, "/"-separated, no trailing slash. */
  path: string;
  type: EntryType;
  mode: number;
  /** Bytes of content (files only; 0 otherwise). */
  size: number;
  /** Absolute source path of a file's content. */
  source?: string;
  /** Target of a symlink, as stored. */
  linkname?: string;
}

export interface ArchivePlan {
  name: string;
  entries: PackEntry[];
  /** Sum of the file sizes. */
  bytes: number;
}

export type EpochSource = 'SOURCE_DATE_EPOCH' | 'git' | 'fixed';

/** Everything `krel make` will do; computed read-only, printed by --dry-run. */
export interface MakePlan {
  kind: 'make';
  source: string;
  out: string;
  sourceDateEpoch: number;
  epochSource: EpochSource;
  commit: string | null;
  /** Inputs that do not exist yet, one line each with the JSON path of the entry naming them. */
  missing: string[];
  /** The build command that runs first when inputs are missing. */
  build?: string;
  archives: ArchivePlan[];
}

export interface ManifestEntry {
  path: string;
  type: EntryType;
  size: number;
  /** Octal, e.g. "0755". */
  mode: string;
  sha256?: string;
  linkname?: string;
}

export interface ArchiveRecord {
  name: string;
  size: number;
  sha256: string;
  entries: ManifestEntry[];
}

export const MANIFEST_SCHEMA_VERSION = 1;
export const MANIFEST_FILE = 'release-manifest.json';
export const SUMS_FILE = 'SHA256SUMS';
/** The file in an output directory that says krel made it (never listed in SHA256SUMS, never published). */
export const OUTPUT_MARKER = '.krel-output';

export interface ReleaseManifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  tool: { name: 'krel'; version: string };
  commit: string | null;
  sourceDateEpoch: number;
  archives: ArchiveRecord[];
}
