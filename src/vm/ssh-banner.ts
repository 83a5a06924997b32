/**
 * Readiness without logging in: the guest's sshd is up once a TCP connection to the forwarded port receives an
 * "SSH-" banner (qemu's user network accepts connections even before the guest listens, then closes them).
 */
import net from 'node:net';

export function readSshBanner(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = net.createConnection({ host, port });
    let data = '';
    const done = (banner: string | undefined): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(banner);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.on('data', (b: Buffer) => {
      data += b.toString('latin1');
      const nl = data.indexOf('\n');
      if (nl >= 0) done(data.startsWith('SSH-') ? data.slice(0, nl).trim() : undefined);
    });
    socket.on('error', () => done(undefined));
    socket.on('close', () => done(undefined));
  });
}
