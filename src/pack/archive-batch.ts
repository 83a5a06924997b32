/**
 * Archives written concurrently into a staging directory: each starts when its action comes, all share the
 * gzip block slots, and the first failure stops the others. settle() waits for every archive started.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { errorMessage } from '../errors/index.js';
import type { Progress } from '../log/progress.js';
import { Slots } from './block-gzip.js';
import type { ArchivePlan, ArchiveRecord } from './types.js';
import { writeArchive } from './write-archive.js';

export interface ArchiveBatchOptions {
  epoch: number;
  level?: number;
  progress?: Progress;
  signal?: AbortSignal;
}

export class ArchiveBatch {
  private readonly stop = new AbortController();
  private readonly signal: AbortSignal;
  // Enough blocks to keep every core busy, plus one so a core never waits for the main thread.
  private readonly slots = new Slots(availableParallelism() + 1);
  private pending: Promise<ArchiveRecord>[] = [];

  constructor(
    private readonly staging: string,
    private readonly opts: ArchiveBatchOptions,
  ) {
    this.signal =
      opts.signal === undefined ? this.stop.signal : AbortSignal.any([this.stop.signal, opts.signal]);
  }

  start(a: ArchivePlan): void {
    const bar = this.opts.progress?.item(a.name, a.bytes);
    const written = writeArchive(a, path.join(this.staging, a.name), {
      epoch: this.opts.epoch,
      signal: this.signal,
      slots: this.slots,
      ...(this.opts.level !== undefined ? { level: this.opts.level } : {}),
      ...(bar !== undefined ? { onRead: (n: number) => bar.tick(n) } : {}),
    }).then(
      (record) => {
        bar?.done();
        return record;
      },
      (e: unknown) => {
        this.stop.abort(e);
        throw e;
      },
    );
    // Failures are reported by settle(), never as unhandled.
    written.catch(() => undefined);
    this.pending.push(written);
  }

  /** The records of every archive started since the last settle, in start order; else the first failure. */
  async settle(): Promise<ArchiveRecord[]> {
    const results = await Promise.allSettled(this.pending);
    this.pending = [];
    const records: ArchiveRecord[] = [];
    let failure: unknown;
    for (const r of results) {
      if (r.status === 'fulfilled') records.push(r.value);
      else failure ??= this.signal.aborted && this.stop.signal.aborted ? this.stop.signal.reason : r.reason;
    }
    if (failure !== undefined) throw failure instanceof Error ? failure : new Error(errorMessage(failure));
    return records;
  }
}
