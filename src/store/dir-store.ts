/**
 * The local release store: a directory laid out like GitHub's download URLs (see dir-layout.ts). It follows
 * the same contract as the GitHub store, so `krel publish` runs the same planner and executor on both.
 *
 * Concurrent krel processes: every change that checks and then acts (delete a release, publish a draft, move a
 * tag, rewrite a draft's body) holds the store's lock (<base>/.krel.lock, proper-lockfile), so it is atomic
 * like one GitHub API call: publishing over a published release fails, deleting a release that another process
 * already deleted (or replaced) reports it gone instead of removing the newcomer. Reads take no lock: every
 * visible change is one rename, and a release that vanishes mid-read is skipped.
 */
import { constants, createReadStream } from 'node:fs';
import { access, mkdir, readFile, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL, fileURLToPath } from 'node:url';
import lockfile from 'proper-lockfile';
import { ApplyError, UsageError } from '../errors/index.js';
import {
  ASSET_META_DIR,
  DRAFT_PREFIX,
  META_FILE,
  TRASH_PREFIX,
  UPLOAD_DIR,
  assetNameProblem,
  dirLayout,
  type DirLayout,
} from './dir-layout.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { retry } from '../util/retry.js';
import { copyHashing, randomId, readJson } from './dir-files.js';
import type {
  DraftRequest,
  PublishRequest,
  ReleaseStore,
  StoreInfo,
  StoredAsset,
  StoredRelease,
  UploadRequest,
} from './types.js';

/** What .krel-release.json holds. */
interface ReleaseMeta {
  id: string;
  tag: string;
  name: string;
  draft: boolean;
  prerelease: boolean;
  makeLatest: PublishRequest['makeLatest'];
  targetCommitish: string;
  body: string;
  createdAt: string;
  publishedAt?: string;
}

/** What .assets/<name>.json holds. */
interface AssetMeta {
  name: string;
  size: number;
  sha256: string;
  contentType: string;
  uploadedAt: string;
}

const LOCK_FILE = '.krel.lock';

/** dirOf: the release is not (any more) where it was. */
class ReleaseGone extends ApplyError {}

export interface DirStoreOptions {
  /** Store root (the directory named by `dir:PATH`). */
  root: string;
  /** owner/name */
  repo: string;
}

export function createDirStore(opts: DirStoreOptions): ReleaseStore {
  return new DirStore(dirLayout(path.resolve(opts.root), opts.repo));
}

class DirStore implements ReleaseStore {
  readonly kind = 'dir' as const;
  constructor(private readonly l: DirLayout) {}

  async info(): Promise<StoreInfo> {
    const settings = await readJson<{ immutableReleases?: boolean }>(this.l.settingsFile);
    return {
      description: `dir ${this.l.base}`,
      immutableReleases: settings?.immutableReleases ?? false,
      canWrite: await writable(this.l.base),
    };
  }

