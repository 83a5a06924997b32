/** The typed, fully-defaulted configuration. Paths are absolute. */

export interface FileEntry {
  /** Path or glob relative to the source root. */
  from: string;
  /** Archive path (or prefix for globs/directories); undefined keeps the source path. */
  to?: string;
  /** Explicit mode (number), overriding the normalised default. */
  mode?: number;
  /** Globs (picomatch) relative to the entry's source directory; what they match is left out. */
  exclude?: string[];
  /** Absolute root this entry reads from, instead of the archive's source. */
  source?: string;
}

export interface ArchiveSpec {
  name: string;
  description?: string;
  files: FileEntry[];
  /**
   * Where the archive is installed (absolute). A symlink to an absolute path inside it is stored relative;
   * undefined: every absolute symlink is refused.
   */
  prefix?: string;
}

/** A release asset copied as it is (not an archive), e.g. a self-extracting installer. */
export interface AssetSpec {
  name: string;
  /** Absolute path of the file. */
  from: string;
  /** Mode of the copy; default 0755 when the file is executable, else 0644. */
  mode?: number;
}

/** Where Kontain is installed unless krel.json says otherwise. */
export const DEFAULT_PREFIX = '/opt/kontain';

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

/** One entry of krel.json validate.steps: which blocks (match or index) and what to change. */
export interface StepOverride {
  /** Where it is written, for messages: validate.steps[N]. */
  at: string;
  /** A regular expression on the step's name and text. */
  match?: string;
  index?: number;
  skip?: string;
  expect: string[];
  timeoutSec?: number;
  run?: boolean;
  file?: string;
  env?: Record<string, string>;
  replace: [string, string][];
  /** Shell commands run in the step before the block's own. */
  before?: string;
  continueOnError?: boolean;
}

export interface ValidateConfig {
  doc: string;
  installScript: string;
  vm: string[];
  stepTimeoutSec: number;
  /** "shared": one shell session for the guide; "isolated": a fresh bash per step. */
  session: 'shared' | 'isolated';
  steps: StepOverride[];
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

/** krel.json "sign": the keys of signed releases (absolute paths; either may be absent). */
export interface SignConfig {
  /** The private key (PEM) krel make signs with, unless --signing-key or KREL_SIGNING_KEY names another. */
  key?: string;
  /** The public key (PEM) krel verify checks with, unless --key names another. */
  publicKey?: string;
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
  /** The install prefix (absolute); each archive's prefix defaults to it. */
  prefix: string;
  archives: ArchiveSpec[];
  /** Files released as they are, next to the archives. */
  assets: AssetSpec[];
  release: ReleaseConfig;
  validate: ValidateConfig;
  /** runenv images, in build order. */
  images: ImageSpec[];
  sign: SignConfig;
}
