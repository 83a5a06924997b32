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

/** One runenv image of krel.json "images" (templates in base/args/entrypoint/cmd/env/labels unexpanded). */
export interface ImageSpec {
  name: string;
  platform?: string;
  /** Local tag; default "latest". */
  version: string;
  /** The payload, packed into one layer (may be empty when there is a base). */
  files: FileEntry[];
  base?: string;
  aliases: string[];
  args: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  workdir?: string;
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
  /** runenv images, in build order. */
  images: ImageSpec[];
}
