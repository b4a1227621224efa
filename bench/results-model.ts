/**
 * The shape of a bench run's results, as printed and as written to JSON (`--json`, results.json).
 * @module
 */
import type { Machine } from './machine.js';
import type { MissingBaseline } from './c-baseline.js';

export type ResultGroup = 'read' | 'write' | 'block' | 'poll' | 'context' | 'baseline';

export interface CaseResult {
  name: string;
  group: ResultGroup;
  /** How the operation reaches memory, or which baseline implementation this row is. */
  path: string;
  /** ns/op for single accesses, ns/word (32-bit) for block operations, ns for reaction times. */
  unit: 'ns/op' | 'ns/word' | 'ns';
  /** The median over the samples: the figure. */
  ns_per_op: number;
  min_ns: number;
  max_ns: number;
  /** For reaction times, whose samples are single events. */
  p99_ns?: number;
  samples: number;
  /** The baseline row this case is compared with (a C loop of the same access), if any. */
  c_baseline: string | null;
  c_ns_per_op: number | null;
  /** ns_per_op / c_ns_per_op: how many times slower than the C loop, measured in the same run. */
  ratio_to_c: number | null;
  /** python-periphery's ns per call / ns_per_op: how many times faster than python-periphery. */
  speedup_vs_python?: number | null;
}

export interface GoalResult {
  goal: string;
  measured: string;
  /** null: not measured (a baseline is missing). */
  met: boolean | null;
  note?: string;
}

export interface BenchResults {
  machine: Machine;
  config: { rounds: number; sample_ms: number; flips_per_round: number; mapping: string };
  missing_baselines: MissingBaseline[];
  cases: CaseResult[];
  goals: GoalResult[];
}
