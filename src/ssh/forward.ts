/**
 * Reverse port forward: the target's 127.0.0.1:<remotePort> reaches a server on this host's 127.0.0.1, through
 * the SSH connection. The guest needs no network of its own.
 */
import net from 'node:net';
import type { ClientChannel } from 'ssh2';
import type { SshConnection } from './connect.js';
import { SshError } from './errors.js';

export interface ReverseForward {
  /** Port the target connects to on its own 127.0.0.1. */
  readonly remotePort: number;
  close(): Promise<void>;
}

export function forwardIn(conn: SshConnection, localPort: number, remotePort = 0): Promise<ReverseForward> {
  const sockets = new Set<net.Socket>();
  return new Promise((resolve, reject) => {
    conn.client.forwardIn('127.0.0.1', remotePort, (err, port) => {
      if (err !== undefined && err !== null) {
        reject(
          new SshError(
            `reverse forward refused by ${conn.endpoint.host} (AllowTcpForwarding?): ${err.message}`,
            { cause: err },
          ),
        );
        return;
      }
      const bound = port === 0 ? remotePort : port;
      const onConnection = (
        info: { destPort: number },
        accept: () => ClientChannel,
        rejectConn: () => void,
      ): void => {
        if (info.destPort !== bound) return rejectConn();
        const channel = accept();
        const socket = net.connect(localPort, '127.0.0.1');
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => channel.close());
        channel.on('error', () => socket.destroy());
        socket.pipe(channel).pipe(socket);
      };
      conn.client.on('tcp connection', onConnection);
      resolve({
        remotePort: bound,
        close: () =>
          new Promise<void>((res) => {
            conn.client.removeListener('tcp connection', onConnection);
            for (const s of sockets) s.destroy();
            try {
              conn.client.unforwardIn('127.0.0.1', bound, () => res());
            } catch {
              res();
            }
          }),
      });
    });
  });
}
