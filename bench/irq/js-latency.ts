/**
 * The JS side of the interrupt-latency benchmark: the library's public UIO API, used as a driver for the edu
 * device would use it (open the device, map BAR0, unmask, raise, await the interrupt, acknowledge), timed with
 * `process.hrtime.bigint()` from just before the raise write to the `await` resolving.
 *
 * No wait here passes `timeoutMs`: the C side's blocking read() has none either, and a timeout would add a
 * timer to every timed wait. A per-run watchdog (`RUN_TIMEOUT_MS`) ends a run that hangs instead.
 * @module
 */
import { openUio, type InterruptEvent, type IoRegion, type UioInterrupts } from '../../lib/index.js';

/** edu's interrupt status register (BAR0 offset): the bits raised and not yet acknowledged. */
export const EDU_IRQ_STATUS = 0x24;
/** edu's interrupt-raise register: ORs the value into the status and asserts the interrupt. */
export const EDU_IRQ_RAISE = 0x60;
/** edu's interrupt-acknowledge register: clears the bits written from the status. */
export const EDU_IRQ_ACK = 0x64;

/** A run that takes longer than this has lost an interrupt: it is ended with an error. */
export const RUN_TIMEOUT_MS = 120_000;

/**
 * How the wait is placed around the raise:
 * - `raise-then-wait`: write the raise register, then call `irq.wait()` and await it — the order of the
 *   example driver's `eduInterruptRoundTrip` (kick the device, then wait for it);
 * - `wait-then-raise`: call `irq.wait()` first, then raise, then await — what a handler loop
 *   (`for await (const event of dev.irq)`) has: the wait is pending before the device interrupts.
 */
export type WaitPattern = 'raise-then-wait' | 'wait-then-raise';

/** The timed part of one iteration: from before the raise write to the await resolving; ns and the event. */
async function timedInterrupt(regs: IoRegion, irq: UioInterrupts, raise: number, pattern: WaitPattern): Promise<[number, InterruptEvent]> {
  if (pattern === 'wait-then-raise') {
    const pending = irq.wait();
    const t0 = process.hrtime.bigint();
    regs.writel(raise, EDU_IRQ_RAISE);
    const event = await pending;
    return [Number(process.hrtime.bigint() - t0), event];
  }
  const t0 = process.hrtime.bigint();
  regs.writel(raise, EDU_IRQ_RAISE);
  const event = await irq.wait();
  return [Number(process.hrtime.bigint() - t0), event];
}

/**
 * One run on the UIO device `device` (a name such as `uio_pci_generic`, or `/dev/uioN`): `warmUp` unrecorded
 * interrupts, then `iterations` timed ones, each followed by the driver's handling (read the interrupt
 * status, check it holds `raise`, acknowledge it). The device is opened and closed by the run.
 * @returns one latency in ns per timed interrupt.
 * @throws Error if the status lacks the raised bits, an interrupt is lost (`missed` > 0) or the run exceeds
 *   `RUN_TIMEOUT_MS`; the library's errors from openUio, map and wait.
 */
export async function jsLatencies(device: string, pattern: WaitPattern, iterations: number, warmUp: number, raise: number): Promise<number[]> {
  using dev = openUio(device);
  const regs = dev.map(0);
  const watchdog = setTimeout(() => dev.close(), RUN_TIMEOUT_MS); // a hung wait rejects with ERR_IRQ_CLOSED
  try {
    regs.writel(regs.readl(EDU_IRQ_STATUS), EDU_IRQ_ACK); // start from a quiet device
    const latencies: number[] = [];
    for (let i = -warmUp; i < iterations; i++) {
      dev.irq.unmask();
      const [ns, event] = await timedInterrupt(regs, dev.irq, raise, pattern);
      const status = regs.readl(EDU_IRQ_STATUS);
      regs.writel(status, EDU_IRQ_ACK);
      if ((status & raise) >>> 0 !== raise >>> 0) {
        throw new Error(`interrupt status 0x${status.toString(16)} does not hold the raised 0x${raise.toString(16)}`);
      }
      if (event.missed !== 0) throw new Error(`${event.missed} interrupt(s) lost before event ${event.count}`);
      if (i >= 0) latencies.push(ns);
    }
    return latencies;
  } finally {
    clearTimeout(watchdog);
  }
}
