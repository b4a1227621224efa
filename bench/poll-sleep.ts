/**
 * The sleeping poll's bench: `npm run bench:poll [-- --rounds N] [--no-save]`.
 *
 * For sleepUs 10 and 100, on a register that never changes, `readl_poll_timeout` runs for 1 s (timeoutUs
 * 1 000 000) per round; measured: reads per second against the kernel's ceiling 1e6 / ((sleepUs >> 2) + 1) (the
 * fastest a usleep_range(min, max) loop may go), and the CPU it used (process.cpuUsage) as % of one core.
 * In the same rounds, bench/c/timerfd-sleep.c sleeps the same sleepUs on a timerfd in epoll_wait (what
 * libuv does) for 1 s: its CPU is the cost of the wake-ups on this machine, the floor of any sleeping poll.
 * Then the reaction: another process (poll-flipper.ts) sets bit 0 of a word at a moment the poller cannot
 * predict (20–80 µs after it is armed) and stamps the time; the poll's return minus that stamp is one sample,
 * compared with the goal sleepUs + 100 µs at the median.
 * Writes bench/results/poll-sleep.json and poll-sleep.md unless --no-save.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pollSleeper } from '../lib/core/poll-sleep.js';
import { mapFile } from '../lib/linux/map-file.js';
import '../lib/linux/poll-timer.js';
import { buildC } from './c-build.js';
import { MAP_SIZE, createSharedFile } from './layout.js';
import { describeMachine } from './machine.js';
import { ARM, FLAG, FLIPPED_AT, TIMEOUT_US, startFlipper, stopFlipper } from './poll-protocol.js';
import { summarize } from './stats.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values: opts } = parseArgs({
  options: { rounds: { type: 'string' }, flips: { type: 'string' }, 'no-save': { type: 'boolean', default: false } },
});
const rounds = Number(opts.rounds ?? 5);
const flips = Number(opts.flips ?? 300);
const SLEEPS = [10, 100] as const;
const RUN_MS = 1000;
/** A word nothing writes: the never-changing register. */
const IDLE_REG = 0x100;
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

interface Row {
  sleep_us: number;
  reads_per_s: number;
  ceiling_reads_per_s: number;
  cpu_pct: number;
  c_floor_cpu_pct: number | null;
  c_floor_wakes_per_s: number | null;
  reaction_median_us: number;
  reaction_p99_us: number;
  reaction_goal_us: number;
}

type Region = ReturnType<typeof mapFile>;

/** One 1 s poll that never meets its condition: reads per second and CPU % of a core. */
async function idlePoll(region: Region, sleepUs: number): Promise<{ readsPerS: number; cpuPct: number }> {
  let reads = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await region.readl_poll_timeout(IDLE_REG, () => (reads++, false), sleepUs, RUN_MS * 1000).catch((e: { code?: string }) => {
    if (e.code !== 'ETIMEDOUT') throw e;
  });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { readsPerS: (reads / ms) * 1000, cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100 };
}

/** The C timerfd loop's wake-ups per second and CPU % for one second. */
function cFloor(binary: string, sleepUs: number): { wakesPerS: number; cpuPct: number } {
  const [wakes, cpuUs, wallUs] = execFileSync(binary, [String(sleepUs), String(RUN_MS)], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return { wakesPerS: (wakes / wallUs) * 1e6, cpuPct: (cpuUs / wallUs) * 100 };
}

/** Reaction times (µs) of the sleeping poll to a bit set by the flipper process. */
async function reactions(region: Region, sleepUs: number, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 1; i <= n; i++) {
    region.writel(0, FLAG);
    region.writel(i, ARM);
    await region.readl_poll_timeout(FLAG, { mask: 1, value: 1 }, sleepUs, TIMEOUT_US);
    const seen = process.hrtime.bigint();
    out.push(Number(seen - region.readq(FLIPPED_AT)) / 1000);
  }
  return out;
}

const fmt = (v: number, d = 1): string => v.toFixed(d);

function markdown(rows: readonly Row[], header: string): string {
  const lines = [
    header,
    '',
    '| sleepUs | reads/s (ceiling) | CPU, % of a core | C timerfd floor: CPU (wake-ups/s) | reaction median (p99) | goal: median ≤ |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const floor = r.c_floor_cpu_pct === null ? 'missing' : `${fmt(r.c_floor_cpu_pct)}% (${fmt(r.c_floor_wakes_per_s ?? 0, 0)})`;
    lines.push(
      `| ${r.sleep_us} | ${fmt(r.reads_per_s, 0)} (${fmt(r.ceiling_reads_per_s, 0)}) | ${fmt(r.cpu_pct)}% | ${floor} | ${fmt(r.reaction_median_us)} µs (${fmt(r.reaction_p99_us)} µs) | ${r.reaction_goal_us} µs |`,
    );
  }
  return lines.join('\n');
}

