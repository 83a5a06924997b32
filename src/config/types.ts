/** The typed, fully-defaulted configuration. Paths are absolute. */

export interface FileEntry {
  /** Path or glob relative to the source root. */
  from: string;
  /** Archive path (or prefix for globs/directories); undefined keeps the source path. */
  to?: string;
  /** Explicit mode (number), overriding the normalised default. */
  mode?: number;
}

export interface ArchiveSpec {
  name: string;
  description?: string;
  files: FileEntry[];
}

export interface ReleaseConfig {
  /** "github" or an absolute directory for the local store. */
  store: { kind: 'github' } | { kind: 'dir'; root: string };
  replace: string[];
  defaultTag: string;
  notesDir: string;
  generateNotes: boolean;
  latest: boolean | 'legacy';
  uploadConcurrency: number;
}

export interface ValidateConfig {
  doc: string;
  installScript: string;
  vm: string[];
  stepTimeoutSec: number;
}

export interface KrelConfig {
  /** Absolute path of krel.json. */
  file: string;
  /** Directory of krel.json; relative paths in it resolve here. */
  dir: string;
  repo?: string;
  source: string;
  build?: string;
  out: string;
  archives: ArchiveSpec[];
  release: ReleaseConfig;
  validate: ValidateConfig;
}
