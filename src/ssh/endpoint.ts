/** Where an SSH target is and how to trust it. */

export interface SshEndpoint {
  host: string;
  port: number;
  username: string;
  /** OpenSSH-format private key (the key krel generated or --identity). */
  privateKey: Buffer;
  /**
   * Pinned host key: "SHA256:<base64>" fingerprint as ssh-keygen -l prints it. A connection whose host key does
   * not match is refused. Undefined only for an --host target when the user passed --insecure-host-key.
   */
  hostKeyFingerprint?: string;
  /** The ciphers to offer, most preferred first (default: ssh2's list, AES-GCM first). */
  ciphers?: readonly string[];
}

/**
 * For a machine whose CPU has no AES instructions (krel's emulated VMs): ChaCha20-Poly1305 first. In such a guest
 * sshd decrypts it about six times faster than AES-GCM (measured with openssl speed: 92 against 14 MB/s), which
 * bounds every download a step makes through the connection.
 */
export const CHACHA20_FIRST: readonly string[] = [
  'chacha20-poly1305@openssh.com',
  'aes128-gcm@openssh.com',
  'aes256-gcm@openssh.com',
  'aes128-ctr',
  'aes192-ctr',
  'aes256-ctr',
];

/** "user@host:port", for messages and default target names. */
export function describeEndpoint(e: SshEndpoint): string {
  return `${e.username}@${e.host}:${e.port}`;
}
