/** The lease heartbeat: while a run works on its draft, it rewrites the lease's `beat` so others see it alive. */
import { errorMessage } from '../errors/index.js';
import type { Logger } from '../log/logger.js';
import type { ReleaseStore, StoredRelease } from '../store/types.js';
import type { RunIdentity } from './lease.js';
import { type DraftMarker, withMarker } from './marker.js';

/** The body of a draft owned by `run`, with a heartbeat at `beat`. */
export function leasedBody(body: string, marker: DraftMarker, run: RunIdentity, beat = new Date()): string {
  return withMarker(body, marker, { run: run.id, started: run.started, beat: beat.toISOString() });
}

/** Beat every third of the lease (at least every second is too often); stop() waits for a beat in flight. */
export function startHeartbeat(
  store: ReleaseStore,
  draft: StoredRelease,
  marker: DraftMarker,
  run: RunIdentity,
  logger: Logger,
): () => Promise<void> {
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(
    () => {
      inFlight = store
        .updateBody(draft, leasedBody(draft.body, marker, run))
        .catch((e: unknown) => logger.debug(`draft ${draft.id}: heartbeat failed (${errorMessage(e)})`));
    },
    Math.max(1000, Math.floor(run.leaseMs / 3)),
  );
  timer.unref();
  return async () => {
    clearInterval(timer);
    await inFlight;
  };
}
