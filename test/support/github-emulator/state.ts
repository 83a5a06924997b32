/**
 * The emulator's world: repositories with a linear commit history, git refs, releases (drafts included) and
 * their assets (bytes kept in files on disk). Tests read it directly to assert what GitHub would now hold.
 */
import { createHash } from 'node:crypto';

export type EmuAssetState = 'uploaded' | 'starter' | 'open';

export interface EmuAsset {
  id: number;
  name: string;
  label: string | null;
  state: EmuAssetState;
  contentType: string;
  size: number;
  /** "sha256:<hex>" once the upload completed. */
  digest: string | null;
  /** Where the bytes are stored (absent for starter assets). */
  file?: string;
  createdAt: string;
  updatedAt: string;
  downloadCount: number;
}

export interface EmuRelease {
  id: number;
  tagName: string;
  targetCommitish: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  immutable: boolean;
  createdAt: string;
  publishedAt: string | null;
  updatedAt: string;
  assets: EmuAsset[];
}

export interface EmuRepo {
  id: number;
  owner: string;
  repo: string;
  defaultBranch: string;
  /** Oldest first; the default branch points at the last one. */
  commits: string[];
  /** Full ref name ("refs/tags/v1") -> commit SHA. */
  refs: Map<string, string>;
  releases: EmuRelease[];
  immutableReleases: boolean;
  /** Tags once used by an immutable release: GitHub never lets a new release take them. */
  burnedTags: Set<string>;
  latestReleaseId: number | undefined;
}

export interface RepoSpec {
  owner: string;
  repo: string;
  commits?: string[];
  immutableReleases?: boolean;
}

export function fakeSha(seed: string): string {
  return createHash('sha1').update(seed).digest('hex');
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export class EmulatorState {
  readonly repos: EmuRepo[] = [];
  private lastId = 1000;

  constructor(specs: readonly RepoSpec[]) {
    for (const s of specs) this.addRepo(s);
  }

  nextId(): number {
    return ++this.lastId;
  }

  addRepo(spec: RepoSpec): EmuRepo {
    const commits = spec.commits ?? [
      fakeSha(`${spec.owner}/${spec.repo}#1`),
      fakeSha(`${spec.owner}/${spec.repo}#2`),
    ];
    if (commits.length === 0) throw new Error('a repository needs at least one commit');
    const repo: EmuRepo = {
      id: this.nextId(),
      owner: spec.owner,
      repo: spec.repo,
      defaultBranch: 'main',
      commits: [...commits],
      refs: new Map([['refs/heads/main', commits[commits.length - 1]!]]),
      releases: [],
      immutableReleases: spec.immutableReleases ?? false,
      burnedTags: new Set(),
      latestReleaseId: undefined,
    };
    this.repos.push(repo);
    return repo;
  }

  repo(owner: string, repo: string): EmuRepo | undefined {
    return this.repos.find(
      (r) => r.owner.toLowerCase() === owner.toLowerCase() && r.repo.toLowerCase() === repo.toLowerCase(),
    );
  }

  /** Add a commit to the repository's history (and move its default branch there). */
  addCommit(repo: EmuRepo, sha = fakeSha(`${repo.owner}/${repo.repo}#${repo.commits.length + 1}`)): string {
    repo.commits.push(sha);
    repo.refs.set(`refs/heads/${repo.defaultBranch}`, sha);
    return sha;
  }

  /** A commit SHA for a branch name or SHA (full or abbreviated), if the repository has it. */
  resolveCommitish(repo: EmuRepo, commitish: string): string | undefined {
    const branch = repo.refs.get(`refs/heads/${commitish}`);
    if (branch !== undefined) return branch;
    if (/^[0-9a-f]{7,40}$/.test(commitish)) return repo.commits.find((c) => c.startsWith(commitish));
    return undefined;
  }

  /** The release with this tag (published first, else a draft), as the tests see it. */
  release(repo: EmuRepo, tag: string): EmuRelease | undefined {
    const all = repo.releases.filter((r) => r.tagName === tag);
    return all.find((r) => !r.draft) ?? all[0];
  }

  tagCommit(repo: EmuRepo, tag: string): string | undefined {
    return repo.refs.get(`refs/tags/${tag}`);
  }

  findRelease(repo: EmuRepo, id: number): EmuRelease | undefined {
    return repo.releases.find((r) => r.id === id);
  }

  findAsset(repo: EmuRepo, id: number): { release: EmuRelease; asset: EmuAsset } | undefined {
    for (const release of repo.releases) {
      const asset = release.assets.find((a) => a.id === id);
      if (asset) return { release, asset };
    }
    return undefined;
  }

  /** Is commit `to` reachable from `from` going forward (the history is linear)? */
  isFastForward(repo: EmuRepo, from: string, to: string): boolean {
    return repo.commits.indexOf(to) >= repo.commits.indexOf(from);
  }
}
