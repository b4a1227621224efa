/**
 * An I/O queue pair of the NVM command set: Read (0x02), Write (0x01) and Flush (0x00) on one submission queue
 * and its completion queue ({@link NvmeQueue}). Many commands may be outstanding at once, up to entries - 1;
 * more wait for a free CID. A transfer larger than the controller's maximum (MDTS, or `maxTransferBytes`) is
 * split into several commands, issued together.
 *
 * Data goes through DMA buffers owned by each CID slot (allocated on first use, grown as needed, kept while they
 * are at most 256 KiB so a steady stream of I/O allocates nothing): a write copies the caller's bytes in, a read
 * copies them out into a new Uint8Array. PRP1/PRP2 and PRP lists are built by prp.ts.
 * @module
 */
import type { DmaCoherent } from '../../lib/index.js';
import { NvmeIoOpcode } from './commands.js';
import type { NvmePciFunction } from './device.js';
import { argRangeError, argTypeError, closedError, nvmeError } from './errors.js';
import type { NvmeIdentifyNamespace } from './identify.js';
import { buildPrps, prpListPages, prpPageCount } from './prp.js';
import type { NvmeQueue, NvmeQueueStats, QueueSlot } from './queue.js';

/** Largest read or write one call accepts, in bytes (1 GiB). */
export const NVME_MAX_IO_BYTES = 1 << 30;
/** Slot data buffers up to this size are kept for the next command. */
const KEEP_BUFFER_BYTES = 256 * 1024;
const U64_END = 1n << 64n;

/** What a queue pair needs from its controller. @internal */
export interface IoQueueHost {
  readonly dev: NvmePciFunction;
  /** Memory page size (CC.MPS) in bytes. */
  readonly pageSize: number;
  /** The namespace's Identify data, if known. */
  cachedNamespace(nsid: number): NvmeIdentifyNamespace | undefined;
  /** Identify the namespace (and cache it). */
  loadNamespace(nsid: number): Promise<NvmeIdentifyNamespace>;
  /** Delete the pair's SQ and CQ on the controller and free what it used. */
  deleteQueuePair(pair: NvmeIoQueuePair): Promise<void>;
}

/** An I/O submission/completion queue pair (from `NvmeController.createIoQueuePair`). */
export class NvmeIoQueuePair {
  /** Queue identifier of the SQ and its CQ. */
  readonly qid: number;
  /** Largest transfer of one command in bytes (MDTS, capped by `maxTransferBytes`). */
  readonly maxTransferBytes: number;
  readonly #host: IoQueueHost;
  /** @internal */
  readonly queue: NvmeQueue;
  #closing: Promise<void> | undefined;

  /** @internal Made by `NvmeController.createIoQueuePair`. */
  constructor(host: IoQueueHost, queue: NvmeQueue, maxTransferBytes: number) {
    this.#host = host;
    this.queue = queue;
    this.qid = queue.qid;
    this.maxTransferBytes = maxTransferBytes;
  }

  /** Entries of the SQ and the CQ; up to entries - 1 commands are outstanding at once. */
  get entries(): number {
    return this.queue.entries;
  }

  /** `'poll'` or `'interrupt'`. */
  get completion(): 'poll' | 'interrupt' {
    return this.queue.completion;
  }

  /** Commands submitted and not yet settled. */
  get outstanding(): number {
    return this.queue.outstanding;
  }

  /** Counters: submitted, completed, timed out, stray completions, interrupts, poll turns. */
  get stats(): Readonly<NvmeQueueStats> {
    return this.queue.stats;
  }

  /** True once closed (by {@link NvmeIoQueuePair.close} or the controller's close). */
  get closed(): boolean {
    return this.#closing !== undefined || this.queue.failed !== undefined;
  }

  /**
   * Read `blocks` logical blocks from `lba` of namespace `nsid` (NVM Read, opcode 0x02).
   * @param nsid namespace identifier, an integer 1..0xfffffffe
   * @param lba starting LBA: a bigint (or a safe integer number) >= 0
   * @param blocks number of blocks, an integer >= 1 (split into several commands above the maximum transfer)
   * @returns the data, blocks × the namespace's block size bytes
   * @throws (rejects) TypeError `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE` for bad arguments;
   *   NvmeStatusError `ERR_NVME_STATUS` (e.g. `LBA Out of Range`, `Data Transfer Error`); `ETIMEDOUT`;
   *   `ERR_NVME_CONTROLLER_FATAL`; `ERR_NVME_CLOSED`; `ERR_NVME_NAMESPACE_INACTIVE`; `ERR_NVME_UNSUPPORTED`
   *   (a format with metadata).
   */
  async read(nsid: number, lba: bigint, blocks: number): Promise<Uint8Array> {
    const start = checkLba(lba);
    checkNsid(nsid);
    if (typeof blocks !== 'number') throw argTypeError('blocks', 'an integer number of blocks >= 1', blocks);
    if (!Number.isSafeInteger(blocks) || blocks < 1) throw argRangeError('ERR_OUT_OF_RANGE', `blocks must be an integer >= 1, got ${blocks}`, 'blocks is a count of logical blocks: a safe integer of 1 or more');
    checkEnd(start, blocks); // before the namespace's first Identify: a bad range sends nothing to the controller
    const ns = await this.#namespace(nsid);
    const bytes = blocks * ns.blockSize;
    if (bytes > NVME_MAX_IO_BYTES) throw argRangeError('ERR_OUT_OF_RANGE', `a read of ${blocks} blocks is ${bytes} bytes, more than ${NVME_MAX_IO_BYTES} in one call`, `read at most ${NVME_MAX_IO_BYTES} bytes per call: split the read into several calls`);
    const out = new Uint8Array(bytes);
    await this.#transfer(NvmeIoOpcode.READ, ns, start, blocks, out);
    return out;
  }

