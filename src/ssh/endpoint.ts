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
}

/** "user@host:port", for messages and default target names. */
export function describeEndpoint(e: SshEndpoint): string {
  return `${e.username}@${e.host}:${e.port}`;
}
