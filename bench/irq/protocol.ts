/**
 * What the guest half of the interrupt-latency benchmark (guest.ts, inside the QEMU guest) hands to the host
 * half (run.ts): the rows it times, and one console line per row per round. The guest's stdout and stderr
 * reach the host mixed on one serial console, so the data travels as marked lines among the progress lines.
 * @module
 */
import type { Machine } from '../machine.js';

/** The rows, in table order: the C baseline first. */
export const IRQ_ROWS = ['c-read', 'js-raise-then-wait', 'js-raise-then-wait-loop', 'js-wait-then-raise'] as const;

/** One row's id. */
export type IrqRow = (typeof IRQ_ROWS)[number];

/** How each row takes an interrupt, for the table. */
export const ROW_INFO: Record<IrqRow, { name: string; path: string }> = {
  'c-read': {
    name: 'C: blocking read()',
    path: 'writel(raise) → read() of /dev/uioN returns (irq-latency.c)',
  },
  'js-raise-then-wait': {
    name: 'mmio: raise, then await irq.wait()',
    path: 'writel(raise) → dev.irq.wait() → await resolves (as eduInterruptRoundTrip)',
  },
  'js-raise-then-wait-loop': {
    name: 'mmio: raise, then await, fast path off',
    path: 'as the row above with addon irqSetTryRead(false): the wake-up through the event loop (before the fast path)',
  },
  'js-wait-then-raise': {
    name: 'mmio: wait pending, raise, await',
    path: 'dev.irq.wait() already pending → writel(raise) → await resolves (a handler loop)',
  },
};

/** The guest's run settings, echoed back with the samples. */
export interface GuestConfig {
  rounds: number;
  iterations: number;
  warmUp: number;
  /** Whole rounds run and not recorded before the first recorded one. */
  warmUpRounds: number;
  /** The value written to edu's interrupt-raise register. */
  raise: number;
}

/** One marked line: the latencies (ns) of one row in one round, or the guest's description at the end. */
export type GuestLine =
  | { kind: 'samples'; round: number; row: IrqRow; ns: number[] }
  | { kind: 'done'; machine: Machine; device: string; config: GuestConfig };

const MARK = 'MMIO-BENCH-IRQ ';

/** The console line for `line`. */
export function encodeLine(line: GuestLine): string {
  return `${MARK}${JSON.stringify(line)}\n`;
}

/** The data on a console line, or null for any other line (progress, kernel messages). */
export function decodeLine(text: string): GuestLine | null {
  const at = text.indexOf(MARK);
  if (at < 0) return null;
  return JSON.parse(text.slice(at + MARK.length)) as GuestLine;
}
