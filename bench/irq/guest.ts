/**
 * The guest half of `npm run bench:irq`, run by run.ts inside the QEMU guest (`test/vm/run.sh --uio`), where
 * the first edu device is bound to uio_pci_generic:
 *
 *   node dist/bench/irq/guest.js --c-binary PATH [--device NAME] [--rounds N] [--iterations N] [--warm-up N]
 *     [--warm-up-rounds N]
 *
 * After `--warm-up-rounds` unrecorded rounds (under TCG the JIT needs about 1500 interrupts before the JS
 * rows settle), in each round every row (the C program and both JS patterns) takes `--warm-up` unrecorded
 * interrupts, then `--iterations` timed ones, one row after the other; the order rotates from round to round,
 * so every row runs first as often as the others and all share the emulation's drift. Each row's latencies
 * go to stdout as one marked line per round (protocol.ts), progress to stderr.
 * @module
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { openUio } from '../../lib/index.js';
import { addon } from '../../lib/linux/addon.js';
import { describeMachine } from '../machine.js';
import { cLatencies } from './c-program.js';
import { jsLatencies } from './js-latency.js';
import { encodeLine, IRQ_ROWS, type GuestConfig, type IrqRow } from './protocol.js';

const { values: opts } = parseArgs({
  options: {
    'c-binary': { type: 'string' },
    device: { type: 'string', default: 'uio_pci_generic' },
    rounds: { type: 'string', default: '11' },
    iterations: { type: 'string', default: '200' },
    'warm-up': { type: 'string', default: '20' },
    'warm-up-rounds': { type: 'string', default: '8' },
  },
});

/** A bit edu itself never raises (its own are 0x1, factorial done, and 0x100, DMA done). */
const RAISE = 0x0001_0000;

const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** `rows` rotated left by `by`. */
function rotated<T>(rows: readonly T[], by: number): T[] {
  const k = by % rows.length;
  return [...rows.slice(k), ...rows.slice(0, k)];
}

async function main(): Promise<void> {
  const binary = opts['c-binary'];
  if (binary === undefined) throw new Error('--c-binary is required (run.ts builds it on the host)');
  const config: GuestConfig = {
    rounds: Number(opts.rounds),
    iterations: Number(opts.iterations),
    warmUp: Number(opts['warm-up']),
    warmUpRounds: Number(opts['warm-up-rounds']),
    raise: RAISE,
  };
  const loadAtStart = loadavg()[0];
  const info = (() => {
    using dev = openUio(opts.device);
    return dev.info;
  })();
  const pciConfig = join(info.sysfsPath, 'device', 'config');
  log(`${info.devicePath} (${info.name}, PCI ${info.pciAddress ?? '?'}): ${config.rounds} rounds × ${config.iterations} interrupts per row, Node ${process.version}`);

  const run = async (row: IrqRow): Promise<number[]> => {
    const { iterations, warmUp } = config;
    switch (row) {
      case 'c-read':
        return cLatencies(binary, info.devicePath, pciConfig, iterations, warmUp, RAISE);
      case 'js-raise-then-wait':
        return jsLatencies(info.devicePath, 'raise-then-wait', iterations, warmUp, RAISE);
      case 'js-raise-then-wait-loop':
        addon().irqSetTryRead(false);
        try {
          return await jsLatencies(info.devicePath, 'raise-then-wait', iterations, warmUp, RAISE);
        } finally {
          addon().irqSetTryRead(true);
        }
      case 'js-wait-then-raise':
        return jsLatencies(info.devicePath, 'wait-then-raise', iterations, warmUp, RAISE);
    }
  };
  // Unrecorded rounds first: the JIT compiles the JS loops (and the library's wait path) before anything counts.
  for (let round = 1; round <= config.warmUpRounds; round++) {
    for (const row of rotated(IRQ_ROWS, round - 1)) await run(row);
    log(`warm-up round ${round}/${config.warmUpRounds} done`);
  }
  for (let round = 1; round <= config.rounds; round++) {
    const medians: string[] = [];
    for (const row of rotated(IRQ_ROWS, round - 1)) {
      const ns = await run(row);
      process.stdout.write(encodeLine({ kind: 'samples', round, row, ns }));
      const sorted = [...ns].sort((a, b) => a - b);
      medians.push(`${row} ${(sorted[sorted.length >> 1] / 1000).toFixed(1)} µs`);
    }
    log(`round ${round}/${config.rounds}: ${medians.join(', ')}`);
  }
  const machine = describeMachine(null, null, `UIO map0 of ${info.devicePath} (edu BAR0)`, loadAtStart);
  process.stdout.write(encodeLine({ kind: 'done', machine, device: `${info.devicePath} (${info.name}, PCI ${info.pciAddress ?? '?'})`, config }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
