/**
 * `npm run bench [-- NAME...]`: run every test/bench/*.bench.ts module in turn (or those named) and print
 * one results table. Each module exports `name` and `run(): Promise<BenchResult[]>`.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function table(rows: (BenchResult & { module: string })[]): string {
  const head = ['bench', 'metric', 'value', 'unit', 'reference', 'ratio', 'vs'];
  const body = rows.map((r) => [
    r.module,
    r.metric,
    fmt(r.value),
    r.unit,
    fmt(r.reference),
    fmt(r.ratio),
    r.note ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 2 && i <= 5 && i !== 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .sort();
  const rows: (BenchResult & { module: string })[] = [];
  let failed = false;
  for (const f of files) {
    const mod = (await import(pathToFileURL(path.join(here, f)).href)) as BenchModule;
    if (wanted.length > 0 && !wanted.includes(mod.name)) continue;
    process.stderr.write(`bench ${mod.name}: running\n`);
    const started = Date.now();
    try {
      for (const r of await mod.run()) rows.push({ ...r, module: mod.name });
      process.stderr.write(`bench ${mod.name}: done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
    } catch (e) {
      failed = true;
      process.stderr.write(
        `bench ${mod.name}: failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
    }
  }
  process.stdout.write(`\n${table(rows)}\n`);
  if (failed) process.exitCode = 1;
}

await main();
