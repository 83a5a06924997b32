import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { onTimeoutOrAbort, type StopReason } from '../../src/util/cancel.js';

describe('util/cancel: onTimeoutOrAbort', () => {
  it('the timeout stops the work once, and a later abort does not stop it again', async () => {
    const ac = new AbortController();
    const seen: StopReason[] = [];
    onTimeoutOrAbort({ timeoutMs: 20, signal: ac.signal }, (r) => seen.push(r));
    await sleep(60);
    ac.abort();
    await sleep(10);
    expect(seen).to.deep.equal(['timeout']);
  });

  it('an abort stops the work at once, and the timeout then stays silent', async () => {
    const ac = new AbortController();
    const seen: StopReason[] = [];
    onTimeoutOrAbort({ timeoutMs: 50, signal: ac.signal }, (r) => seen.push(r));
    ac.abort();
    expect(seen).to.deep.equal(['abort']);
    await sleep(80);
    expect(seen).to.deep.equal(['abort']);
  });

  it('a signal that had already aborted stops the work too', async () => {
    const seen: StopReason[] = [];
    onTimeoutOrAbort({ signal: AbortSignal.abort() }, (r) => seen.push(r));
    await sleep(0);
    expect(seen).to.deep.equal(['abort']);
  });

  it('once unwatched (the work ended), neither the timeout nor an abort calls stop', async () => {
    const ac = new AbortController();
    const seen: StopReason[] = [];
    const unwatch = onTimeoutOrAbort({ timeoutMs: 20, signal: ac.signal }, (r) => seen.push(r));
    unwatch();
    ac.abort();
    await sleep(50);
    expect(seen).to.deep.equal([]);
  });
});
