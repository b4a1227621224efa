/**
 * The VFIO interrupt wait's software path on the host, without a guest or a device: an eventfd from the addon
 * (what a VFIO vector signals) written from JS, then waited on through IrqWaiter (what VfioInterrupts.wait uses).
 * Rows: the write and a non-blocking read alone (the floor), write-then-wait with the fast path (the eventfd has
 * fired: no event-loop turn), write-then-wait through the loop (fast path off), wait-then-write (the wait's read
 * after the caller's code finds it: no event-loop turn either), and a bare setImmediate turn for reference. Medians of 20 000 after 2 000 warm-up,
 * each with its ratio to the first row (the floor, measured in the same run).
 *
 *   npx tsc -p bench/tsconfig.json && node dist/bench/vfio/eventfd-host.js
 * @module
 */
import { writeSync } from 'node:fs';
import { addon } from '../../lib/linux/addon.js';
import { IrqWaiter } from '../../lib/linux/irq-wait.js';
import { summarize } from '../stats.js';

const native = addon();
const handle = native.irqOpenEventfd('bench:eventfd');
const fd = native.irqFd(handle);
const waiter = new IrqWaiter('bench:eventfd', (n) => ({ count: n, missed: 0 }), () => '');
const one = new Uint8Array(new BigUint64Array([1n]).buffer);
const wait = () => waiter.wait(handle, undefined);

/** The first row's median (the bare write and read): every row's ratio is to it. */
let floorNs: number | undefined;

async function row(name: string, body: () => Promise<unknown> | unknown): Promise<void> {
  for (let i = 0; i < 2000; i++) await body();
  const ns: number[] = [];
  for (let i = 0; i < 20_000; i++) {
    const t0 = process.hrtime.bigint();
    await body();
    ns.push(Number(process.hrtime.bigint() - t0));
  }
  const median = summarize(ns).median;
  floorNs ??= median;
  process.stdout.write(`${name.padEnd(34)} ${(median / 1000).toFixed(2).padStart(6)} µs  ${(median / floorNs).toFixed(2).padStart(5)}× the write + read\n`);
}

await row('write + non-blocking read', () => {
  writeSync(fd, one);
  native.irqTryRead(handle);
});
await row('write, then wait (fast path)', async () => {
  writeSync(fd, one);
  await wait();
});
native.irqSetTryRead(false);
await row('write, then wait (loop path)', async () => {
  writeSync(fd, one);
  await wait();
});
native.irqSetTryRead(true);
await row('wait pending, then write', async () => {
  const p = wait();
  writeSync(fd, one);
  await p;
});
await row('setImmediate turn (reference)', () => new Promise((resolve) => setImmediate(resolve)));
native.irqClose(handle);
