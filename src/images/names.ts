/**
 * Image names. Locally an image is kontain/<name>[-<platform>]:<version> (no platform: no suffix); in a
 * registry it lives in <namespace>/<name>[-<platform>] and in each alias repository. Every name that goes
 * into a URL is checked against the distribution grammar here, so nothing is ever silently renamed.
 */
import type { ImageSpec } from '../config/types.js';
import { UsageError } from '../errors/index.js';

export const LOCAL_NAMESPACE = 'kontain';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPO = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const HOST =
  /^(?:localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+|\[[0-9a-fA-F:]+\])(?::\d{1,5})?$|^[A-Za-z0-9-]+:\d{1,5}$/;

export function isRepository(s: string): boolean {
  return REPO.test(s) && s.length <= 255;
}

export function isTag(s: string): boolean {
  return TAG.test(s);
}

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

export function checkTag(tag: string, what: string): string {
  if (!isTag(tag))
    throw new UsageError(
      `${what} "${tag}" is not a valid image tag: use letters, digits, "_", "." and "-" (at most 128, not starting with "." or "-")`,
    );
  return tag;
}

/** The repository name of an image without namespace: <name>[-<platform>]. */
export function imageRepo(spec: Pick<ImageSpec, 'name' | 'platform'>): string {
  return spec.platform === undefined ? spec.name : `${spec.name}-${spec.platform}`;
}

/** kontain/<name>[-<platform>] */
export function localRepo(spec: Pick<ImageSpec, 'name' | 'platform'>): string {
  return `${LOCAL_NAMESPACE}/${imageRepo(spec)}`;
}

/** kontain/<name>[-<platform>]:<version> */
export function localRef(spec: Pick<ImageSpec, 'name' | 'platform' | 'version'>): string {
  return `${localRepo(spec)}:${spec.version}`;
}

/** "repo:tag" -> parts; a local reference must be kontain/NAME:VERSION. */
export function parseLocalRef(ref: string, what: string): { repo: string; tag: string } {
  const at = ref.lastIndexOf(':');
  const repo = at < 0 ? ref : ref.slice(0, at);
  const tag = at < 0 ? 'latest' : ref.slice(at + 1);
  if (!repo.startsWith(`${LOCAL_NAMESPACE}/`) || !isRepository(repo) || !isTag(tag))
    throw new UsageError(`${what} "${ref}" is not a local image name: use ${LOCAL_NAMESPACE}/NAME:VERSION`);
  return { repo, tag };
}

/** Where images go: a registry namespace, or an OCI image layout directory. */
export type RegistrySpec =
  | { kind: 'registry'; host: string; namespace: string; text: string }
  | { kind: 'layout'; path: string; text: string };

const REGISTRY_HELP = 'use HOST[:PORT]/NAMESPACE (e.g. 127.0.0.1:5000/kontainapp) or oci:PATH';

export function parseRegistry(text: string, what = '--registry'): RegistrySpec {
  if (text.startsWith('oci:')) {
    const p = text.slice('oci:'.length);
    if (p === '') throw new UsageError(`${what} "${text}" names no directory: ${REGISTRY_HELP}`);
    return { kind: 'layout', path: p, text };
  }
  const slash = text.indexOf('/');
  const host = slash < 0 ? text : text.slice(0, slash);
  const namespace = slash < 0 ? '' : text.slice(slash + 1).replace(/\/+$/, '');
  if (!HOST.test(host) || (namespace !== '' && !isRepository(namespace)))
    throw new UsageError(`${what} "${text}" is not a registry: ${REGISTRY_HELP}`);
  return { kind: 'registry', host, namespace, text };
}

/** The repository an image name takes in a registry namespace. */
export function inNamespace(spec: RegistrySpec, repo: string): string {
  return spec.kind === 'registry' && spec.namespace !== '' ? `${spec.namespace}/${repo}` : repo;
}

/** A reference to pull: HOST[:PORT]/REPO[:TAG|@DIGEST], or oci:PATH:REPO[:TAG]. */
export interface PullRef {
  registry: RegistrySpec;
  repo: string;
  /** A tag or a digest. */
  ref: string;
}

export function parsePullRef(text: string): PullRef {
  const help = `use HOST[:PORT]/REPO[:TAG] (e.g. 127.0.0.1:5000/kontainapp/runenv-python:latest) or oci:PATH:REPO[:TAG]`;
  let registry: RegistrySpec;
  let rest: string;
  if (text.startsWith('oci:')) {
    const colon = text.indexOf(':', 'oci:'.length);
    if (colon < 0) throw new UsageError(`"${text}" names no image in the layout: ${help}`);
    registry = parseRegistry(text.slice(0, colon), 'the image');
    rest = text.slice(colon + 1);
  } else {
    const slash = text.indexOf('/');
    if (slash < 0) throw new UsageError(`"${text}" names no registry: ${help}`);
    registry = parseRegistry(text.slice(0, slash), 'the image');
    rest = text.slice(slash + 1);
  }
  let repo = rest;
  let ref = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    repo = rest.slice(0, at);
    ref = rest.slice(at + 1);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      repo = rest.slice(0, colon);
      ref = rest.slice(colon + 1);
    }
  }
  if (!isRepository(repo) || !(isTag(ref) || isDigest(ref)))
    throw new UsageError(`"${text}" is not an image reference: ${help}`);
  return { registry, repo, ref };
}
