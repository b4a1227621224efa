/**
 * A simulated NVMe controller (skeleton: the API of the contract; the model follows).
 * @module
 */
import type { NvmePciFunction } from './device.js';

/** Options of {@link createSimNvme}. */
export interface SimNvmeOptions {
  /** Blocks in namespace 1. Default 2048. */
  blocks?: number;
  /** Block size in bytes. Default 512. */
  blockSize?: 512 | 4096;
}

/** A simulated NVMe controller. */
export interface SimNvme {
  /** The PCI function to hand to NvmeController.open. */
  readonly device: NvmePciFunction;
  /** Namespace 1's blocks (the RAM disk). */
  readonly namespace: Uint8Array;
  /** Stop the model: unmap, close the vectors, free the bus memory. */
  close(): void;
}

/** Build a simulated NVMe controller. */
export function createSimNvme(options: SimNvmeOptions = {}): SimNvme {
  void options;
  throw new Error('not implemented yet');
}
