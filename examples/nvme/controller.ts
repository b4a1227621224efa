/**
 * The NVMe controller driver (skeleton: the API of the contract; the implementation follows).
 * @module
 */
import type { NvmePciFunction } from './device.js';
import type { NvmeIdentifyController, NvmeIdentifyNamespace } from './identify.js';

/** How completions are noticed: `'poll'` spins on the completion queue's phase tag, `'interrupt'` waits on its MSI-X vector. */
export type NvmeCompletionMode = 'poll' | 'interrupt';

/** Options of {@link NvmeController.open}. */
export interface NvmeOpenOptions {
  /** Completion mode of the admin queue, and the default of I/O queues. Default `'poll'`. */
  completion?: NvmeCompletionMode;
  /** Admin queue entries (2..4096, at most CAP.MQES + 1). Default 32. */
  adminEntries?: number;
  /** Milliseconds before a command rejects with `ETIMEDOUT`. Default 5000. */
  timeoutMs?: number;
}

/** Options of {@link NvmeController.createIoQueuePair}. */
export interface NvmeIoQueueOptions {
  /** Entries of the submission and completion queue (2..CAP.MQES + 1); up to entries - 1 commands outstanding. Default 64. */
  entries?: number;
  /** Completion mode; default the controller's. */
  completion?: NvmeCompletionMode;
}

/** An NVMe controller owned by this process. */
export class NvmeController {
  /** Reset and enable the controller, set up the admin queue. */
  static async open(dev: NvmePciFunction, options: NvmeOpenOptions = {}): Promise<NvmeController> {
    void dev;
    void options;
    throw new Error('not implemented yet');
  }

  /** Identify Controller (CNS 0x01). */
  async identifyController(): Promise<NvmeIdentifyController> {
    throw new Error('not implemented yet');
  }

  /** Identify Namespace (CNS 0x00) for `nsid`. */
  async identifyNamespace(nsid: number): Promise<NvmeIdentifyNamespace> {
    void nsid;
    throw new Error('not implemented yet');
  }

  /** Create an I/O completion queue and submission queue pair. */
  async createIoQueuePair(options: NvmeIoQueueOptions = {}): Promise<NvmeIoQueuePair> {
    void options;
    throw new Error('not implemented yet');
  }

  /** Delete the I/O queues, disable the controller (CC.EN = 0, wait CSTS.RDY = 0), free every DMA buffer, close the vectors. */
  async close(): Promise<void> {
    throw new Error('not implemented yet');
  }
}

/** An I/O submission/completion queue pair. */
export class NvmeIoQueuePair {
  /** Read `blocks` blocks from `lba` of namespace `nsid`. */
  async read(nsid: number, lba: bigint, blocks: number): Promise<Uint8Array> {
    void nsid;
    void lba;
    void blocks;
    throw new Error('not implemented yet');
  }

  /** Write `data` (a whole number of blocks) at `lba` of namespace `nsid`. */
  async write(nsid: number, lba: bigint, data: Uint8Array): Promise<void> {
    void nsid;
    void lba;
    void data;
    throw new Error('not implemented yet');
  }
}
