/**
 * The interrupt-latency results, as written to irq.json: each row's latencies summarized over
 * every round (median, min, p90, max, in µs of the guest's emulated clock), its ratio to the C row, and the
 * per-round medians and ratios that show how much the emulation drifted.
 * @module
 */
import type { Machine } from '../machine.js';
import { percentile, summarize } from '../stats.js';
import { IRQ_ROWS, ROW_INFO, type GuestConfig, type IrqRow } from './protocol.js';

/** Where the guest ran: the host's CPU does the emulating, so it sets the scale of every figure. */
export interface HostInfo {
  cpu: string;
  cpus: number;
  qemu: string;
  /** The host's 1-minute load average when the run started and ended. */
  load_average: { start: number; end: number };
}

/** One row of the table. */
export interface IrqRowResult {
  id: IrqRow;
  name: string;
  /** What is timed. */
  path: string;
  median_us: number;
  min_us: number;
  /** 90th percentile (nearest rank). */
  p90_us: number;
  max_us: number;
  samples: number;
  /** median_us / the C row's median_us (null for the C row). */
  ratio_to_c: number | null;
  /** This row's median in each round, µs. */
  round_medians_us: number[];
  /** This row's median / the C row's median, per round (null for the C row). */
  round_ratios: number[] | null;
}

/** Everything irq.json holds. */
export interface IrqResults {
  /** The guest as the benchmark saw it (its CPU is the emulated one). */
  guest: Machine;
  host: HostInfo;
  device: string;
  config: GuestConfig & { timing: string };
  rows: IrqRowResult[];
}

const median = (ns: readonly number[]): number => summarize(ns).median;

/**
 * Summarize the latencies (ns) of each row, one array per round (same round order for every row).
 * @throws Error if a row has no samples.
 */
export function summarizeRows(perRound: ReadonlyMap<IrqRow, number[][]>): IrqRowResult[] {
  const cRounds = perRound.get('c-read') ?? [];
  const cMedianUs = cRounds.length > 0 ? median(cRounds.flat()) / 1000 : null;
  return IRQ_ROWS.filter((id) => perRound.has(id)).map((id) => {
    const rounds = perRound.get(id)!;
    const all = rounds.flat();
    const sum = summarize(all);
    const sorted = [...all].sort((a, b) => a - b);
    const isC = id === 'c-read';
    return {
      id,
      ...ROW_INFO[id],
      median_us: sum.median / 1000,
      min_us: sum.min / 1000,
      p90_us: percentile(sorted, 0.9) / 1000,
      max_us: sum.max / 1000,
      samples: sum.samples,
      ratio_to_c: isC || cMedianUs === null ? null : sum.median / 1000 / cMedianUs,
      round_medians_us: rounds.map((r) => median(r) / 1000),
      round_ratios: isC || cRounds.length !== rounds.length ? null : rounds.map((r, i) => median(r) / median(cRounds[i])),
    };
  });
}
