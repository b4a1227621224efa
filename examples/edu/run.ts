/**
 * `npm start`: run the edu demo and print what the driver did and its access trace.
 * Today the only backend is the simulated edu; a real one (/dev/mem, PCI resource0, UIO) plugs in as
 * another {@link EduBackend} returned by {@link openEduBackend}.
 * @module
 */
import type { InterruptSource } from '../../lib/interrupts.js';
import type { IoRegion } from '../../lib/io-region.js';
import { createSimEdu } from '../../lib/sim/index.js';
import { formatEduDemo, runEduDemo } from './demo.js';

/** An opened edu: its BAR0, its interrupt source, and how to release both. */
export interface EduBackend {
  /** BAR0 of the edu, 1 MiB (or at least its first 0x100 bytes). */
  regs: IoRegion;
  /** The edu's interrupt. */
  irq: InterruptSource;
  /** Unmap `regs` and close `irq`. */
  close(): void;
}

/** Open the edu to run on. Other backends are added here (e.g. chosen by an argument or environment variable). */
export function openEduBackend(): EduBackend {
  return createSimEdu();
}

async function main(): Promise<void> {
  const edu = openEduBackend();
  try {
    console.log(formatEduDemo(await runEduDemo(edu.regs, edu.irq)));
  } finally {
    edu.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
