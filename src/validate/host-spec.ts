/** --host user@host[:port] with --identity and a pinned host key (--known-host-key or --known-hosts). */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import { lookupKnownHost, normaliseFingerprint, type SshEndpoint } from '../ssh/index.js';

export interface HostSpec {
  username: string;
  host: string;
  port: number;
}

export function parseHostSpec(text: string): HostSpec {
  const m = /^([^@\s]+)@(\[[0-9A-Fa-f:.]+\]|[^:@\s[\]]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? 22 : Number(m[3]);
  if (m === null || port < 1 || port > 65535) {
    throw new UsageError(`--host ${text}: expected user@host or user@host:port (e.g. krel@lab.example:2222)`);
  }
  return { username: m[1]!, host: m[2]!.replace(/^\[|\]$/g, ''), port };
}

export interface HostKeyOptions {
  knownHostKey?: string;
  knownHostsFile?: string;
  home?: string;
}

/** The pinned fingerprint: --known-host-key, else the host's entry in --known-hosts (default ~/.ssh/known_hosts). */
export async function resolveHostKey(spec: HostSpec, opts: HostKeyOptions): Promise<string> {
  if (opts.knownHostKey !== undefined) {
    const fp = normaliseFingerprint(opts.knownHostKey);
    if (fp === undefined) {
      throw new UsageError(
        `--known-host-key ${opts.knownHostKey}: expected SHA256:<43 base64 chars> as printed by ` +
          `\`ssh-keyscan -p ${spec.port} ${spec.host} | ssh-keygen -lf -\``,
      );
    }
    return fp;
  }
  const file = opts.knownHostsFile ?? path.join(opts.home ?? os.homedir(), '.ssh', 'known_hosts');
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if (opts.knownHostsFile !== undefined) {
      throw new UsageError(`--known-hosts ${file}: cannot read it (${(e as Error).message})`);
    }
  }
  const found = lookupKnownHost(text, spec.host, spec.port);
  if (found === undefined) {
    throw new UsageError(
      `no pinned host key for ${spec.host}:${spec.port} in ${file}: pass --known-host-key SHA256:... ` +
        `(check it out of band: ssh-keyscan -p ${spec.port} ${spec.host} | ssh-keygen -lf -) or --known-hosts FILE`,
    );
  }
  return found.fingerprint;
}

export async function hostEndpoint(
  text: string,
  identityFile: string | undefined,
  keys: HostKeyOptions,
): Promise<SshEndpoint> {
  const spec = parseHostSpec(text);
  if (identityFile === undefined)
    throw new UsageError(`--host ${text} needs --identity KEY (a private key file)`);
  let privateKey: Buffer;
  try {
    privateKey = await readFile(identityFile);
  } catch (e) {
    throw new UsageError(`--identity ${identityFile}: cannot read it (${(e as Error).message})`);
  }
  return { ...spec, privateKey, hostKeyFingerprint: await resolveHostKey(spec, keys) };
}
