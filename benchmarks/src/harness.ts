import { cpus, totalmem } from 'node:os';

/** One measured run of one side of a workload: the figure in the workload's unit. */
export type Measure = () => Promise<number>;

/** A workload: the same durable work done by ours and by the baseline. */
export interface Workload {
  /** e.g. `append-1-event-16-writers` */
  name: string;
  /** e.g. `throughput`, `latency-p50` */
  metric: string;
  /** e.g. `events/s`, `ms` */
  unit: string;
  higherIsBetter: boolean;
  ours: Measure;
  baseline: Measure;
}

/** A benchmark suite: a name, the facts of the machine and server it ran on, and its workloads. */
export interface Suite {
  name: string;
  /** What the baseline is, in a few words (e.g. `plain pg, one transaction per append`). */
  baseline: string;
  /** Server facts to print and record (version, fsync, …). */
  facts?: () => Promise<Record<string, string>>;
  setup?: () => Promise<void>;
  teardown?: () => Promise<void>;
  workloads: () => Promise<Workload[]>;
}

/** The figures of one workload over all rounds. */
export interface WorkloadResult {
  workload: string;
  metric: string;
  unit: string;
  ours: number;
  baseline: number;
  ratio: number;
  higherIsBetter: boolean;
  rounds: number;
  spread: string;
}

/** What a suite run produced, as written to `benchmarks/results/<suite>.json`. */
export interface SuiteResult {
  suite: string;
  baseline: string;
  date: string;
  machine: Record<string, string | number>;
  results: WorkloadResult[];
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** Half the range of the values around their median, as a percentage: "±4%". */
export function spread(values: readonly number[]): string {
  const mid = median(values);
  if (mid === 0) return '±0%';
  const half = (Math.max(...values) - Math.min(...values)) / 2;
  return `±${Math.round((half / mid) * 100)}%`;
}

function machineFacts(): Record<string, string | number> {
  const cpu = cpus();
  return {
    cores: cpu.length,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
}

/**
 * Runs every workload of a suite (or those whose name contains one of `only`) for `rounds` rounds, alternating which side goes first in each
 * round so that warm-up and background noise fall on both sides alike, and reports medians.
 */
export async function runSuite(suite: Suite, rounds: number, only: readonly string[] = []): Promise<SuiteResult> {
  await suite.setup?.();
  try {
    const machine = { ...machineFacts(), ...(await suite.facts?.()) };
    const results: WorkloadResult[] = [];
    const chosen = (await suite.workloads()).filter((workload) => only.length === 0 || only.some((part) => workload.name.includes(part)));
    for (const workload of chosen) {
      const ours: number[] = [];
      const baseline: number[] = [];
      for (let round = 0; round < rounds; round++) {
        if (round % 2 === 0) {
          ours.push(await workload.ours());
          baseline.push(await workload.baseline());
        } else {
          baseline.push(await workload.baseline());
          ours.push(await workload.ours());
        }
      }
      const oursMedian = median(ours);
      const baselineMedian = median(baseline);
      const result: WorkloadResult = {
        workload: workload.name,
        metric: workload.metric,
        unit: workload.unit,
        ours: round3(oursMedian),
        baseline: round3(baselineMedian),
        ratio: round3(baselineMedian === 0 ? 0 : oursMedian / baselineMedian),
        higherIsBetter: workload.higherIsBetter,
        rounds,
        spread: `ours ${spread(ours)}, baseline ${spread(baseline)}`,
      };
      results.push(result);
      console.log(
        `  ${result.workload}: ours ${result.ours} ${result.unit}, baseline ${result.baseline} ${result.unit}, ratio ${result.ratio}`,
      );
    }
    return { suite: suite.name, baseline: suite.baseline, date: new Date().toISOString(), machine, results };
  } finally {
    await suite.teardown?.();
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

/** The Markdown table written beside the JSON results. */
export function toMarkdown(result: SuiteResult): string {
  const facts = Object.entries(result.machine)
    .map(([key, value]) => `${key}: ${value}`)
    .join(', ');
  const rows = result.results.map(
    (r) =>
      `| ${r.workload} | ${r.metric} | ${r.ours} ${r.unit} | ${r.baseline} ${r.unit} | ${r.ratio}${r.higherIsBetter ? '' : ' (lower is better)'} | ${r.rounds} | ${r.spread} |`,
  );
  return [
    `# ${result.suite}`,
    '',
    `Baseline: ${result.baseline}. Medians of interleaved rounds; ratio = ours / baseline.`,
    '',
    `Machine: ${facts}. Run: ${result.date}.`,
    '',
    '| workload | metric | ours | baseline | ratio | rounds | spread |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
