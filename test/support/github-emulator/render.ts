/**
 * Emulator objects -> the JSON GitHub returns (every required field of the OpenAPI schemas filled with
 * realistic values, URLs pointing at the emulator's own listeners).
 */
import { specExample } from './openapi.js';
import type { EmuAsset, EmuRelease, EmuRepo } from './state.js';

export interface Urls {
  api: string;
  uploads: string;
  /** Plays github.com: html pages and browser_download_url. */
  web: string;
}

function nodeId(kind: string, id: number | string): string {
  return Buffer.from(`${kind}${id}`).toString('base64').replace(/=+$/, '');
}

/** Rewrite the spec's example URLs (api.github.com, github.com, octocat/Hello-World) to this repository. */
function rebase(value: unknown, urls: Urls, repo: EmuRepo): unknown {
  const text = JSON.stringify(value)
    .replaceAll('https://api.github.com', urls.api)
    .replaceAll('https://github.com', urls.web)
    .replaceAll('octocat/Hello-World', `${repo.owner}/${repo.repo}`)
    .replaceAll('/users/octocat', `/users/${repo.owner}`)
    .replaceAll(`${urls.web}/octocat`, `${urls.web}/${repo.owner}`);
  return JSON.parse(text);
}

export function userJson(urls: Urls, login: string, id = 1): Record<string, unknown> {
  const base = `${urls.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId('04:User', id),
    avatar_url: `${urls.web}/images/avatars/${login}.png`,
    gravatar_id: '',
    url: base,
    html_url: `${urls.web}/${login}`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: 'User',
    site_admin: false,
  };
}

export function repoJson(urls: Urls, repo: EmuRepo): Record<string, unknown> {
  const example = rebase(specExample('full-repository-default-response'), urls, repo) as Record<
    string,
    unknown
  >;
  // Not a fork: no parent/source objects.
  delete example.parent;
  delete example.source;
  return {
    language: 'C',
    ...example,
    id: repo.id,
    node_id: nodeId('010:Repository', repo.id),
    name: repo.repo,
    full_name: `${repo.owner}/${repo.repo}`,
    owner: userJson(urls, repo.owner),
    private: false,
    default_branch: repo.defaultBranch,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

export function refJson(urls: Urls, repo: EmuRepo, ref: string, sha: string): Record<string, unknown> {
  const base = `${urls.api}/repos/${repo.owner}/${repo.repo}`;
  return {
    ref,
    node_id: nodeId('03:Ref', `${repo.id}:${ref}`),
    url: `${base}/git/${ref.split('/').map(encodeURIComponent).join('/')}`,
    object: { type: 'commit', sha, url: `${base}/git/commits/${sha}` },
  };
}

/** The tag a draft's download URLs use until it is published ("untagged-<id>"), as GitHub does. */
export function downloadTag(release: EmuRelease): string {
  return release.draft ? `untagged-${release.id}` : release.tagName;
}

export function assetJson(
  urls: Urls,
  repo: EmuRepo,
  release: EmuRelease,
  asset: EmuAsset,
): Record<string, unknown> {
  return {
    url: `${urls.api}/repos/${repo.owner}/${repo.repo}/releases/assets/${asset.id}`,
    browser_download_url: `${urls.web}/${repo.owner}/${repo.repo}/releases/download/${encodeURIComponent(downloadTag(release))}/${encodeURIComponent(asset.name)}`,
    id: asset.id,
    node_id: nodeId('012:ReleaseAsset', asset.id),
    name: asset.name,
    label: asset.label,
    // GitHub says "starter" on the wire for an upload that never finished; the OpenAPI enum knows only
    // uploaded|open, so the emulator reports such assets as "open" and keeps "starter" in its state.
    state: asset.state === 'uploaded' ? 'uploaded' : 'open',
    content_type: asset.contentType,
    size: asset.size,
    digest: asset.digest,
    download_count: asset.downloadCount,
    created_at: asset.createdAt,
    updated_at: asset.updatedAt,
    uploader: userJson(urls, repo.owner),
  };
}

export function releaseJson(urls: Urls, repo: EmuRepo, release: EmuRelease): Record<string, unknown> {
  const base = `${urls.api}/repos/${repo.owner}/${repo.repo}`;
  const tag = encodeURIComponent(release.tagName);
  return {
    url: `${base}/releases/${release.id}`,
    html_url: `${urls.web}/${repo.owner}/${repo.repo}/releases/tag/${encodeURIComponent(downloadTag(release))}`,
    assets_url: `${base}/releases/${release.id}/assets`,
    upload_url: `${urls.uploads}/repos/${repo.owner}/${repo.repo}/releases/${release.id}/assets{?name,label}`,
    tarball_url: release.draft ? null : `${base}/tarball/${tag}`,
    zipball_url: release.draft ? null : `${base}/zipball/${tag}`,
    id: release.id,
    node_id: nodeId('07:Release', release.id),
    tag_name: release.tagName,
    target_commitish: release.targetCommitish,
    name: release.name,
    body: release.body,
    draft: release.draft,
    prerelease: release.prerelease,
    immutable: release.immutable,
    created_at: release.createdAt,
    published_at: release.publishedAt,
    updated_at: release.updatedAt,
    author: userJson(urls, repo.owner),
    assets: release.assets.map((a) => assetJson(urls, repo, release, a)),
  };
}
