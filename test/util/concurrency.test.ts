import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapLimit } from '../../src/util/concurrency.js';

/** fn that records how many calls run at once and which items started. */
function tracked(failOn?: number): {
  fn: (n: number) => Promise<number>;
  started: number[];
  peak: () => number;
} {
  let running = 0;
  let peak = 0;
  const started: number[] = [];
  return {
    started,
    peak: () => peak,
    fn: async (n) => {
      started.push(n);
      running++;
      peak = Math.max(peak, running);
      await sleep(5 + (n % 3) * 5);
      running--;
      if (n === failOn) throw new Error(`item ${n} failed`);
      return n * 10;
    },
  };
}

describe('util/concurrency: mapLimit', () => {
  it('never has more than `limit` calls in flight and keeps the input order in its results', async () => {
    const t = tracked();
    const items = Array.from({ length: 9 }, (_, i) => i);
    expect(await mapLimit(items, 3, t.fn)).to.deep.equal(items.map((n) => n * 10));
    expect(t.peak()).to.equal(3);
  });

  it('the first failure stops new starts and is rethrown', async () => {
    const t = tracked(1);
    const err = await mapLimit([0, 1, 2, 3, 4, 5], 2, t.fn).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('item 1 failed');
    expect(t.started.length).to.be.below(6);
  });

  it('runAll starts every item despite a failure, then rethrows the first failure', async () => {
    const t = tracked(1);
    const err = await mapLimit([0, 1, 2, 3, 4, 5], 2, t.fn, { runAll: true }).catch((e: unknown) => e);
    expect((err as Error).message).to.equal('item 1 failed');
    expect([...t.started].sort()).to.deep.equal([0, 1, 2, 3, 4, 5]);
  });

  it('an abort starts nothing more and throws its reason once the running calls end', async () => {
    const t = tracked();
    const ac = new AbortController();
    const run = mapLimit(
      [0, 1, 2, 3, 4, 5],
      2,
      async (n) => {
        if (n === 1) ac.abort(new Error('stop now'));
        return t.fn(n);
      },
      { signal: ac.signal },
    );
    const err = await run.catch((e: unknown) => e);
    expect((err as Error).message).to.equal('stop now');
    expect(t.started).to.deep.equal([0, 1]);
  });
});
