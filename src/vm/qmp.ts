/**
 * A minimal QMP (QEMU Machine Protocol) client over qemu's unix socket: capabilities handshake, then commands
 * answered in order. Used to read the OS-picked host forward port and to ask qemu to quit.
 */
import net from 'node:net';
import { createInterface } from 'node:readline';
import { retry } from '../util/retry.js';
import { VmError } from './errors.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: Error) => void;
}

export class QmpClient {
  private readonly pending: Pending[] = [];
  private closedError: Error | undefined;

  private constructor(private readonly socket: net.Socket) {
    const lines = createInterface({ input: socket });
    lines.on('line', (line) => this.onLine(line));
    lines.on('error', (e: Error) => this.fail(e));
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new VmError('QMP connection closed')));
  }

  /** Connects (retrying while qemu creates the socket, until timeoutMs) and negotiates capabilities. */
  static async connect(socketPath: string, timeoutMs = 10_000, signal?: AbortSignal): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    try {
      return await retry(() => QmpClient.open(socketPath), {
        attempts: Infinity,
        baseMs: 50,
        maxMs: 50,
        shouldRetry: () => Date.now() <= deadline && signal?.aborted !== true,
      });
    } catch (e) {
      throw new VmError(`cannot talk to qemu over QMP (${socketPath}): ${(e as Error).message}`, {
        cause: e,
      });
    }
  }

  private static async open(socketPath: string): Promise<QmpClient> {
    const socket = net.createConnection(socketPath);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      const client = new QmpClient(socket);
      client.pending.push({ resolve: () => undefined, reject: () => undefined }); // the greeting
      await client.execute('qmp_capabilities');
      return client;
    } catch (e) {
      socket.destroy(); // a failed attempt leaves nothing open
      throw e;
    }
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.socket.write(
        JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args }) +
          '\n',
      );
    });
  }

  /** Runs a human monitor command (e.g. "info usernet") and returns its text. */
  async hmp(commandLine: string): Promise<string> {
    const out = await this.execute('human-monitor-command', { 'command-line': commandLine });
    return typeof out === 'string' ? out : '';
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    let msg: { return?: unknown; error?: { class?: string; desc?: string }; QMP?: unknown; event?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event !== undefined) return;
    const p = this.pending.shift();
    if (p === undefined) return;
    if (msg.error !== undefined)
      p.reject(new VmError(`QMP: ${msg.error.desc ?? msg.error.class ?? 'error'}`));
    else p.resolve(msg.return ?? msg.QMP);
  }

  private fail(e: Error): void {
    this.closedError ??= e;
    for (const p of this.pending.splice(0)) p.reject(e);
  }
}

/** The host port of the first TCP host forward to guest port `guestPort` in "info usernet" output. */
export function parseHostForwardPort(usernet: string, guestPort = 22): number | undefined {
  for (const line of usernet.split(/\r?\n/)) {
    const m = /HOST_FORWARD\]\s+\d+\s+(\S+)\s+(\d+)\s+(\S+)\s+(\d+)/.exec(line);
    if (m !== null && Number(m[4]) === guestPort) return Number(m[2]);
  }
  return undefined;
}
