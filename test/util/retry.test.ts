import { expect } from 'chai';
import { backoffDelay, retry } from '../../src/util/retry.js';

/** fn failing `failures` times, then resolving with the attempt number; counts its calls. */
function flaky(failures: number): { fn: (attempt: number) => Promise<number>; calls: () => number } {
  let calls = 0;
  return {
    calls: () => calls,
    fn: (attempt) => {
      calls++;
      return calls <= failures ? Promise.reject(new Error(`failure ${calls}`)) : Promise.resolve(attempt);
    },
  };
}

describe('util/retry: retry with exponential backoff', () => {
  it('the delay doubles from baseMs after each attempt and stops growing at maxMs', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay({ baseMs: 100 }, n))).to.deep.equal([
      100, 200, 400, 800, 1600,
    ]);
    expect([1, 2, 3, 4].map((n) => backoffDelay({ baseMs: 100, maxMs: 300 }, n))).to.deep.equal([
      100, 200, 300, 300,
    ]);
  });

  it('retries until an attempt succeeds, passing the attempt number, and waits the computed delays', async () => {
    const f = flaky(2);
    const waits: number[] = [];
    const started = Date.now();
    const got = await retry(f.fn, { attempts: 5, baseMs: 20, onRetry: (_e, _n, ms) => void waits.push(ms) });
    expect(got).to.equal(3);
    expect(waits).to.deep.equal([20, 40]);
    expect(Date.now() - started).to.be.at.least(55);
  });

  it('makes exactly `attempts` attempts and then throws the last failure', async () => {
    const f = flaky(10);
    const err = await retry(f.fn, { attempts: 3, baseMs: 1 }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('failure 3');
    expect(f.calls()).to.equal(3);
  });

  it('a failure shouldRetry refuses is thrown at once', async () => {
    const f = flaky(10);
    const seen: number[] = [];
    const err = await retry(f.fn, {
      attempts: 5,
      baseMs: 1,
      shouldRetry: (e, n) => {
        seen.push(n);
        return (e as Error).message !== 'failure 2';
      },
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('failure 2');
    expect(f.calls()).to.equal(2);
    expect(seen).to.deep.equal([1, 2]);
  });

  it('onRetry may replace the delay (a Retry-After), and 0 retries at once', async () => {
    const f = flaky(2);
    const started = Date.now();
    await retry(f.fn, { attempts: 3, baseMs: 10_000, onRetry: () => 0 });
    expect(f.calls()).to.equal(3);
    expect(Date.now() - started).to.be.below(1000);
  });

  it('an abort during a wait ends it at once with the signal reason, and no further attempt is made', async () => {
    const f = flaky(10);
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('stopped by the user')), 50);
    const started = Date.now();
    const err = await retry(f.fn, { attempts: 5, baseMs: 10_000, signal: ac.signal }).catch(
      (e: unknown) => e,
    );
    expect((err as Error).message).to.equal('stopped by the user');
    expect(Date.now() - started).to.be.below(2000);
    expect(f.calls()).to.equal(1);
  });

  it('an already aborted signal makes no attempt', async () => {
    const f = flaky(0);
    const err = await retry(f.fn, {
      attempts: 3,
      baseMs: 1,
      signal: AbortSignal.abort(new Error('gone')),
    }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('gone');
    expect(f.calls()).to.equal(0);
  });
});