  async listReleases(): Promise<StoredRelease[]> {
    let entries: string[];
    try {
      entries = await readdir(this.l.download);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: StoredRelease[] = [];
    for (const entry of entries) {
      if (entry.startsWith('.') && !entry.startsWith(DRAFT_PREFIX)) continue;
      const rel = await this.readRelease(path.join(this.l.download, entry));
      if (rel !== undefined) out.push(rel);
    }
    return out.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
  }

  async tagCommit(tag: string): Promise<string | undefined> {
    try {
      return (await readFile(this.l.tagFile(tag), 'utf8')).trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  generateNotes(): Promise<string | undefined> {
    return Promise.resolve(undefined);
  }

  async createDraft(req: DraftRequest): Promise<StoredRelease> {
    const id = randomId();
    const dir = this.l.draftDir(id);
    await mkdir(path.join(dir, ASSET_META_DIR), { recursive: true });
    const meta: ReleaseMeta = {
      id,
      tag: req.tag,
      name: req.name,
      draft: true,
      prerelease: req.prerelease,
      makeLatest: 'false',
      targetCommitish: req.commit,
      body: req.body,
      createdAt: new Date().toISOString(),
    };
    await writeJsonAtomic(path.join(dir, META_FILE), meta);
    return this.toRelease(meta, dir, []);
  }

  async listAssets(release: StoredRelease): Promise<StoredAsset[]> {
    return this.readAssets((await this.dirOf(release)).dir, release.id);
  }

  async uploadAsset(release: StoredRelease, req: UploadRequest): Promise<StoredAsset> {
    const problem = assetNameProblem(req.name);
    if (problem !== undefined) throw new UsageError(`asset name "${req.name}" ${problem}`);
    const { dir } = await this.dirOf(release);
    const target = path.join(dir, req.name);
    if (await exists(target)) throw new ApplyError(`asset ${req.name} already exists in ${dir}`);
    await mkdir(path.join(dir, UPLOAD_DIR), { recursive: true });
    const partial = path.join(dir, UPLOAD_DIR, req.name);
    const { size, sha256 } = await copyHashing(req.file, partial, req.onProgress, req.signal);
    const meta: AssetMeta = {
      name: req.name,
      size,
      sha256,
      contentType: req.contentType,
      uploadedAt: new Date().toISOString(),
    };
    // Metadata first, then the file: an asset file without metadata never appears.
    await writeJsonAtomic(path.join(dir, ASSET_META_DIR, `${req.name}.json`), meta);
    await rename(partial, target);
    return this.toAsset(release.id, dir, meta);
  }

  async deleteAsset(release: StoredRelease, asset: StoredAsset): Promise<void> {
    const { dir } = await this.dirOf(release);
    await rm(path.join(dir, UPLOAD_DIR, asset.name), { force: true });
    await rm(path.join(dir, asset.name), { force: true });
    await rm(path.join(dir, ASSET_META_DIR, `${asset.name}.json`), { force: true });
  }

  async deleteRelease(release: StoredRelease): Promise<boolean> {
    const trash = path.join(this.l.download, `${TRASH_PREFIX}${release.id}-${randomId()}`);
    const moved = await this.locked(async () => {
      const found = await this.dirOf(release).catch((e: unknown) => {
        if (e instanceof ReleaseGone) return undefined;
        throw e;
      });
      if (found === undefined) return false;
      // Rename aside first: the release disappears at once, the bytes are removed after.
      await rename(found.dir, trash);
      return true;
    });
    if (moved) await rm(trash, { recursive: true, force: true });
    return moved;
  }

  async updateBody(release: StoredRelease, body: string): Promise<void> {
    await this.locked(async () => {
      const { dir, meta } = await this.dirOf(release);
      await writeJsonAtomic(path.join(dir, META_FILE), { ...meta, body });
    });
  }

  async moveTag(tag: string, commit: string): Promise<void> {
    await this.locked(() => writeFileAtomic(this.l.tagFile(tag), commit + '\n'));
  }

  async deleteTag(tag: string): Promise<void> {
    await this.locked(() => rm(this.l.tagFile(tag), { force: true }));
  }

  publish(release: StoredRelease, req: PublishRequest): Promise<StoredRelease> {
    return this.locked(() => this.publishLocked(release, req));
  }

  private async publishLocked(release: StoredRelease, req: PublishRequest): Promise<StoredRelease> {
    const { dir, meta } = await this.dirOf(release);
    if (!meta.draft) return this.toRelease(meta, dir, await this.readAssets(dir, meta.id));
    const tag = req.tag ?? meta.tag;
    const target = this.l.releaseDir(tag);
    if (await exists(target)) {
      throw new ApplyError(
        `cannot publish draft ${release.id}: a release ${tag} already exists at ${target}`,
      );
    }
    const published: ReleaseMeta = {
      ...meta,
      tag,
      draft: false,
      prerelease: req.prerelease,
      makeLatest: req.makeLatest,
      publishedAt: new Date().toISOString(),
    };
    await writeJsonAtomic(path.join(dir, META_FILE), published);
    await rm(path.join(dir, UPLOAD_DIR), { recursive: true, force: true });
    await mkdir(path.dirname(target), { recursive: true });
    await rename(dir, target);
    return this.toRelease(published, target, await this.readAssets(target, published.id));
  }

  download(asset: StoredAsset, signal?: AbortSignal): Promise<Readable> {
    const file = asset.downloadUrl.startsWith('file:') ? fileURLToPath(asset.downloadUrl) : asset.downloadUrl;
    return Promise.resolve(createReadStream(file, signal ? { signal } : {}));
  }

  // ---- internals ----

  /** Run `fn` holding the store's lock (other krel processes wait; a lock left by a dead one goes stale). */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    await mkdir(this.l.base, { recursive: true });
    const release = await lockfile.lock(this.l.base, {
      realpath: false,
      lockfilePath: path.join(this.l.base, LOCK_FILE),
      stale: 10_000,
      update: 2_000,
      retries: { retries: 600, minTimeout: 5, maxTimeout: 50, randomize: true },
    });
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  /** The directory holding a release and its metadata; it must still carry the same id. */
  private async dirOf(release: StoredRelease): Promise<{ dir: string; meta: ReleaseMeta }> {
    const dir = release.draft ? this.l.draftDir(release.id) : this.l.releaseDir(release.tag);
    const meta = await readJson<ReleaseMeta>(path.join(dir, META_FILE));
    if (meta?.id !== release.id)
      throw new ReleaseGone(`release ${release.id} (${release.tag}) no longer exists`);
    return { dir, meta };
  }

  /** The release in `dir`, or undefined when there is none (or it was deleted or published while read). */
  private readRelease(dir: string): Promise<StoredRelease | undefined> {
    // An asset deleted or a directory renamed under us: read again (the rename is gone next time).
    return retry(
      async () => {
        const meta = await readJson<ReleaseMeta>(path.join(dir, META_FILE)).catch(() => undefined);
        if (meta === undefined) return undefined;
        return this.toRelease(meta, dir, await this.readAssets(dir, meta.id));
      },
      { attempts: 3, baseMs: 0, shouldRetry: (e) => (e as NodeJS.ErrnoException).code === 'ENOENT' },
    );
  }

  private async readAssets(dir: string, releaseId: string): Promise<StoredAsset[]> {
    const out: StoredAsset[] = [];
    for (const name of (await readdir(dir)).sort()) {
      if (name.startsWith('.')) continue;
      const am = await readJson<AssetMeta>(path.join(dir, ASSET_META_DIR, `${name}.json`));
      const size = (await stat(path.join(dir, name))).size;
      out.push(
        am === undefined
          ? this.starter(releaseId, dir, name, size)
          : this.toAsset(releaseId, dir, am, size === am.size ? 'uploaded' : 'starter'),
      );
    }
    const uploads = await readdir(path.join(dir, UPLOAD_DIR)).catch(() => [] as string[]);
    for (const name of uploads.sort()) {
      if (out.some((a) => a.name === name)) continue;
      const size = (await stat(path.join(dir, UPLOAD_DIR, name))).size;
      out.push(this.starter(releaseId, dir, name, size));
    }
    return out;
  }

  private starter(releaseId: string, dir: string, name: string, size: number): StoredAsset {
    return {
      id: `${releaseId}/${name}`,
      name,
      size,
      state: 'starter',
      contentType: 'application/octet-stream',
      downloadUrl: pathToFileURL(path.join(dir, name)).href,
    };
  }

  private toAsset(
    releaseId: string,
    dir: string,
    m: AssetMeta,
    state: StoredAsset['state'] = 'uploaded',
  ): StoredAsset {
    return {
      id: `${releaseId}/${m.name}`,
      name: m.name,
      size: m.size,
      state,
      digest: `sha256:${m.sha256}`,
      contentType: m.contentType,
      downloadUrl: pathToFileURL(path.join(dir, m.name)).href,
    };
  }

  private toRelease(m: ReleaseMeta, dir: string, assets: StoredAsset[]): StoredRelease {
    return {
      id: m.id,
      tag: m.tag,
      name: m.name,
      draft: m.draft,
      prerelease: m.prerelease,
      immutable: false,
      targetCommitish: m.targetCommitish,
      body: m.body,
      url: pathToFileURL(dir).href + '/',
      assets,
      createdAt: m.createdAt,
    };
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** Can we create files under `dir` (or its nearest existing parent)? */
async function writable(dir: string): Promise<boolean> {
  let d = dir;
  for (;;) {
    try {
      await access(d, constants.W_OK);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const parent = path.dirname(d);
      if (code !== 'ENOENT' || parent === d) return false;
      d = parent;
    }
  }
}
