/**
 * The C side of the interrupt-latency benchmark: bench/irq/irq-latency.c, built on the host by bench/c-build.ts
 * and run inside the guest, which sees the host's files at the same paths. Building on the host keeps the
 * compiler out of the emulated guest.
 * @module
 */
import { execFileSync } from 'node:child_process';

/**
 * One run of the C program on `devicePath` (/dev/uioN) with the PCI function's sysfs `config` file:
 * `warmUp` unrecorded interrupts, then `iterations` timed ones.
 * @returns one latency in ns per timed interrupt.
 * @throws Error with the program's message when it fails (a lost interrupt, a failed system call).
 */
export function cLatencies(binary: string, devicePath: string, pciConfig: string, iterations: number, warmUp: number, raise: number): number[] {
  const args = [devicePath, pciConfig, String(iterations), String(warmUp), `0x${raise.toString(16)}`];
  const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const latencies = out.trim().split('\n').map(Number);
  if (latencies.length !== iterations || latencies.some((ns) => !Number.isFinite(ns))) {
    throw new Error(`${binary} printed ${latencies.length} latencies, expected ${iterations}`);
  }
  return latencies;
}
