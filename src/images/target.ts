/**
 * Where images are read from and written to, one interface over a registry and an OCI image layout, so
 * push (local store -> registry), pull (registry -> local store) and cleanup are each written once.
 * In a layout, repository + tag become the ref name "REPO:TAG"; blobs are shared, so every blob present
 * in the layout is present "in" every repository of it.
 */
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ApplyError } from '../errors/index.js';
import { ImageLayout } from './layout.js';
import { inNamespace, type RegistrySpec } from './names.js';
import { findCredentials } from './registry-auth.js';
import { RegistryClient } from './registry-client.js';
import type { RawManifest } from './types.js';

export interface ImageTarget {
  /** For messages, e.g. "127.0.0.1:5000/kontainapp" or "oci:/path". */
  readonly description: string;
  /** Holds OCI manifests only (an image layout): Docker schema 2 manifests are converted on the way in. */
  readonly ociOnly: boolean;
  /** Full name of a repository for messages and plans: "127.0.0.1:5000/kontainapp/runenv-python". */
  display(repo: string): string;
  /** The repository an image name takes here (namespace applied). */
  repoOf(name: string): string;
  hasBlob(repo: string, digest: string): Promise<boolean>;
  /** Make a blob of repository `from` (same target) present in `repo` without sending it again. */
  mountBlob(repo: string, digest: string, from: string): Promise<boolean>;
  putBlob(repo: string, digest: string, size: number, open: () => Promise<Readable>): Promise<void>;
  openBlob(repo: string, digest: string): Promise<Readable>;
  getManifest(repo: string, ref: string): Promise<RawManifest | undefined>;
  putManifest(repo: string, tag: string, m: RawManifest): Promise<void>;
  /** Delete the manifest `digest` of repo: every tag of that repository pointing at it goes. */
  deleteManifest(repo: string, digest: string): Promise<void>;
}

export class LayoutTarget implements ImageTarget {
  readonly ociOnly = true;
  constructor(
    readonly layout: ImageLayout,
    readonly description: string,
  ) {}

  display(repo: string): string {
    return `${this.description}:${repo}`;
  }
  repoOf(name: string): string {
    return name;
  }
  hasBlob(_repo: string, digest: string): Promise<boolean> {
    return this.layout.hasBlob(digest);
  }
  mountBlob(_repo: string, digest: string): Promise<boolean> {
    return this.layout.hasBlob(digest);
  }
  async putBlob(_repo: string, digest: string, _size: number, open: () => Promise<Readable>): Promise<void> {
    await this.layout.putBlobStream(digest, await open());
  }
  async openBlob(_repo: string, digest: string): Promise<Readable> {
    if (!(await this.layout.hasBlob(digest)))
      throw new ApplyError(`${this.description} has no blob ${digest}`);
    return this.layout.openBlob(digest);
  }
  async getManifest(repo: string, ref: string): Promise<RawManifest | undefined> {
    let desc = ref.startsWith('sha256:') ? undefined : await this.layout.resolve(`${repo}:${ref}`);
    if (ref.startsWith('sha256:')) {
      desc = (await this.layout.index()).manifests.find((m) => m.digest === ref);
      if (desc === undefined && (await this.layout.hasBlob(ref))) {
        const bytes = await this.layout.readBlob(ref);
        const mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType ?? '';
        return { bytes, mediaType, digest: ref };
      }
    }
    if (desc === undefined) return undefined;
    return { bytes: await this.layout.readBlob(desc.digest), mediaType: desc.mediaType, digest: desc.digest };
  }
  async putManifest(repo: string, tag: string, m: RawManifest): Promise<void> {
    await this.layout.putBlobBytes(m.bytes);
    await this.layout.setRef(`${repo}:${tag}`, {
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.bytes.length,
    });
  }
  async deleteManifest(repo: string, digest: string): Promise<void> {
    await this.layout.dropRefs(digest, (name) => !name.startsWith(`${repo}:`));
  }
}

export class RegistryTarget implements ImageTarget {
  readonly ociOnly = false;
  constructor(
    readonly client: RegistryClient,
    readonly spec: RegistrySpec & { kind: 'registry' },
  ) {}

  get description(): string {
    return this.spec.text;
  }
  display(repo: string): string {
    return `${this.client.host}/${repo}`;
  }
  repoOf(name: string): string {
    return inNamespace(this.spec, name);
  }
  hasBlob(repo: string, digest: string): Promise<boolean> {
    return this.client.hasBlob(repo, digest);
  }
  mountBlob(repo: string, digest: string, from: string): Promise<boolean> {
    return this.client.mountBlob(repo, digest, from);
  }
  putBlob(repo: string, digest: string, size: number, open: () => Promise<Readable>): Promise<void> {
    return this.client.putBlob(repo, digest, size, open);
  }
  openBlob(repo: string, digest: string): Promise<Readable> {
    return this.client.openBlob(repo, digest);
  }
  getManifest(repo: string, ref: string): Promise<RawManifest | undefined> {
    return this.client.getManifest(repo, ref);
  }
  putManifest(repo: string, tag: string, m: RawManifest): Promise<void> {
    return this.client.putManifest(repo, tag, m);
  }
  deleteManifest(repo: string, digest: string): Promise<void> {
    return this.client.deleteManifest(repo, digest);
  }
}

export interface OpenTargetOptions {
  env: NodeJS.ProcessEnv;
  cwd: string;
  plainHttp: boolean;
  userAgent: string;
  /** A layout that does not exist yet is created (push targets), else refused (pull sources). */
  create: boolean;
  signal?: AbortSignal;
}

/** Default chunk of a chunked upload; KREL_REGISTRY_CHUNK_BYTES overrides it. */
const CHUNK_BYTES = 16 * 1024 * 1024;

export async function openTarget(spec: RegistrySpec, o: OpenTargetOptions): Promise<ImageTarget> {
  if (spec.kind === 'layout') {
    const root = path.resolve(o.cwd, spec.path);
    return new LayoutTarget(await ImageLayout.open(root, o.create), `oci:${root}`);
  }
  const credentials = await findCredentials(spec.host, o.env);
  const chunkEnv = Number(o.env.KREL_REGISTRY_CHUNK_BYTES ?? '');
  const client = new RegistryClient({
    host: spec.host,
    plainHttp: o.plainHttp,
    ...(credentials !== undefined ? { credentials } : {}),
    userAgent: o.userAgent,
    chunkBytes: Number.isInteger(chunkEnv) && chunkEnv > 0 ? chunkEnv : CHUNK_BYTES,
    ...(o.signal !== undefined ? { signal: o.signal } : {}),
  });
  return new RegistryTarget(client, spec);
}