  /**
   * Read into `out` (a whole number of blocks) from `lba` of namespace `nsid`: as {@link NvmeIoQueuePair.read}
   * without allocating the result, for loops that reuse one buffer.
   * @throws (rejects) RangeError `ERR_INVALID_ARG_VALUE` for a length that is not a whole number of blocks; as
   *   {@link NvmeIoQueuePair.read}.
   */
  async readInto(nsid: number, lba: bigint, out: Uint8Array): Promise<void> {
    const start = checkLba(lba);
    checkNsid(nsid);
    const { ns, blocks } = await this.#wholeBlocks(nsid, out, 'out');
    checkEnd(start, blocks);
    await this.#transfer(NvmeIoOpcode.READ, ns, start, blocks, out);
  }

  /**
   * Write `data` at `lba` of namespace `nsid` (NVM Write, opcode 0x01).
   * @param data a whole number of blocks (length a non-zero multiple of the namespace's block size)
   * @throws (rejects) RangeError `ERR_INVALID_ARG_VALUE` for a length that is not a whole number of blocks; as
   *   {@link NvmeIoQueuePair.read}.
   */
  async write(nsid: number, lba: bigint, data: Uint8Array): Promise<void> {
    const start = checkLba(lba);
    checkNsid(nsid);
    const { ns, blocks } = await this.#wholeBlocks(nsid, data, 'data');
    checkEnd(start, blocks);
    await this.#transfer(NvmeIoOpcode.WRITE, ns, start, blocks, data);
  }

  /**
   * Flush (opcode 0x00): commit the namespace's volatile write cache to media.
   * @throws (rejects) as {@link NvmeIoQueuePair.read}.
   */
  async flush(nsid: number): Promise<void> {
    checkNsid(nsid);
    this.#checkOpen();
    await this.queue.run({ opcode: NvmeIoOpcode.FLUSH, nsid }, 'Flush', `nsid ${nsid}`);
  }

