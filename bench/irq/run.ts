/**
 * The interrupt-latency benchmark: `npm run bench:irq [-- options]`.
 *
 * How long a UIO interrupt takes to reach JavaScript, against a C program's blocking read() on the same
 * /dev/uioN. Inside the QEMU guest of test/vm (`run.sh --uio`: QEMU's edu device bound to uio_pci_generic),
 * both sides do the same thing per interrupt — unmask, write edu's raise register, wait, acknowledge — and
 * time from just before the raise write to the wait returning: the C program (irq-latency.c) with
 * CLOCK_MONOTONIC around a blocking read(), JS (js-latency.ts) with process.hrtime.bigint() around the raise
 * and the `await` of `dev.irq.wait()`. The rows alternate within each round of one guest boot, so they share
 * the emulation's noise; times are emulated, so the ratios to C are the result.
 *
 * This script runs on the host: it builds the C program with the host's cc, boots the guest with guest.js as
 * its command, collects the latencies from the console, then prints and saves the table.
 *
 * Options:
 *   --rounds N      rounds (default 11)
 *   --iterations N  timed interrupts per row per round (default 200)
 *   --warm-up N     unrecorded interrupts before them, per row per round (default 20)
 *   --warm-up-rounds N  unrecorded rounds before the first (default 8: the JIT settles after ~1500 interrupts)
 *   --json          print the results as JSON on stdout (progress goes to stderr)
 *   --out DIR       where irq.json and irq.md go (default bench/out, git-ignored; npm run bench:update-docs
 *                   copies them into bench/results)
 *   --no-save       write no files
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildC } from '../c-build.js';
import { decodeLine, type GuestLine, type IrqRow } from './protocol.js';
import { formatIrqMarkdown, formatIrqText } from './report.js';
import { summarizeRows, type IrqResults } from './results.js';

/** The repository root: dist/bench/irq/run.js is three levels below it. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '11' },
    iterations: { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '20' },
    'warm-up-rounds': { type: 'string', default: '8' },
    json: { type: 'boolean', default: false },
    out: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
});
const outDir = opts['no-save'] ? null : resolve(opts.out ?? join(repo, 'bench', 'out'));

const TIMING =
  'C: CLOCK_MONOTONIC before the raise write and after read() returns; JS: process.hrtime.bigint() before the raise write and after the await resolves. ' +
  'The unmask (PCI_COMMAND through sysfs config: uio_pci_generic has no irqcontrol) and the acknowledge are outside the timed span on both sides; no wait has a timeout.';

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Boot the guest with `args` as its command; the marked lines it printed, progress forwarded to stderr. */
function runInGuest(args: string[]): Promise<GuestLine[]> {
  const child = spawn(join(repo, 'test', 'vm', 'run.sh'), ['--uio', '--', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: GuestLine[] = [];
  let pending = '';
  const take = (line: string): void => {
    const data = decodeLine(line);
    if (data) lines.push(data);
    else if (line.trim() !== '') log(line);
  };
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop()!;
    for (const p of parts) take(p.replace(/\r$/, ''));
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      take(pending);
      if (code === 0) resolvePromise(lines);
      else reject(new Error(`the guest run failed (test/vm/run.sh exit ${code}); see its output above`));
    });
  });
}

function qemuVersion(): string {
  try {
    return execFileSync('qemu-system-x86_64', ['--version'], { encoding: 'utf8' }).split('\n')[0].replace(/^QEMU emulator version /, 'QEMU ');
  } catch {
    return 'QEMU (version unknown)';
  }
}

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0];
  const c = buildC(join(repo, 'bench', 'irq', 'irq-latency.c'), join(repo, 'node_modules', '.cache', 'mmio-bench'));
  log(`built ${c.binary} (${c.compiler}); booting the guest…`);
  const guest = join(repo, 'dist', 'bench', 'irq', 'guest.js');
  const lines = await runInGuest([
    process.execPath, guest, '--c-binary', c.binary,
    '--rounds', opts.rounds, '--iterations', opts.iterations, '--warm-up', opts['warm-up'], '--warm-up-rounds', opts['warm-up-rounds'],
  ]);

  const perRound = new Map<IrqRow, number[][]>();
  let done: Extract<GuestLine, { kind: 'done' }> | undefined;
  for (const line of lines) {
    if (line.kind === 'done') done = line;
    else perRound.set(line.row, [...(perRound.get(line.row) ?? []), line.ns]);
  }
  if (done === undefined) throw new Error('the guest ended without reporting its results (see its output above)');
  const results: IrqResults = {
    guest: { ...done.machine, c_compiler: c.compiler },
    host: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cpus: cpus().length, qemu: qemuVersion(), load_average: { start: loadAtStart, end: loadavg()[0] } },
    device: done.device,
    config: { ...done.config, timing: TIMING },
    rows: summarizeRows(perRound),
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else process.stdout.write(formatIrqText(results));
  if (outDir) {
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, 'irq.json'), `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(join(outDir, 'irq.md'), formatIrqMarkdown(results));
    log(`wrote irq.json and irq.md to ${outDir}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
