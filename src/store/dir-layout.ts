/**
 * Where the local release store keeps things. The root is laid out like GitHub's download URLs, so serving
 * the root over HTTP gives the same URL shape as github.com:
 *
 *   <root>/<owner>/<repo>/releases/download/<tag>/<asset>               published assets
 *   <root>/<owner>/<repo>/releases/download/<tag>/.krel-release.json    the release's metadata
 *   <root>/<owner>/<repo>/releases/download/<tag>/.assets/<asset>.json  per-asset size, digest, type
 *   <root>/<owner>/<repo>/releases/download/.draft-<id>/                a draft (same shape, hidden)
 *   <root>/<owner>/<repo>/releases/download/.draft-<id>/.upload/<asset> an upload in progress
 *   <root>/<owner>/<repo>/refs/tags/<tag>                               the tag's commit SHA
 *   <root>/<owner>/<repo>/settings.json                                 optional: {"immutableReleases": true}
 *
 * Publishing a draft is one rename of `.draft-<id>` to `<tag>`: a release is visible complete or not at all.
 */
import path from 'node:path';
import { repoNameProblem } from '../config/repo-name.js';
import { UsageError } from '../errors/index.js';
import { tagNameProblem } from '../tag/index.js';

export const META_FILE = '.krel-release.json';
export const ASSET_META_DIR = '.assets';
export const UPLOAD_DIR = '.upload';
export const DRAFT_PREFIX = '.draft-';
export const TRASH_PREFIX = '.deleted-';

export interface DirLayout {
  root: string;
  owner: string;
  repo: string;
  /** <root>/<owner>/<repo> */
  base: string;
  /** <base>/releases/download */
  download: string;
  settingsFile: string;
  releaseDir(tag: string): string;
  draftDir(id: string): string;
  tagFile(tag: string): string;
}

/** A tag as a directory or file name of the store: only a valid git tag name (no "..", no leading "."). */
function tagPath(dir: string, tag: string): string {
  const problem = tagNameProblem(tag);
  if (problem !== undefined)
    throw new UsageError(`tag ${JSON.stringify(tag)} cannot name a path in the local store: it ${problem}`);
  return path.join(dir, tag);
}

/** The layout of `repo` under `root`; the names are checked here too, so no path leaves the root. */
export function dirLayout(root: string, repo: string): DirLayout {
  const problem = repoNameProblem(repo);
  if (problem !== undefined) throw new UsageError(`repository ${JSON.stringify(repo)} ${problem}`);
  const [owner = '', name = ''] = repo.split('/');
  const base = path.join(root, owner, name);
  const download = path.join(base, 'releases', 'download');
  return {
    root,
    owner,
    repo: name,
    base,
    download,
    settingsFile: path.join(base, 'settings.json'),
    releaseDir: (tag) => tagPath(download, tag),
    draftDir: (id) => {
      if (!/^[A-Za-z0-9_-]+$/.test(id))
        throw new UsageError(`draft id ${JSON.stringify(id)} is not a store id`);
      return path.join(download, DRAFT_PREFIX + id);
    },
    tagFile: (tag) => tagPath(path.join(base, 'refs', 'tags'), tag),
  };
}

/** Asset names follow the one rule of krel.json and publish; a leading dot would collide with the store's files. */
export { assetNameProblem } from '../config/asset-name.js';
