/** A real sshd on 127.0.0.1 and one krel SSH connection to it, for a describe block (its own before/after). */
import { connect, type SshConnection } from '../../src/ssh/index.js';
import { fixtureValue } from './fixture-value.js';
import { type Sshd, startSshd } from './sshd.js';

export interface SshdConnection {
  readonly sshd: Sshd;
  readonly conn: SshConnection;
}

export function useSshdConnection(): SshdConnection {
  let sshd: Sshd | undefined;
  let conn: SshConnection | undefined;
  before(async () => {
    sshd = await startSshd();
    conn = await connect(sshd.endpoint);
  });
  after(async () => {
    conn?.close();
    await sshd?.stop();
    conn = undefined;
    sshd = undefined;
  });
  const need = <T>(v: T | undefined): T => fixtureValue(v, 'the sshd connection');
  return {
    get sshd() {
      return need(sshd);
    },
    get conn() {
      return need(conn);
    },
  };
}
