import { cpus } from "node:os";

/** The p-th percentile (0-100) of the samples, by nearest rank. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: readonly number[]) {
  return {
    count: samples.length,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples.length ? Math.max(...samples) : Number.NaN,
  };
}

/** A line that says what machine the figures come from. */
export function machineLine(): string {
  const list = cpus();
  return `machine: ${list.length} cores (${list[0]?.model ?? "unknown cpu"}), node ${process.version}`;
}

export const ms = (value: number) => `${value.toFixed(2)} ms`;
