/** Stage files on the target over SFTP, streamed. */
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { SFTPWrapper } from 'ssh2';
import type { SshConnection } from './connect.js';
import { SshError } from './errors.js';

function openSftp(conn: SshConnection): Promise<SFTPWrapper> {
  return new Promise((resolve, reject) => {
    conn.client.sftp((err, sftp) => {
      if (err !== undefined && err !== null) reject(new SshError(`sftp: ${err.message}`, { cause: err }));
      else resolve(sftp);
    });
  });
}

export interface PutOptions {
  /** File mode on the target, e.g. 0o755. Default 0o644. */
  mode?: number;
  signal?: AbortSignal;
}

/** Copy a local file to remotePath (relative paths are under the login directory). */
export async function putFile(
  conn: SshConnection,
  localPath: string,
  remotePath: string,
  opts: PutOptions = {},
): Promise<void> {
  const sftp = await openSftp(conn);
  try {
    await pipeline(
      createReadStream(localPath),
      sftp.createWriteStream(remotePath, { mode: opts.mode ?? 0o644 }),
      ...(opts.signal !== undefined ? [{ signal: opts.signal }] : []),
    );
  } catch (e) {
    throw new SshError(`sftp put ${localPath} -> ${remotePath}: ${(e as Error).message}`, { cause: e });
  } finally {
    sftp.end();
  }
}
