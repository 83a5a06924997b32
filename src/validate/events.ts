/**
 * The NDJSON event stream of a validation (--events FILE), for machines: one JSON object per line, written as it
 * happens (a reader can follow the file while the run goes on):
 *   {"time":"...","target":"debian-12","event":"step-end","step":3,"name":"Build","status":"passed","durationMs":812}
 * Events: target-start, target-ready (provisioned and connected; "boot" says how), step-start, step-end,
 * target-end (status, durationMs, error). Lines are redacted like the log.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { redact } from '../log/redact.js';

export type ValidateEventKind = 'target-start' | 'target-ready' | 'step-start' | 'step-end' | 'target-end';

export interface ValidateEvent {
  target: string;
  event: ValidateEventKind;
  step?: number;
  name?: string;
  status?: string;
  durationMs?: number;
  reason?: string;
  boot?: string;
}

export type EventSink = (e: ValidateEvent) => void;

/** Opens FILE (replacing it, creating its folder) and returns the sink and its close. */
export function openEventFile(file: string): { emit: EventSink; close: () => void } {
  mkdirSync(path.dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  let open = true;
  return {
    emit: (e) => {
      if (!open) return;
      writeSync(fd, `${redact(JSON.stringify({ time: new Date().toISOString(), ...e }))}\n`);
    },
    close: () => {
      if (!open) return;
      open = false;
      closeSync(fd);
    },
  };
}
