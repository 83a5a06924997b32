/** What a bench module reports: one row per measured metric. */
export interface BenchResult {
  metric: string;
  value: number;
  unit: string;
  /** What the value is compared with: a baseline measured in the same run, or a goal. */
  reference?: number;
  /** value / reference (e.g. krel time / GNU tar time). */
  ratio?: number;
  /** What the reference is, e.g. "GNU tar" or "goal". */
  note?: string;
}

/** A bench module: test/bench/<name>.bench.ts exporting these. */
export interface BenchModule {
  name: string;
  run(): Promise<BenchResult[]>;
}
