/**
 * The GitHub REST operations krel uses, bound to one repository. Git refs go in the path with their "/" kept
 * (refs/tags/v1, not tags%2Fv1), as GitHub documents them, and every segment percent-encoded (refPath). Each
 * call maps failures to GitHubError with what krel was doing. Releases list 100 per page; asset lists use
 * GitHub's default page size (a release holds few assets) and follow Link headers.
 */
import type { RestEndpointMethodTypes } from '@octokit/rest';
import type { GitHubClient } from './github-client.js';
import { type ErrorContext, GitHubError, callGitHub } from './github-errors.js';
import type { ApiAsset, ApiRelease } from './github-map.js';

type ApiRef = RestEndpointMethodTypes['git']['getRef']['response']['data'];

export interface ReleaseFields {
  tag_name?: string;
  target_commitish?: string;
  name?: string;
  body?: string;
  draft?: boolean;
  prerelease?: boolean;
  make_latest?: 'true' | 'false' | 'legacy';
}

/** The call's result, or undefined when GitHub answers one of `statuses` (e.g. 404: already gone). */
async function unless<T>(statuses: readonly number[], call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof GitHubError && statuses.includes(e.status)) return undefined;
    throw e;
  }
}

/**
 * A ref ("tags/v1.0+b") as a URL path: each segment encodeURIComponent-ed, the "/" between them kept. Octokit
 * expands {+ref} without encoding "#", "?", "+" or an existing "%XX", so a raw "tags/v1#x" would reach tags/v1.
 */
export function refPath(ref: string): string {
  return ref.split('/').map(encodeURIComponent).join('/');
}

export class GitHubRepoApi {
  readonly fullName: string;

  constructor(
    readonly octokit: GitHubClient,
    readonly owner: string,
    readonly repo: string,
  ) {
    this.fullName = `${owner}/${repo}`;
  }

  private ctx(action: string): ErrorContext {
    return { repo: this.fullName, action };
  }

  private get r() {
    return { owner: this.owner, repo: this.repo };
  }

  async getRepo() {
    const res = await callGitHub(this.ctx(`read the repository ${this.fullName}`), () =>
      this.octokit.rest.repos.get(this.r),
    );
    return res.data;
  }

