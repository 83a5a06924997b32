/** GitHub API objects -> the store's StoredRelease / StoredAsset. */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { AssetState, StoredAsset, StoredRelease } from './types.js';

export type ApiRelease = RestEndpointMethodTypes['repos']['getRelease']['response']['data'];
export type ApiAsset = RestEndpointMethodTypes['repos']['getReleaseAsset']['response']['data'];

function assetState(state: string): AssetState {
  // GitHub reports "starter" for an upload that never completed (the OpenAPI enum omits it).
  return state === 'uploaded' ? 'uploaded' : state === 'starter' ? 'starter' : 'open';
}

export function toStoredAsset(a: ApiAsset): StoredAsset {
  const asset: StoredAsset = {
    id: String(a.id),
    name: a.name,
    size: a.size,
    state: assetState(a.state),
    contentType: a.content_type,
    downloadUrl: a.browser_download_url,
  };
  if (typeof a.digest === 'string' && a.digest !== '') asset.digest = a.digest;
  return asset;
}

export function toStoredRelease(r: ApiRelease): StoredRelease {
  return {
    id: String(r.id),
    tag: r.tag_name,
    name: r.name ?? '',
    draft: r.draft,
    prerelease: r.prerelease,
    immutable: r.immutable === true,
    targetCommitish: r.target_commitish,
    body: r.body ?? '',
    url: r.html_url,
    assets: (r.assets ?? []).map(toStoredAsset),
    createdAt: r.created_at,
  };
}