function ratioLines(rows: readonly Row[]): string {
  const lines: string[] = [];
  for (const r of rows) {
    const cpuGoal = r.sleep_us === 10 ? 50 : 15;
    lines.push(`sleepUs ${r.sleep_us}: reads/s ${fmt(r.reads_per_s, 0)} = ${fmt(r.reads_per_s / r.ceiling_reads_per_s, 3)}× the ceiling ${fmt(r.ceiling_reads_per_s, 0)} [${r.reads_per_s <= r.ceiling_reads_per_s ? 'met' : 'MISSED'}]`);
    const floor = r.c_floor_cpu_pct === null ? '' : ` (C timerfd loop, same sleep: ${fmt(r.c_floor_cpu_pct)}%; ours ${fmt(r.cpu_pct / r.c_floor_cpu_pct, 2)}× it)`;
    lines.push(`sleepUs ${r.sleep_us}: CPU ${fmt(r.cpu_pct)}% of a core, goal ≤ ${cpuGoal}% [${r.cpu_pct <= cpuGoal ? 'met' : 'MISSED'}]${floor}`);
    lines.push(`sleepUs ${r.sleep_us}: reaction median ${fmt(r.reaction_median_us)} µs, p99 ${fmt(r.reaction_p99_us)} µs, goal ≤ ${r.reaction_goal_us} µs [${r.reaction_median_us <= r.reaction_goal_us ? 'met' : 'MISSED'}]`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const file = createSharedFile();
  let binary: string | null = null;
  let compiler: string | null = null;
  try {
    ({ binary, compiler } = buildC(join(repo, 'bench', 'c', 'timerfd-sleep.c'), join(repo, 'node_modules', '.cache', 'mmio-bench')));
  } catch (e) {
    log(`BASELINE MISSING: C timerfd loop: ${(e as Error).message}`);
  }
  const region = mapFile(file.path, 0, MAP_SIZE);
  try {
    log(`sleeper: ${pollSleeper().kind}`);
    await idlePoll(region, 100); // warm-up
    const idle = new Map<number, { reads: number[]; cpu: number[]; cCpu: number[]; cWakes: number[] }>(
      SLEEPS.map((s) => [s, { reads: [], cpu: [], cCpu: [], cWakes: [] }]),
    );
    for (let round = 1; round <= rounds; round++) {
      for (const s of SLEEPS) {
        const m = idle.get(s)!;
        const { readsPerS, cpuPct } = await idlePoll(region, s);
        m.reads.push(readsPerS);
        m.cpu.push(cpuPct);
        if (binary) {
          const f = cFloor(binary, s);
          m.cCpu.push(f.cpuPct);
          m.cWakes.push(f.wakesPerS);
        }
      }
      log(`round ${round}/${rounds} done`);
    }
    const rows: Row[] = [];
    for (const s of SLEEPS) {
      const flipper = await startFlipper(region, file.path);
      await reactions(region, s, 50); // warm-up: both processes compile
      const times = summarize(await reactions(region, s, flips));
      await stopFlipper(region, flipper);
      const m = idle.get(s)!;
      rows.push({
        sleep_us: s,
        reads_per_s: summarize(m.reads).median,
        ceiling_reads_per_s: 1e6 / ((s >> 2) + 1),
        cpu_pct: summarize(m.cpu).median,
        c_floor_cpu_pct: m.cCpu.length ? summarize(m.cCpu).median : null,
        c_floor_wakes_per_s: m.cWakes.length ? summarize(m.cWakes).median : null,
        reaction_median_us: times.median,
        reaction_p99_us: times.p99,
        reaction_goal_us: s + 100,
      });
    }
    const machine = describeMachine(compiler, null, file.path, loadavg()[0]);
    const header = `Node ${process.version} (V8 ${process.versions.v8}), sleeper: ${pollSleeper().kind}; ${rounds} rounds of 1 s per sleep (medians), ${flips} flips per sleep.`;
    process.stdout.write(`${markdown(rows, header)}\n\n${ratioLines(rows)}\n`);
    if (!opts['no-save']) {
      const dir = join(repo, 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'poll-sleep.json'), `${JSON.stringify({ machine, sleeper: pollSleeper().kind, rounds, flips, rows }, null, 2)}\n`);
      writeFileSync(join(dir, 'poll-sleep.md'), `${markdown(rows, header)}\n\n\`\`\`\n${ratioLines(rows)}\n\`\`\`\n`);
      log(`wrote poll-sleep.json and poll-sleep.md to ${dir}`);
    }
  } finally {
    region.iounmap();
    file.remove();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