  /**
   * Delete the SQ and CQ on the controller (Delete I/O Submission Queue, then Completion Queue) and free their
   * memory. Commands still outstanding reject with `ERR_NVME_CLOSED` (the controller aborts them). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#host.deleteQueuePair(this);
    return this.#closing;
  }

  async #wholeBlocks(nsid: number, data: Uint8Array, what: string): Promise<{ ns: NvmeIdentifyNamespace; blocks: number }> {
    if (!(data instanceof Uint8Array)) throw argTypeError(what, 'a Uint8Array', data);
    if (data.byteLength > NVME_MAX_IO_BYTES) throw argRangeError('ERR_OUT_OF_RANGE', `${what} of ${data.byteLength} bytes is more than ${NVME_MAX_IO_BYTES} in one call`, `pass at most ${NVME_MAX_IO_BYTES} bytes per call: split the data into several calls`);
    const ns = await this.#namespace(nsid);
    if (data.byteLength === 0 || data.byteLength % ns.blockSize !== 0) {
      throw argRangeError('ERR_INVALID_ARG_VALUE', `${what} must be a non-zero whole number of ${ns.blockSize}-byte blocks of namespace ${nsid}, got ${data.byteLength} bytes`, `pass a multiple of ${ns.blockSize} bytes (the namespace's block size, from Identify Namespace), at least one block`);
    }
    return { ns, blocks: data.byteLength / ns.blockSize };
  }

  #checkOpen(): void {
    if (this.#closing !== undefined) throw closedError(`I/O queue pair ${this.qid}`);
    if (this.queue.failed !== undefined) throw this.queue.failed;
  }

  async #namespace(nsid: number): Promise<NvmeIdentifyNamespace> {
    this.#checkOpen();
    const ns = this.#host.cachedNamespace(nsid) ?? (await this.#host.loadNamespace(nsid));
    if (ns.metadataSize !== 0) {
      throw nvmeError('ERR_NVME_UNSUPPORTED', `namespace ${nsid} is formatted with ${ns.metadataSize} bytes of metadata per block`, 'this driver reads and writes formats without metadata only (format the namespace with an LBA format whose MS is 0)');
    }
    return ns;
  }

  async #transfer(opcode: number, ns: NvmeIdentifyNamespace, lba: bigint, blocks: number, buf: Uint8Array): Promise<void> {
    const perCommand = Math.min(65536, Math.floor(this.maxTransferBytes / ns.blockSize));
    if (perCommand < 1) throw nvmeError('ERR_NVME_UNSUPPORTED', `the maximum transfer (${this.maxTransferBytes} bytes) is below the block size (${ns.blockSize})`, `create the queue pair with maxTransferBytes of at least ${ns.blockSize} (one block)`);
    if (blocks <= perCommand) return this.#command(opcode, ns, lba, blocks, buf, 0);
    const parts: Promise<void>[] = [];
    for (let done = 0; done < blocks; done += perCommand) {
      parts.push(this.#command(opcode, ns, lba + BigInt(done), Math.min(perCommand, blocks - done), buf, done * ns.blockSize));
    }
    const settled = await Promise.allSettled(parts);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  async #command(opcode: number, ns: NvmeIdentifyNamespace, lba: bigint, blocks: number, buf: Uint8Array, offset: number): Promise<void> {
    const queue = this.queue;
    const slot = queue.tryAcquire() ?? (await queue.acquire());
    const bytes = blocks * ns.blockSize;
    try {
      const data = this.#dataBuffer(slot, bytes);
      if (opcode === NvmeIoOpcode.WRITE) data.cpu.set(buf.subarray(offset, offset + bytes));
      const { prp1, prp2 } = buildPrps(data.dma_handle, bytes, this.#host.pageSize, this.#prpList(slot, bytes));
      const name = opcode === NvmeIoOpcode.READ ? 'Read' : 'Write';
      await queue.issue(
        slot,
        { opcode, nsid: ns.nsid, prp1, prp2, cdw10: Number(lba & 0xffff_ffffn), cdw11: Number(lba >> 32n), cdw12: blocks - 1 },
        name,
        `nsid ${ns.nsid}, lba ${lba}, ${blocks} block${blocks === 1 ? '' : 's'}`,
      );
      if (opcode === NvmeIoOpcode.READ) buf.set(data.cpu.subarray(0, bytes), offset);
    } finally {
      if (!slot.inflight && slot.data !== undefined && slot.data.size > KEEP_BUFFER_BYTES) {
        this.#host.dev.freeCoherent(slot.data);
        slot.data = undefined;
      }
      queue.release(slot);
    }
  }

  #dataBuffer(slot: QueueSlot, bytes: number): DmaCoherent {
    if (slot.data !== undefined && slot.data.size >= bytes) return slot.data;
    const dev = this.#host.dev;
    const size = prpPageCount(bytes, this.#host.pageSize) * this.#host.pageSize;
    const fresh = dev.allocCoherent(size);
    if (slot.data !== undefined) dev.freeCoherent(slot.data);
    slot.data = fresh;
    return fresh;
  }

  #prpList(slot: QueueSlot, bytes: number): DmaCoherent | undefined {
    const page = this.#host.pageSize;
    const pages = prpPageCount(bytes, page);
    if (pages <= 2) return undefined;
    const size = prpListPages(pages - 1, page) * page;
    if (slot.prpList !== undefined && slot.prpList.size >= size) return slot.prpList;
    const dev = this.#host.dev;
    const fresh = dev.allocCoherent(size);
    if (slot.prpList !== undefined) dev.freeCoherent(slot.prpList);
    slot.prpList = fresh;
    return fresh;
  }
}

/** Check a namespace identifier: an integer 1..0xfffffffe (0xffffffff is the broadcast value). */
export function checkNsid(nsid: unknown): asserts nsid is number {
  if (typeof nsid !== 'number') throw argTypeError('nsid', 'an integer namespace identifier 1..0xfffffffe', nsid);
  if (!Number.isInteger(nsid) || nsid < 1 || nsid > 0xffff_fffe) throw argRangeError('ERR_OUT_OF_RANGE', `nsid must be an integer 1..0xfffffffe, got ${nsid}`, 'namespace IDs start at 1 (Identify Controller NN gives the highest); 0 and 0xffffffff are not namespaces');
}

function checkLba(lba: unknown): bigint {
  if (typeof lba === 'bigint') {
    if (lba < 0n || lba >= U64_END) throw argRangeError('ERR_OUT_OF_RANGE', `lba must be in 0..2^64-1, got ${lba}`, 'an LBA is a bigint in 0n..2n ** 64n - 1n (below the namespace size NSZE to be valid)');
    return lba;
  }
  if (typeof lba === 'number') {
    if (!Number.isSafeInteger(lba) || lba < 0) throw argRangeError('ERR_OUT_OF_RANGE', `lba must be a non-negative integer (a bigint, or a safe integer number), got ${lba}`, 'pass the LBA as a bigint (8n) or a non-negative safe integer (8)');
    return BigInt(lba);
  }
  throw argTypeError('lba', 'a bigint (or a safe integer number) >= 0', lba);
}

function checkEnd(lba: bigint, blocks: number): void {
  if (lba + BigInt(blocks) > U64_END) throw argRangeError('ERR_OUT_OF_RANGE', `lba ${lba} + ${blocks} blocks runs past 2^64`, 'lba + blocks must stay below 2^64 (and within the namespace size NSZE)');
}
