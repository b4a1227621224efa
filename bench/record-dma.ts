/**
 * What recording DMA adds to a recorded register write (recordRegion with `dma`, every write a doorbell: a
 * memcmp of each live buffer against its shadow), on the simulated edu, against the same run's plain and
 * DMA-less recorded writes, each row with its ratio to the unrecorded one. Medians of 7 rounds; nothing is written to disk (flushEvery: Infinity, to /tmp).
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/record-dma.js
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dma_alloc_coherent, recordRegion, type IoRegion } from '../lib/index.js';
import { createSimEdu } from '../lib/sim/index.js';
import { summarize } from './stats.js';

const dir = mkdtempSync(join(tmpdir(), 'mmio-bench-record-dma-'));
let files = 0;
const file = () => join(dir, `r${++files}.jsonl`);

function nsPerWrite(regs: IoRegion, n: number): number {
  const rounds: number[] = [];
  for (let r = 0; r < 8; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) regs.writel(i, 0x04);
    if (r > 0) rounds.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return summarize(rounds).median;
}

const edu = createSimEdu();
/** The first row's figure (the simulated edu, not recorded): every row's ratio is to it. */
let plainNs: number | undefined;
const row = (name: string, ns: number) => {
  plainNs ??= ns;
  process.stdout.write(`${name.padEnd(46)} ${ns.toFixed(0).padStart(7)} ns per writel  ${(ns / plainNs).toFixed(1).padStart(7)}× not recorded\n`);
};
try {
  row('simulated edu, not recorded', nsPerWrite(edu.regs, 50_000));
  row('recorded, no DMA device', nsPerWrite(recordRegion(edu.regs, file(), { flushEvery: Infinity }), 50_000));
  const withDma = recordRegion(edu.regs, file(), { dma: edu, flushEvery: Infinity });
  row('recorded with DMA, no live buffer', nsPerWrite(withDma, 50_000));
  dma_alloc_coherent(withDma.dma, 4096); // live in the recording from here on
  row('recorded with DMA, one 4 KiB buffer', nsPerWrite(withDma, 50_000));
  const other = recordRegion(edu.regs, file(), { dma: edu, flushEvery: Infinity });
  dma_alloc_coherent(other.dma, 1 << 20);
  row('recorded with DMA, one 1 MiB buffer', nsPerWrite(other, 1_000));
  const narrowed = recordRegion(edu.regs, file(), { dma: edu, doorbells: [0x98], flushEvery: Infinity });
  dma_alloc_coherent(narrowed.dma, 1 << 20);
  row('the same, doorbells: [0x98] (writes elsewhere)', nsPerWrite(narrowed, 50_000));
} finally {
  edu.close();
  rmSync(dir, { recursive: true, force: true });
}
