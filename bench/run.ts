/**
 * The benchmark suite: `npm run bench [-- options]`.
 *
 * Every figure is the median of one sample per round, over many rounds; in each round every JS case, the
 * C loop, python-periphery and the polling cases take one sample each, so the baselines share the noise
 * of this (shared) machine and the ratios stay meaningful when the absolute figures drift.
 *
 * Options:
 *   --json         print the results as JSON on stdout (progress goes to stderr)
 *   --rounds N     rounds (default 31)
 *   --quick        5 rounds, shorter samples; writes no files unless --out is given
 *   --out DIR      where results.json, results.md and chart.svg go (default bench/out, git-ignored)
 *   --no-save      write no files
 *   --replot FILE  measure nothing: redraw chart.svg and results.md from a results.json (into --out DIR)
 *
 * The run never touches committed files: `npm run bench:update-docs [-- DIR]` copies a results folder into
 * bench/results and rewrites the results section of docs/benchmarks.md (bench/update-docs.ts).
 * @module
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addon } from '../lib/linux/addon.js';
import { asyncPollNsPerRead, setImmediateNsPerTurn } from './async-poll.js';
import { CBaseline, type MissingBaseline } from './c-baseline.js';
import { renderChart } from './chart.js';
import { evaluateGoals } from './goals.js';
import { accessCases, blockCases, contextCases, openTargets, type JsCase } from './js-cases.js';
import { createSharedFile } from './layout.js';
import { describeMachine } from './machine.js';
import { runJsPoller, startFlipper, stopFlipper, TIMEOUT_US, type PollMode } from './poll-protocol.js';
import { PythonBaseline } from './python-baseline.js';
import { formatMarkdown, formatText } from './report.js';
import type { BenchResults, CaseResult, ResultGroup } from './results-model.js';
import { summarize } from './stats.js';
import { calibrate, sampleNs } from './timing.js';

/** The repository root: dist/bench/run.js is two levels below it. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

const { values: opts } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
    replot: { type: 'string' },
  },
});
const rounds = Number(opts.rounds ?? (opts.quick ? 5 : 31));
// Short samples: on a shared machine a sample that a scheduler tick lands in is an outlier, not the median.
const sampleMs = 2;
const pythonSampleMs = 10;
const flipsPerRound = opts.quick ? 40 : 100;
const modes: PollMode[] = ['mask', 'predicate'];
const asyncReadsPerSample = opts.quick ? 1000 : 4000;
/** Where results go unless --out says otherwise: git-ignored, so a run leaves the work tree clean. */
const defaultOut = join(repo, 'bench', 'out');
const outDir = opts['no-save'] || (opts.quick && !opts.out) ? null : resolve(opts.out ?? defaultOut);

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** A copy of `items` in random order, so no case always runs right after the same neighbour. */
function shuffled<T>(items: readonly T[]): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** Seconds spent in each phase of a round, for the progress line (a slow phase points at the noise). */
class PhaseClock {
  #last = performance.now();
  readonly #laps: string[] = [];
  lap(name: string): void {
    const now = performance.now();
    this.#laps.push(`${name} ${((now - this.#last) / 1000).toFixed(2)} s`);
    this.#last = now;
  }
  toString(): string {
    return this.#laps.join(', ');
  }
}

/** Samples per row name, in insertion order. */
class Samples {
  readonly rows = new Map<string, number[]>();
  add(name: string, value: number): void {
    if (!this.rows.has(name)) this.rows.set(name, []);
    this.rows.get(name)!.push(value);
  }
  addAll(name: string, values: readonly number[]): void {
    for (const v of values) this.add(name, v);
  }
}

const C_POLLER = 'C poller reaction';
const REACTION: Record<PollMode, string> = {
  mask: 'readl_poll_timeout_atomic reaction ({mask, value})',
  predicate: 'readl_poll_timeout_atomic reaction (predicate)',
};
const ASYNC_READ = 'readl_poll_timeout, per read';
const SET_IMMEDIATE = 'setImmediate turn';
const cRow = (cCase: string): string => (cCase.includes(':') ? `C ${cCase.replace(':', ' ')} B` : `C ${cCase}`);
const PY_OPS = ['read32', 'write32'] as const;
const pyRow = (op: string): string => `python-periphery ${op}`;

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const file = createSharedFile();
  // Ctrl-C: leave no 4 MiB file behind in /dev/shm (the flipper exits by itself once idle).
  process.once('SIGINT', () => {
    file.remove();
    process.exit(130);
  });
  const mapping = file.onTmpfs ? `${file.path} (tmpfs: cached RAM, as a memfd)` : `${file.path} (no /dev/shm here)`;
  const missing: MissingBaseline[] = [];
  const c = CBaseline.build(join(repo, 'bench', 'c', 'volatile-loop.c'), join(repo, 'node_modules', '.cache', 'mmio-bench'));
  const python = PythonBaseline.find(join(repo, 'bench', 'python', 'periphery_loop.py'));
  const cLoop = c instanceof CBaseline ? c : (missing.push(c), null);
  const py = python instanceof PythonBaseline ? python : (missing.push(python), null);
  for (const m of missing) log(`BASELINE MISSING: ${m.baseline}: ${m.reason}`);

  const targets = await openTargets(file.path);
  const context = contextCases(file.path);
  try {
    const region = targets.region;
    const jsCases: JsCase[] = [...accessCases(targets, addon().arch === 'x64'), ...blockCases(targets), ...context.cases];
    const cCases = [...new Set(jsCases.flatMap((j) => (j.cBaseline ? [j.cBaseline] : [])))];
    const samples = new Samples();

    log(`calibrating ${jsCases.length} JS cases…`);
    const calls = new Map(jsCases.map((j) => [j, calibrate(j, sampleMs * 1e6)]));
    await asyncPollNsPerRead(region, asyncReadsPerSample); // warm-up

    for (let round = 1; round <= rounds; round++) {
      const phases = new PhaseClock();
      for (const j of shuffled(jsCases)) samples.add(j.name, sampleNs(j, calls.get(j)!));
      phases.lap('JS');
      if (cLoop) for (const [name, ns] of cLoop.time(file.path, cCases, sampleMs)) samples.add(cRow(name), ns);
      phases.lap('C');
      if (py) for (const [op, ns] of py.time(file.path, PY_OPS, pythonSampleMs)) samples.add(pyRow(op), ns);
      phases.lap('python');
      samples.add(ASYNC_READ, await asyncPollNsPerRead(region, asyncReadsPerSample));
      samples.add(SET_IMMEDIATE, await setImmediateNsPerTurn(asyncReadsPerSample));
      phases.lap('async poll');
      for (const mode of modes) {
        const flipper = await startFlipper(region, file.path);
        samples.addAll(REACTION[mode], await runJsPoller(file.path, mode, flipsPerRound));
        await stopFlipper(region, flipper);
      }
      if (cLoop) {
        const flipper = await startFlipper(region, file.path);
        samples.addAll(C_POLLER, await cLoop.poll(file.path, flipsPerRound, TIMEOUT_US / 1000));
        await stopFlipper(region, flipper);
      }
      phases.lap('poll reaction');
      log(`round ${round}/${rounds}: ${phases}`);
    }

    const results = collect(samples, jsCases, missing, {
      machine: describeMachine(cLoop?.compiler ?? null, py?.version ?? null, mapping, loadAtStart),
      rounds,
      mapping,
    });
    if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else process.stdout.write(formatText(results));
    if (outDir) await save(results, outDir);
  } finally {
    context.close();
    targets.close();
    file.remove();
  }
}