  /** true/false when the setting is readable (GitHub answers 404 when it is off), else undefined. */
  async immutableReleases(): Promise<boolean | undefined> {
    try {
      const res = await callGitHub(this.ctx('read the immutable-releases setting'), () =>
        this.octokit.rest.repos.checkImmutableReleases(this.r),
      );
      return res.data.enabled;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 404) return false;
      if (e instanceof GitHubError && e.status === 403) return undefined;
      throw e;
    }
  }

  async listReleases(): Promise<ApiRelease[]> {
    return callGitHub(this.ctx('list releases'), () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleases, { ...this.r, per_page: 100 }),
    );
  }

  async getRelease(id: number): Promise<ApiRelease> {
    const res = await callGitHub(this.ctx(`read release ${id}`), () =>
      this.octokit.rest.repos.getRelease({ ...this.r, release_id: id }),
    );
    return res.data;
  }

  /** The published release of a tag (GitHub never returns drafts here), or undefined. */
  async getReleaseByTag(tag: string): Promise<ApiRelease | undefined> {
    const res = await unless(
      [404],
      callGitHub(this.ctx(`read the release of tag ${tag}`), () =>
        this.octokit.rest.repos.getReleaseByTag({ ...this.r, tag }),
      ),
    );
    return res?.data;
  }

  async createRelease(fields: ReleaseFields & { tag_name: string }): Promise<ApiRelease> {
    const res = await callGitHub(this.ctx(`create the release ${fields.tag_name}`), () =>
      this.octokit.rest.repos.createRelease({ ...this.r, ...fields }),
    );
    return res.data;
  }

  async updateRelease(id: number, fields: ReleaseFields): Promise<ApiRelease> {
    const res = await callGitHub(this.ctx(`update release ${id}`), () =>
      this.octokit.rest.repos.updateRelease({ ...this.r, release_id: id, ...fields }),
    );
    return res.data;
  }

  /** Delete a release: false when it is already gone (404). */
  async deleteRelease(id: number): Promise<boolean> {
    const res = await unless(
      [404],
      callGitHub(this.ctx(`delete release ${id}`), () =>
        this.octokit.rest.repos.deleteRelease({ ...this.r, release_id: id }),
      ),
    );
    return res !== undefined;
  }

  async generateNotes(tag: string, target: string): Promise<{ name: string; body: string }> {
    const res = await callGitHub(this.ctx(`generate release notes for ${tag}`), () =>
      this.octokit.rest.repos.generateReleaseNotes({
        ...this.r,
        tag_name: tag,
        target_commitish: target,
      }),
    );
    return res.data;
  }

  async listAssets(releaseId: number): Promise<ApiAsset[]> {
    return callGitHub(this.ctx(`list the assets of release ${releaseId}`), () =>
      this.octokit.paginate(this.octokit.rest.repos.listReleaseAssets, { ...this.r, release_id: releaseId }),
    );
  }

  async getAsset(id: number): Promise<ApiAsset> {
    const res = await callGitHub(this.ctx(`read asset ${id}`), () =>
      this.octokit.rest.repos.getReleaseAsset({ ...this.r, asset_id: id }),
    );
    return res.data;
  }

  async updateAsset(id: number, fields: { name?: string; label?: string }): Promise<ApiAsset> {
    const res = await callGitHub(this.ctx(`update asset ${id}`), () =>
      this.octokit.rest.repos.updateReleaseAsset({ ...this.r, asset_id: id, ...fields }),
    );
    return res.data;
  }

  /** Delete an asset; one that is already gone counts as deleted. */
  async deleteAsset(id: number): Promise<void> {
    await unless(
      [404],
      callGitHub(this.ctx(`delete asset ${id}`), () =>
        this.octokit.rest.repos.deleteReleaseAsset({ ...this.r, asset_id: id }),
      ),
    );
  }

  /** The SHA a ref ("tags/v1", "heads/main") points at, or undefined when it does not exist. */
  async getRef(ref: string): Promise<{ sha: string; type: string } | undefined> {
    const res = await unless(
      [404],
      callGitHub(this.ctx(`read the ref ${ref}`), () =>
        this.octokit.request('GET /repos/{owner}/{repo}/git/ref/{+ref}', { ...this.r, ref: refPath(ref) }),
      ),
    );
    const data = res?.data as ApiRef | undefined;
    return data && { sha: data.object.sha, type: data.object.type };
  }

  /** The commit an annotated tag object points at. */
  async tagObjectCommit(sha: string): Promise<string> {
    const res = await callGitHub(this.ctx(`read the tag object ${sha}`), () =>
      this.octokit.rest.git.getTag({ ...this.r, tag_sha: sha }),
    );
    return res.data.object.sha;
  }

  /** Create a ref; `ref` is the full name ("refs/tags/v1"). */
  async createRef(ref: string, sha: string): Promise<void> {
    await callGitHub(this.ctx(`create ${ref} at ${sha}`), () =>
      this.octokit.rest.git.createRef({ ...this.r, ref, sha }),
    );
  }

  /** Point a ref ("tags/v1") at sha; force allows moving it backwards or sideways. */
  async updateRef(ref: string, sha: string, force?: boolean): Promise<void> {
    await callGitHub(this.ctx(`move ${ref} to ${sha}`), () =>
      this.octokit.request('PATCH /repos/{owner}/{repo}/git/refs/{+ref}', {
        ...this.r,
        ref: refPath(ref),
        sha,
        ...(force === undefined ? {} : { force }),
      }),
    );
  }

  /** Delete a ref ("tags/v1"); true when it existed. */
  async deleteRef(ref: string): Promise<boolean> {
    try {
      await callGitHub(this.ctx(`delete ${ref}`), () =>
        this.octokit.request('DELETE /repos/{owner}/{repo}/git/refs/{+ref}', {
          ...this.r,
          ref: refPath(ref),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof GitHubError && e.status === 422 && /does not exist/i.test(e.message)) return false;
      throw e;
    }
  }
}
