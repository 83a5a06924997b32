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
import { UsageError } from '../errors/index.js';

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

export function dirLayout(root: string, repo: string): DirLayout {
  const [owner, name, ...rest] = repo.split('/');
  if (owner === undefined || name === undefined || owner === '' || name === '' || rest.length > 0) {
    throw new UsageError(
      `repository "${repo}" must be owner/name: set "repo" in krel.json or GITHUB_REPOSITORY`,
    );
  }
  const base = path.join(root, owner, name);
  const download = path.join(base, 'releases', 'download');
  return {
    root,
    owner,
    repo: name,
    base,
    download,
    settingsFile: path.join(base, 'settings.json'),
    releaseDir: (tag) => path.join(download, tag),
    draftDir: (id) => path.join(download, DRAFT_PREFIX + id),
    tagFile: (tag) => path.join(base, 'refs', 'tags', tag),
  };
}

/** Asset names follow the one rule of krel.json and publish; a leading dot would collide with the store's files. */
export { assetNameProblem } from '../config/asset-name.js';
