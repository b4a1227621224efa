/**
 * The benchmark on every Node.js version CI tests: `npm run bench:per-node [-- options]`.
 *
 * Runs the full bench (dist/bench/run.js) once per version, one after another: the machine's node, then each
 * official build pinned in test/node-versions/versions (installed by test/node-versions/install.sh, cached).
 * Each run measures its own C and python-periphery baselines, so every version's ratios are same-run ratios.
 * V8 differs between versions (Atomics.load's builtin, the N-API call, inlining), and so does which write path
 * ships (plain stores only on verified V8s), so the table names the path beside the figures.
 *
 * Options:
 *   --rounds N   rounds per version (default 15)
 *   --quick      5 rounds per version; writes no files
 *   --out DIR    where per-node.json and per-node.md go (default bench/out, git-ignored)
 *   --no-save    write no files
 * Committed files are left alone: `npm run bench:update-docs [-- DIR]` copies them into bench/results and
 * rewrites the per-version section of docs/benchmarks.md (bench/update-docs.ts).
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { markdownTable } from './report.js';
import type { BenchResults, CaseResult } from './results-model.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
});
const rounds = opts.quick ? 5 : Number(opts.rounds ?? 15);
const save = !opts.quick && !opts['no-save'];
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** The rows of the per-version table: the headline access paths, blocks, polling and the two floors. */
const ROWS: readonly string[] = [
  'readl',
  'writel',
  'readq',
  'writeq',
  'readl [native call]',
  'writel [native call]',
  'memcpy_fromio 1 KiB',
  'memcpy_fromio 64 KiB',
  'ioread32_rep 1 KiB',
  'readl_poll_timeout_atomic reaction ({mask, value})',
  'readl_poll_timeout_atomic reaction (predicate)',
  'readl_poll_timeout, per read',
  'Atomics.load, no wrapper',
  'native read32, no wrapper',
  'Wasm atomic load, no wrapper',
  'Wasm store, no wrapper',
];

/** One version's run, as per-node.json keeps it. */
interface VersionRun {
  node: string;
  v8: string;
  /** The path of the shipped readl and writel in this version (they differ by V8). */
  read_path: string;
  write_path: string;
  wasm_window: boolean;
  cases: Pick<CaseResult, 'name' | 'unit' | 'ns_per_op' | 'ratio_to_c' | 'speedup_vs_python'>[];
  goals: BenchResults['goals'];
}

/** The machine's node, then every pinned official build: [label, path to node]. */
function nodes(): [string, string][] {
  const list: [string, string][] = [[`${process.version} (this machine)`, process.execPath]];
  const printed = execFileSync(join(repo, 'test', 'node-versions', 'install.sh'), ['--print'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for (const line of printed.trim().split('\n')) {
    const [, version, path] = line.split(' ');
    if (path && `v${version}` !== process.version) list.push([`v${version}`, path]);
  }
  return list;
}

function runOne(label: string, node: string): VersionRun {
  log(`== ${label}: ${rounds} rounds`);
  const run = spawnSync(node, [join(repo, 'dist', 'bench', 'run.js'), '--json', '--no-save', '--rounds', String(rounds)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`the bench failed on ${label} (exit ${run.status ?? run.signal})`);
  const results = JSON.parse(run.stdout) as BenchResults;
  const byName = new Map(results.cases.map((c) => [c.name, c]));
  return {
    node: results.machine.node,
    v8: results.machine.v8,
    read_path: byName.get('readl')?.path ?? '–',
    write_path: byName.get('writel')?.path ?? '–',
    wasm_window: results.machine.wasm_window === true,
    cases: results.cases
      .filter((c) => ROWS.includes(c.name))
      .map(({ name, unit, ns_per_op, ratio_to_c, speedup_vs_python }) => ({ name, unit, ns_per_op, ratio_to_c, speedup_vs_python })),
    goals: results.goals,
  };
}

function figure(c: VersionRun['cases'][number] | undefined): string {
  if (!c) return '–';
  const ns = c.ns_per_op >= 100 ? c.ns_per_op.toFixed(0) : c.ns_per_op.toFixed(2);
  const unit = c.unit === 'ns/word' ? ' ns/word' : ' ns';
  return c.ratio_to_c === null ? `${ns}${unit}` : `${ns}${unit} (${c.ratio_to_c.toFixed(1)}× C)`;
}

/** The per-version table as Markdown: a row per case, a column per version, then the paths and goals. */
export function formatPerNode(runs: readonly VersionRun[], when: string): string {
  const header = ['case', ...runs.map((r) => `Node ${r.node} (V8 ${r.v8.split('.').slice(0, 2).join('.')})`)];
  const rows = ROWS.map((name) => [name, ...runs.map((r) => figure(r.cases.find((c) => c.name === name)))]);
  rows.push(['readl path', ...runs.map((r) => r.read_path)]);
  rows.push(['writel path', ...runs.map((r) => r.write_path)]);
  rows.push(['Wasm window (WASM_WINDOW_ENABLED)', ...runs.map((r) => (r.wasm_window ? 'on' : 'off'))]);
  rows.push(['readl vs python-periphery read32', ...runs.map((r) => {
    const s = r.cases.find((c) => c.name === 'readl')?.speedup_vs_python;
    return s ? `${s.toFixed(0)}× faster` : '–';
  })]);
  rows.push(['goals met', ...runs.map((r) => `${r.goals.filter((g) => g.met).length} of ${r.goals.length}`)]);
  const missed = runs.map((r) => `- Node ${r.node}: missed: ${r.goals.filter((g) => g.met === false).map((g) => `${g.goal} (${g.measured})`).join('; ') || 'none'}`);
  return [
    `Measured ${when}, ${rounds} rounds per version, one version after another on the same machine; every ratio is to the C loop of the same run.`,
    '',
    markdownTable([header, ...rows], 1),
    '',
    ...missed,
  ].join('\n');
}

function main(): void {
  const runs = nodes().map(([label, path]) => runOne(label, path));
  const markdown = formatPerNode(runs, new Date().toISOString().slice(0, 10));
  process.stdout.write(`${markdown}\n`);
  if (!save) return;
  const dir = resolve(opts.out ?? join(repo, 'bench', 'out'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'per-node.json'), `${JSON.stringify({ rounds, runs }, null, 2)}\n`);
  writeFileSync(join(dir, 'per-node.md'), `${markdown}\n`);
  log(`wrote per-node.json and per-node.md to ${dir} (npm run bench:update-docs -- ${dir} commits them to the docs)`);
}

main();
