/**
 * The CI files `krel init` writes: the GitHub release workflow (every krel step is the krel action at this
 * krel's version) and its Azure Pipelines twin (krel from npm at this version). Both are templates shipped in
 * the package (src/init/templates/), filled with the few names that differ per repository.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors/index.js';
import { PACKAGE_JSON, packageFile } from '../util/package-root.js';

export type CiKind = 'github' | 'azure';

export const WORKFLOW_PATHS: Readonly<Record<CiKind, string>> = {
  github: '.github/workflows/release.yml',
  azure: '.azure-pipelines/release.yml',
};

export interface WorkflowParams {
  /** krel.json, relative to the repository root. */
  config: string;
  /** krel make's output directory, relative to the repository root. */
  dist: string;
  /** The repository's package.json lists krel: CI installs it with npm ci. */
  krelInPackageJson: boolean;
}

/** owner/name@vVERSION: the action of this krel, from package.json "repository". */
export function actionRef(): string {
  const repo = PACKAGE_JSON.repository;
  const url = typeof repo === 'string' ? repo : (repo?.url ?? '');
  const m = /github\.com[/:]([^/]+\/[^/]+?)(\.git)?$/.exec(url) ?? /^(?:github:)?([^/:]+\/[^/]+)$/.exec(url);
  if (m === null)
    throw new Error(`krel's package.json has no GitHub "repository" (got ${JSON.stringify(url)})`);
  return `${m[1]}@v${PACKAGE_JSON.version}`;
}

/** Paths go into YAML and shell unquoted: only plain names. */
function plainPath(p: string, what: string): string {
  if (!/^[A-Za-z0-9._/-]+$/.test(p) || p.split('/').includes('..'))
    throw new UsageError(
      `${what} ${JSON.stringify(p)} cannot go into the workflow (letters, digits, ".", "_", "-" and "/" only, inside the repository): choose a plainer path`,
    );
  return p;
}

export function renderWorkflow(ci: CiKind, params: WorkflowParams): string {
  const values: Record<string, string> = {
    KREL_VERSION: PACKAGE_JSON.version,
    KREL_ACTION: actionRef(),
    CONFIG: plainPath(params.config, 'krel.json'),
    DIST: plainPath(params.dist, 'the output directory'),
    INSTALL_KREL: params.krelInPackageJson
      ? 'npm ci --no-audit --no-fund'
      : `npm install --no-save --no-audit --no-fund krel@${PACKAGE_JSON.version}`,
  };
  const template = readFileSync(packageFile('src', 'init', 'templates', `${ci}-release.yml`), 'utf8');
  return template.replace(/__([A-Z_]+)__/g, (whole, key: string) => values[key] ?? whole);
}
