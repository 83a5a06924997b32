/** The SSH layer: the only module that talks ssh2. */
export { connect, waitForSsh } from './connect.js';
export type { ConnectOptions, SshConnection, WaitOptions } from './connect.js';
export { CHACHA20_FIRST, describeEndpoint } from './endpoint.js';
export type { SshEndpoint } from './endpoint.js';
export { HostKeyMismatchError, SshError } from './errors.js';
export { exec } from './exec.js';
export type { ExecOptions, ExecResult } from './exec.js';
export { fingerprintOf, normaliseFingerprint } from './fingerprint.js';
export { forwardIn } from './forward.js';
export type { ReverseForward } from './forward.js';
export { knownHostName, lookupKnownHost } from './known-hosts.js';
export { envPrefix, shellQuote } from './quote.js';
export { putFile } from './sftp.js';
