/** The packager's data: what goes into each archive (the plan) and what was made (the release manifest). */
import type { SigningAlgorithm } from '../attest/keys.js';
import type { Builder } from '../attest/provenance.js';

/** A hard link names an earlier file member of the same archive (its `linkname`), which holds the data. */
export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink';

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
  /** Target of a symlink, as stored; for a hard link, the archive path of the file holding the data. */
  linkname?: string;
  /** An absolute symlink inside the prefix, stored as the relative `linkname`: its target as found. */
  rewrittenFrom?: string;
}

export interface ArchivePlan {
  name: string;
  entries: PackEntry[];
  /** Sum of the file sizes. */
  bytes: number;
}

export type EpochSource = 'SOURCE_DATE_EPOCH' | 'git' | 'fixed';

/**
 * One thing `krel make` does, in the order it is done (the archives are written concurrently). The build runs
 * only before apply, so a plan holds run-build only in a dry run; every other action writes the staging
 * directory, and replace-output swaps it in as the output.
 */
export type MakeAction =
  | { kind: 'run-build'; command: string }
  | { kind: 'write-archive'; name: string; entries: number }
  | { kind: 'copy-asset'; name: string }
  | { kind: 'write-sbom' }
  | { kind: 'write-manifest' }
  /** Only with a signing key: it records when the build ran, and only a signature makes it proof. */
  | { kind: 'write-provenance' }
  | { kind: 'write-checksums' }
  | { kind: 'sign-checksums'; algorithm: SigningAlgorithm; keyId: string }
  | { kind: 'replace-output'; out: string };

/** The key that signs SHA256SUMS and the provenance: where it is and what it is (never its bytes). */
export interface PlannedSigning {
  keyFile: string;
  /** Where the key file was named: --signing-key, KREL_SIGNING_KEY or krel.json sign.key. */
  from: string;
  algorithm: SigningAlgorithm;
  keyId: string;
}

/** Everything `krel make` will do; computed read-only, printed by --dry-run. */
export interface MakePlan {
  version: 1;
  kind: 'make';
  source: string;
  out: string;
  sourceDateEpoch: number;
  epochSource: EpochSource;
  commit: string | null;
  /** The tag and repository the release is made for (recorded in the provenance and the SBOM). */
  release: { tag: string; repo?: string; builder: Builder };
  /** krel.json by path and sha256 (recorded in the provenance). */
  config: { file: string; sha256: string };
  /** The signing key; absent: SHA256SUMS is not signed and no provenance is written. */
  signing?: PlannedSigning;
  /** Inputs that do not exist yet, one line each with the JSON path of the entry naming them. */
  missing: string[];
  /** The build command that runs first when inputs are missing. */
  build?: string;
  archives: ArchivePlan[];
  /** Files released as they are (no archive), copied into the output directory. */
  assets: RawAssetPlan[];
  /** What make changes on the way, one line each (e.g. an absolute link stored as a relative one). */
  notes: string[];
  actions: MakeAction[];
}

/** A release asset that is not an archive, e.g. a self-extracting installer. */
export interface RawAssetPlan {
  name: string;
  /** Absolute path of the file copied. */
  source: string;
  size: number;
  /** Mode of the copy in the output directory. */
  mode: number;
}

export interface RawAssetRecord {
  name: string;
  size: number;
  sha256: string;
  /** Octal, e.g. "0755". */
  mode: string;
}

export interface ManifestEntry {
  path: string;
  type: EntryType;
  size: number;
  /** Octal, e.g. "0755". */
  mode: string;
  sha256?: string;
  /** Target of a symlink, or the archive path a hard link shares its data with. */
  linkname?: string;
  /** For a symlink stored relative: the absolute target it had in the tree (inside the prefix). */
  rewrittenFrom?: string;
}

export interface ArchiveRecord {
  name: string;
  size: number;
  sha256: string;
  entries: ManifestEntry[];
}

export const MANIFEST_SCHEMA_VERSION = 1;
export { MANIFEST_FILE, PROVENANCE_FILE, SBOM_FILE, SIG_FILE, SUMS_FILE } from '../config/release-files.js';
/** The file in an output directory that says krel made it (never listed in SHA256SUMS, never published). */
export const OUTPUT_MARKER = '.krel-output';

export interface ReleaseManifest {
  schemaVersion: typeof MANIFEST_SCHEMA_VERSION;
  tool: { name: 'krel'; version: string };
  commit: string | null;
  sourceDateEpoch: number;
  archives: ArchiveRecord[];
  /** Raw (non-archive) assets; absent when there are none. */
  assets?: RawAssetRecord[];
  /** The attestation files of the release, by name (absent in the output of an older krel). */
  attestations?: {
    sbom?: string;
    provenance?: string;
    /** The signature of SHA256SUMS and the key that made it; absent when the release is not signed. */
    signature?: { file: string; algorithm: SigningAlgorithm; keyId: string };
  };
}
