/**
 * The GitHub ReleaseStore: releases, assets and tags of one repository through the REST API (octokit), asset
 * uploads and downloads through got. Drafts are found by listing releases (get-by-tag never returns them).
 */
import type { Readable } from 'node:stream';
import type { Logger } from '../log/logger.js';
import { addSecret } from '../log/redact.js';
import { GitHubRepoApi } from './github-api.js';
import { DEFAULT_API_URL } from './github-api-url.js';
import { createGitHubClient } from './github-client.js';
import { GitHubError } from './github-errors.js';
import { downloadAsset } from './github-download.js';
import { type ApiRelease, toStoredAsset, toStoredRelease } from './github-map.js';
import { uploadReleaseAsset } from './github-upload.js';
import type {
  DraftRequest,
  PublishRequest,
  ReleaseStore,
  StoreInfo,
  StoredAsset,
  StoredRelease,
  UploadRequest,
} from './types.js';

export interface GitHubStoreOptions {
  owner: string;
  repo: string;
  token: string;
  /** GITHUB_API_URL; default https://api.github.com. */
  apiUrl?: string;
  logger: Logger;
  userAgent?: string;
  /** Retry tuning (tests make these small): see GitHubClientOptions and AssetUploadOptions. */
  uploadAttempts?: number;
  uploadBaseDelayMs?: number;
  retries?: number;
  retryBaseMs?: number;
  rateLimitRetries?: number;
  writeSpacingMs?: number;
}

export function createGitHubStore(opts: GitHubStoreOptions): GitHubStore {
  return new GitHubStore(opts);
}

export class GitHubStore implements ReleaseStore {
  readonly kind = 'github' as const;
  readonly api: GitHubRepoApi;
  private readonly uploadUrls = new Map<string, string>();
  private readonly userAgent: string;

  constructor(private readonly opts: GitHubStoreOptions) {
    addSecret(opts.token);
    this.userAgent = opts.userAgent ?? 'krel';
    const octokit = createGitHubClient({
      token: opts.token,
      apiUrl: opts.apiUrl ?? DEFAULT_API_URL,
      logger: opts.logger,
      userAgent: this.userAgent,
      ...(opts.retries === undefined ? {} : { retries: opts.retries }),
      ...(opts.retryBaseMs === undefined ? {} : { retryBaseMs: opts.retryBaseMs }),
      ...(opts.rateLimitRetries === undefined ? {} : { rateLimitRetries: opts.rateLimitRetries }),
      ...(opts.writeSpacingMs === undefined ? {} : { writeSpacingMs: opts.writeSpacingMs }),
    });
    this.api = new GitHubRepoApi(octokit, opts.owner, opts.repo);
  }

  private release(r: ApiRelease): StoredRelease {
    this.uploadUrls.set(String(r.id), r.upload_url);
    return toStoredRelease(r);
  }

  async info(): Promise<StoreInfo> {
    const repo = await this.api.getRepo();
    const immutable = await this.api.immutableReleases();
    const admin = repo.permissions?.admin === true;
    return {
      description: `github ${this.api.fullName}`,
      // 404 means "off" only to someone allowed to read the setting.
      immutableReleases: immutable === true ? true : immutable === false && admin ? false : 'unknown',
      canWrite: repo.permissions === undefined ? 'unknown' : repo.permissions.push === true,
    };
  }

  async listReleases(): Promise<StoredRelease[]> {
    return (await this.api.listReleases()).map((r) => this.release(r));
  }

  async tagCommit(tag: string): Promise<string | undefined> {
    const ref = await this.api.getRef(`tags/${tag}`);
    if (ref === undefined) return undefined;
    return ref.type === 'tag' ? this.api.tagObjectCommit(ref.sha) : ref.sha;
  }

  async generateNotes(tag: string, commit: string): Promise<string | undefined> {
    try {
      return (await this.api.generateNotes(tag, commit)).body;
    } catch (e) {
      if (e instanceof GitHubError && (e.status === 404 || e.status === 422 || e.status === 403)) {
        this.opts.logger.debug(`GitHub could not generate notes: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  async createDraft(req: DraftRequest): Promise<StoredRelease> {
    return this.release(
      await this.api.createRelease({
        tag_name: req.tag,
        target_commitish: req.commit,
        name: req.name,
        body: req.body,
        draft: true,
        prerelease: req.prerelease,
      }),
    );
  }

  async listAssets(release: StoredRelease): Promise<StoredAsset[]> {
    return (await this.api.listAssets(Number(release.id))).map(toStoredAsset);
  }

  async uploadAsset(release: StoredRelease, req: UploadRequest): Promise<StoredAsset> {
    const uploadUrl =
      this.uploadUrls.get(release.id) ?? (await this.api.getRelease(Number(release.id))).upload_url;
    const releaseId = Number(release.id);
    const asset = await uploadReleaseAsset({
      uploadUrl,
      token: this.opts.token,
      userAgent: this.userAgent,
      repo: this.api.fullName,
      name: req.name,
      file: req.file,
      size: req.size,
      contentType: req.contentType,
      sha256: req.sha256,
      logger: this.opts.logger,
      listAssets: () => this.api.listAssets(releaseId),
      deleteAsset: (id) => this.api.deleteAsset(id),
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
      ...(req.signal ? { signal: req.signal } : {}),
      ...(this.opts.uploadAttempts === undefined ? {} : { attempts: this.opts.uploadAttempts }),
      ...(this.opts.uploadBaseDelayMs === undefined ? {} : { baseDelayMs: this.opts.uploadBaseDelayMs }),
    });
    return toStoredAsset(asset);
  }

  async deleteAsset(_release: StoredRelease, asset: StoredAsset): Promise<void> {
    await this.api.deleteAsset(Number(asset.id));
  }

  async deleteRelease(release: StoredRelease): Promise<boolean> {
    const deleted = await this.api.deleteRelease(Number(release.id));
    this.uploadUrls.delete(release.id);
    return deleted;
  }

  async updateBody(release: StoredRelease, body: string): Promise<void> {
    await this.api.updateRelease(Number(release.id), { body });
  }

  async moveTag(tag: string, commit: string): Promise<void> {
    const current = await this.api.getRef(`tags/${tag}`);
    if (current === undefined) await this.api.createRef(`refs/tags/${tag}`, commit);
    else if (current.sha !== commit) await this.api.updateRef(`tags/${tag}`, commit, true);
  }

  async deleteTag(tag: string): Promise<void> {
    await this.api.deleteRef(`tags/${tag}`);
  }

  async publish(release: StoredRelease, req: PublishRequest): Promise<StoredRelease> {
    return this.release(
      await this.api.updateRelease(Number(release.id), {
        tag_name: req.tag ?? release.tag,
        draft: false,
        prerelease: req.prerelease,
        make_latest: req.prerelease ? 'false' : req.makeLatest,
      }),
    );
  }

  async download(asset: StoredAsset, signal?: AbortSignal): Promise<Readable> {
    return downloadAsset(asset.downloadUrl, this.userAgent, signal);
  }
}
