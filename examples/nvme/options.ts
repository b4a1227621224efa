/**
 * The options of {@link NvmeController.open} and {@link NvmeController.createIoQueuePair}, and their checks.
 * @module
 */
import type { NvmePciFunction } from './device.js';
import { argRangeError, argTypeError } from './errors.js';

/** How completions are noticed: `'poll'` spins on the completion queue's phase tag, `'interrupt'` waits on its MSI-X vector. */
export type NvmeCompletionMode = 'poll' | 'interrupt';

/** Options of {@link NvmeController.open}. */
export interface NvmeOpenOptions {
  /** Completion mode of the admin queue, and the default of I/O queues. Default `'poll'`. */
  completion?: NvmeCompletionMode;
  /** Admin queue entries (2..4096, at most CAP.MQES + 1). Default 32 (or CAP.MQES + 1 if smaller). */
  adminEntries?: number;
  /** Milliseconds before a command rejects with `ETIMEDOUT` (1..2^31-1). Default 5000. */
  timeoutMs?: number;
  /** I/O queue pairs to ask for (Set Features Number of Queues), 1..65535. Default 8. */
  ioQueues?: number;
  /**
   * MSI-X vectors to enable when interrupts are first used (vector 0: the admin queue, one more per interrupt-driven
   * I/O queue pair). Default: the function's MSI-X table size as its config space shows it, at most 1 + ioQueues;
   * 9 when the table cannot be read.
   */
  interruptVectors?: number;
  /** Microseconds a poll turn spins on the phase tag before yielding to the event loop (0..10000). Default 50. */
  pollSpinUs?: number;
  /** Microseconds of back-to-back poll turns run as microtasks before one yields to the event loop (0..100000). Default 1000. */
  pollSliceUs?: number;
  /** Run the function's reset (VFIO_DEVICE_RESET) first, when it has one. Default false. */
  functionReset?: boolean;
}

/** Options of {@link NvmeController.createIoQueuePair}. */
export interface NvmeIoQueueOptions {
  /** Entries of the submission and completion queue (2..CAP.MQES + 1); up to entries - 1 commands outstanding. Default 64 (or CAP.MQES + 1 if smaller). */
  entries?: number;
  /** Completion mode; default the controller's. */
  completion?: NvmeCompletionMode;
  /** Cap on one command's transfer in bytes (>= one page); default MDTS's limit, at most 4 MiB. Larger I/O is split. */
  maxTransferBytes?: number;
}

/** The checked options of NvmeController.open. @internal */
export interface Settings {
  completion: NvmeCompletionMode;
  adminEntries: number | undefined;
  timeoutMs: number;
  ioQueues: number;
  interruptVectors: number | undefined;
  pollSpinUs: number;
  pollSliceUs: number;
  functionReset: boolean;
}

/** An integer option in min..max, or `fallback` when absent. @throws TypeError/RangeError with a code. */
export function intOption(options: Record<string, unknown>, name: string, min: number, max: number, fallback: number): number;
export function intOption(options: Record<string, unknown>, name: string, min: number, max: number, fallback?: undefined): number | undefined;
export function intOption(options: Record<string, unknown>, name: string, min: number, max: number, fallback: number | undefined): number | undefined {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw argTypeError(`options.${name}`, `an integer ${min}..${max}`, v);
  if (!Number.isInteger(v) || v < min || v > max) throw argRangeError('ERR_OUT_OF_RANGE', `options.${name} must be an integer ${min}..${max}, got ${v}`, `give options.${name} as an integer in ${min}..${max}, or leave it out for the default`);
  return v;
}

/** A completion mode option. @throws RangeError `ERR_INVALID_ARG_VALUE`. */
export function modeOption(v: unknown, what: string, fallback: NvmeCompletionMode): NvmeCompletionMode {
  if (v === undefined) return fallback;
  if (v !== 'poll' && v !== 'interrupt') throw argRangeError('ERR_INVALID_ARG_VALUE', `${what} must be 'poll' or 'interrupt', got ${String(v)}`, "'poll' spins on the completion queue's phase tag; 'interrupt' waits for the queue's MSI-X vector");
  return v;
}

/** Check that `dev` looks like an NvmePciFunction. @throws TypeError `ERR_INVALID_ARG_TYPE`. */
export function checkDevice(dev: unknown): asserts dev is NvmePciFunction {
  const d = dev as Partial<NvmePciFunction> | null;
  if (d === null || typeof d !== 'object' || typeof d.map !== 'function' || typeof d.allocCoherent !== 'function' || typeof d.readConfig !== 'function') {
    throw argTypeError('dev', 'a PCI function (map, allocCoherent/freeCoherent, readConfig/writeConfig: a VfioDevice or createSimNvme().device)', dev);
  }
}

