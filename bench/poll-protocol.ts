/**
 * How the poll-reaction cases measure: another process (poll-flipper.ts) sets bit 0 of FLAG at a moment
 * the poller cannot predict, after writing the CLOCK_MONOTONIC time of the flip to FLIPPED_AT; the poller
 * reads the clock as soon as its poll returns. Reaction = poller's time − FLIPPED_AT, so it includes the
 * cache-line transfer between cores, the poll loop, the return to JS and one clock read. The flipper
 * stamps the time before its two stores, which adds their cost (a few tens of ns) to every sample; it
 * does so for the C poller too.
 *
 * The JS poller runs in its own process (poll-js-poller.ts), like the C poller, so that neither shares a
 * CPU with the bench's own JIT and GC threads: the machine has few CPUs, and the flipper needs one.
 *
 * Words in the poll page (each on its own cache line): FLAG (u32), FLIPPED_AT (u64), ARM (u32: the
 * poller writes a new sample number to ask for the next flip; STOP ends the flipper), READY (u32: the
 * flipper sets bit 0 once it spins).
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { NativeRegion } from '../lib/linux/native-region.js';
import { MAP_SIZE, POLL_PAGE } from './layout.js';

export const FLAG = POLL_PAGE;
export const FLIPPED_AT = POLL_PAGE + 64;
export const ARM = POLL_PAGE + 128;
export const READY = POLL_PAGE + 192;
export const STOP = 0xffff_ffff;
/** The flipper waits a random 20–80 µs after each arm, so the poller is mid-spin when the bit flips. */
export const FLIP_DELAY_US = [20, 80] as const;
/**
 * Flips each poller makes before it records any: both fresh processes (poller and flipper) are still
 * compiling and their background threads would compete for the CPUs the spins need.
 */
export const WARM_UP_FLIPS = 200;
/** The longest any wait of the protocol may take before the bench gives up. */
export const TIMEOUT_US = 10_000_000;

/** How the JS poller waits for the bit. */
export type PollMode = 'mask' | 'predicate';

/** Start the flipper on `path` and wait until it spins. `region` maps the same file. */
export async function startFlipper(region: NativeRegion, path: string): Promise<ChildProcess> {
  region.writel(0, READY);
  region.writel(0, ARM);
  region.writel(0, FLAG);
  const script = fileURLToPath(new URL('./poll-flipper.js', import.meta.url));
  const flipper = spawn(process.execPath, [script, path, String(MAP_SIZE)], { stdio: 'inherit' });
  // Yield to the event loop until READY: a blocking spin here would keep the spawn from completing.
  const deadline = Date.now() + TIMEOUT_US / 1000;
  while (!(region.readl(READY) & 1)) {
    if (flipper.exitCode !== null || Date.now() > deadline) throw new Error('the poll flipper did not start');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  return flipper;
}

/** Tell the flipper to exit, and wait for it. */
export async function stopFlipper(region: NativeRegion, flipper: ChildProcess): Promise<void> {
  region.writel(STOP, ARM);
  if (flipper.exitCode === null) await once(flipper, 'exit');
}

/** Reaction times (ns) of `flips` flips, measured by a JS poller process; the flipper must be running. */
export function runJsPoller(path: string, mode: PollMode, flips: number): Promise<number[]> {
  const script = fileURLToPath(new URL('./poll-js-poller.js', import.meta.url));
  const child = spawn(process.execPath, [script, path, String(MAP_SIZE), mode, String(flips)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) resolve(out.trim().split('\n').map(Number));
      else reject(new Error(`the JS poller exited with ${code}`));
    });
  });
}

/** `flips` reaction times (ns) of readl_poll_timeout_atomic in this process, the flipper running. */
export function measureJsReaction(region: NativeRegion, flips: number, mode: PollMode): number[] {
  const samples: number[] = [];
  const bitSet = (v: number): boolean => (v & 1) === 1;
  for (let i = 1; i <= flips; i++) {
    region.writel(0, FLAG);
    region.writel(i, ARM);
    if (mode === 'mask') region.readl_poll_timeout_atomic(FLAG, { mask: 1, value: 1 }, 0, TIMEOUT_US);
    else region.readl_poll_timeout_atomic(FLAG, bitSet, 0, TIMEOUT_US);
    const seen = process.hrtime.bigint();
    samples.push(Number(seen - region.readq(FLIPPED_AT)));
  }
  return samples;
}
