/**
 * `krel init`, the plan: what a repository without krel.json gets. Read-only: it looks at the build tree, the
 * git remote and every target file, and refuses (exit 3, nothing written) when a target exists, unless force.
 * Actions: write-config (krel.json), copy-template (the km-releases skeleton, with docs), write-workflow (the
 * GitHub release workflow; the Azure twin with azure).
 */
import { existsSync, lstatSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { checkRepo } from '../config/repo-name.js';
import { SCHEMA_FILE } from '../config/load.js';
import { RefusedError, UsageError } from '../errors/index.js';
import { git } from '../util/git.js';
import { PACKAGE_ROOT, packageFile } from '../util/package-root.js';
import { findArchives } from './find-archives.js';
import { renderWorkflow, WORKFLOW_PATHS, type CiKind } from './workflows.js';

export interface InitRequest {
  /** The repository root: the working directory. */
  root: string;
  /** Where krel.json goes (absolute): --config, else $KREL_CONFIG, else ./krel.json. */
  configFile: string;
  /** The build tree (absolute): --from, else ./build. */
  tree: string;
  repo?: string;
  docs: boolean;
  azure: boolean;
  force: boolean;
}

/** Paths are relative to the plan's root, with "/" separators. */
export type InitAction =
  | { kind: 'write-config'; path: string; replaces: boolean; config: Record<string, unknown> }
  | { kind: 'copy-template'; path: string; replaces: boolean; from: string; mode: number }
  | { kind: 'write-workflow'; path: string; replaces: boolean; ci: CiKind; text: string };

export interface InitPlan {
  version: 1;
  kind: 'init';
  root: string;
  tree: string;
  notes: string[];
  actions: InitAction[];
}

/** The km-releases skeleton `--docs` copies from the package. */
export const KM_RELEASES_FILES = ['kontain-install.sh', 'README.md', 'GettingStarted.md', 'default-release'];
const KM_RELEASES = 'km-releases';
/** Where `npm install krel` puts the package, from the repository root. */
const INSTALLED = 'node_modules/krel';

const posix = (p: string): string => p.split(path.sep).join('/');

/** owner/name of a github.com "origin" remote, if there is one. */
async function originRepo(root: string): Promise<string | undefined> {
  let url: string;
  try {
    url = await git(root, ['remote', 'get-url', 'origin']);
  } catch {
    return undefined;
  }
  const m = /github\.com[/:]([A-Za-z0-9-]+\/[A-Za-z0-9._-]+?)(?:\.git)?\/?$/.exec(url);
  return m?.[1];
}

function krelInPackageJson(root: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string> | undefined
    >;
    return ['dependencies', 'devDependencies'].some((k) => pkg[k]?.krel !== undefined);
  } catch {
    return false;
  }
}

/** Does a target exist (a dangling link counts)? A directory in its place can never be replaced. */
function targetExists(file: string, shown: string): boolean {
  let st;
  try {
    st = lstatSync(file);
  } catch {
    return false;
  }
  if (st.isDirectory())
    throw new RefusedError(`${shown} is a directory: krel init writes a file there; move it`);
  return true;
}

export async function planInit(req: InitRequest): Promise<InitPlan> {
  const { archives, notes } = await findArchives(req.tree);
  const configDir = path.dirname(req.configFile);
  const fromConfig = (p: string): string => posix(path.relative(configDir, path.join(req.root, p)));
  const config: Record<string, unknown> = {
    $schema: fromConfig(`${INSTALLED}/${posix(path.relative(PACKAGE_ROOT, SCHEMA_FILE))}`),
  };
  const repo = req.repo !== undefined ? checkRepo(req.repo, '--repo') : await originRepo(req.root);
  if (repo !== undefined) config.repo = repo;
  else notes.push('no "repo": CI uses GITHUB_REPOSITORY; set "repo" in krel.json to publish from elsewhere');
  config.source = posix(path.relative(configDir, req.tree)) || '.';
  config.archives = archives;
  // The guide and the installer krel validate runs: the repository's own km-releases/ when it has one (or
  // --docs writes it), else the copies in the installed package.
  const validate: Record<string, string> = {};
  for (const [key, file, dflt] of [
    ['doc', 'GettingStarted.md', 'km-releases/GettingStarted.md'],
    ['installScript', 'kontain-install.sh', 'km-releases/kontain-install.sh'],
  ] as const) {
    const own = req.docs || existsSync(path.join(req.root, KM_RELEASES, file));
    const where = fromConfig(own ? `${KM_RELEASES}/${file}` : `${INSTALLED}/${KM_RELEASES}/${file}`);
    if (where !== dflt) validate[key] = where;
  }
  if (Object.keys(validate).length > 0) config.validate = validate;

  const rel = (abs: string): string => posix(path.relative(req.root, abs));
  const actions: InitAction[] = [];
  const target = (p: string): { path: string; replaces: boolean } => ({
    path: p,
    replaces: targetExists(path.join(req.root, p), p),
  });
  actions.push({ kind: 'write-config', ...target(rel(req.configFile)), config });
  if (req.docs) {
    for (const f of KM_RELEASES_FILES) {
      const from = packageFile(KM_RELEASES, f);
      const mode = lstatSync(from).mode & 0o100 ? 0o755 : 0o644;
      actions.push({ kind: 'copy-template', ...target(`${KM_RELEASES}/${f}`), from, mode });
    }
  }
  const params = {
    config: rel(req.configFile),
    dist: posix(path.relative(req.root, path.join(configDir, 'dist'))),
    krelInPackageJson: krelInPackageJson(req.root),
  };
  for (const ci of req.azure ? (['github', 'azure'] as const) : (['github'] as const))
    actions.push({
      kind: 'write-workflow',
      ...target(WORKFLOW_PATHS[ci]),
      ci,
      text: renderWorkflow(ci, params),
    });

  const existing = actions.filter((a) => a.replaces).map((a) => a.path);
  if (existing.length > 0 && !req.force)
    throw new RefusedError(
      `${existing.join(', ')} already ${existing.length === 1 ? 'exists' : 'exist'}: krel init never overwrites a file; pass --force to rewrite ${existing.length === 1 ? 'it' : 'them'} (nothing was written)`,
    );
  for (const a of actions)
    if (a.path.startsWith('../'))
      throw new UsageError(
        `${a.path} is outside ${req.root}: run krel init in the repository, krel.json inside it`,
      );
  return { version: 1, kind: 'init', root: req.root, tree: req.tree, notes, actions };
}
