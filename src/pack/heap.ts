/**
 * Packing streams hundreds of megabytes through short-lived buffers. V8 grows its young generation when
 * allocation is fast, which lets that garbage (and the buffers it holds) pile up; keeping the young
 * generation at its initial size collects it promptly, so peak memory stays flat (measured in
 * `npm run bench`: about 155 MB -> 115 MB on a 256 MB tree, at no measurable CPU cost).
 * Process-wide: called once by the command that packs.
 */
import v8 from 'node:v8';

export function limitYoungGenerationGrowth(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