/** Write results.json, results.md and chart.svg to `dir`. */
async function save(results: BenchResults, dir: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, 'results.md'), formatMarkdown(results));
  writeFileSync(join(dir, 'chart.svg'), await renderChart(results));
  log(`wrote results.json, results.md and chart.svg to ${dir} (npm run bench:update-docs -- ${dir} commits them to the docs)`);
}

/** Turn the samples into result rows, paired with their baselines, and check the goals. */
function collect(
  samples: Samples,
  jsCases: readonly JsCase[],
  missing: MissingBaseline[],
  info: { machine: BenchResults['machine']; rounds: number; mapping: string },
): BenchResults {
  const median = (name: string | null): number | null => {
    const s = name ? samples.rows.get(name) : undefined;
    return s ? summarize(s).median : null;
  };
  const row = (name: string, group: ResultGroup, path: string, unit: CaseResult['unit'], cName: string | null): CaseResult | null => {
    const s = samples.rows.get(name);
    if (!s) return null;
    const sum = summarize(s);
    const cNs = median(cName);
    return {
      name,
      group,
      path,
      unit,
      ns_per_op: sum.median,
      min_ns: sum.min,
      max_ns: sum.max,
      ...(unit === 'ns' ? { p99_ns: sum.p99 } : {}),
      samples: sum.samples,
      c_baseline: cNs === null ? null : cName,
      c_ns_per_op: cNs,
      ratio_to_c: cNs === null ? null : sum.median / cNs,
    };
  };
  const cases: CaseResult[] = [];
  const push = (r: CaseResult | null): void => void (r && cases.push(r));
  for (const j of jsCases) {
    const unit = j.group === 'block' ? 'ns/word' : 'ns/op';
    push(row(j.name, j.group, j.path, unit, j.cBaseline ? cRow(j.cBaseline) : null));
  }
  push(row(REACTION.mask, 'poll', 'native spin (native/poll.cc)', 'ns', C_POLLER));
  push(row(REACTION.predicate, 'poll', 'JS spin on readl', 'ns', C_POLLER));
  push(row(ASYNC_READ, 'poll', 'readl, then a setImmediate turn', 'ns', null));
  push(row(SET_IMMEDIATE, 'poll', 'the event-loop yield alone', 'ns', null));
  for (const name of samples.rows.keys()) {
    if (name.startsWith('C ')) push(row(name, 'baseline', name === C_POLLER ? 'C spin in another process' : 'C volatile loop', name.endsWith(' B') ? 'ns/word' : name === C_POLLER ? 'ns' : 'ns/op', null));
  }
  for (const op of PY_OPS) push(row(pyRow(op), 'baseline', 'MMIO(0, size, path=<same file>)', 'ns/op', null));

  // How many times faster than python-periphery, for the accesses it has.
  const pairs: [string, string][] = [['readl', 'read32'], ['readl [native call]', 'read32'], ['writel', 'write32'], ['writel [native call]', 'write32']];
  for (const [name, op] of pairs) {
    const ours = cases.find((r) => r.name === name);
    const theirs = median(pyRow(op));
    if (ours) ours.speedup_vs_python = theirs === null ? null : theirs / ours.ns_per_op;
  }
  return {
    machine: info.machine,
    config: { rounds: info.rounds, sample_ms: sampleMs, flips_per_round: flipsPerRound, mapping: info.mapping },
    missing_baselines: missing,
    cases,
    goals: evaluateGoals(cases),
  };
}

/** --replot: the outputs of a past run, redrawn by this version of the report and chart code. */
async function replot(file: string): Promise<void> {
  const results = JSON.parse(readFileSync(file, 'utf8')) as BenchResults;
  await save(results, outDir ?? defaultOut);
}

(opts.replot ? replot(opts.replot) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
