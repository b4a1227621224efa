/**
 * The NVMe controller driver: owns one controller through an {@link NvmePciFunction} (VFIO, or the simulated
 * controller), following the initialization of the NVM Express Base Specification ("Initialization",
 * "Controller Configuration"):
 *
 * 1. bus mastering on (pci_set_master), a 64-bit DMA mask, BAR0 mapped; CAP and VS read (MQES, DSTRD, TO,
 *    MPSMIN/MPSMAX, CSS);
 * 2. reset: CC.EN = 0, wait until CSTS.RDY = 0 (at most CAP.TO × 500 ms);
 * 3. the admin queue in DMA memory: AQA (sizes), ASQ, ACQ (bus addresses);
 * 4. CC: EN = 1, CSS = NVM, MPS (4 KiB pages), round robin, IOSQES = 6 (64-byte entries), IOCQES = 4 (16 bytes);
 *    wait until CSTS.RDY = 1. CSTS.CFS = 1 at any time is a fatal error (`ERR_NVME_CONTROLLER_FATAL`);
 * 5. Identify Controller (MDTS, NN, SQES/CQES), Set Features Number of Queues.
 *
 * I/O queue pairs are created with Create I/O Completion Queue (0x05, with an MSI-X vector when interrupts are
 * used) then Create I/O Submission Queue (0x01), and deleted in the reverse order (0x00, then 0x04). close()
 * deletes them, shuts the controller down (CC.SHN normal, CSTS.SHST complete), disables it (CC.EN = 0, CSTS.RDY
 * = 0), clears bus mastering, frees every DMA buffer, closes the MSI-X vectors and unmaps BAR0.
 * @module
 */
import {
  DMA_BIT_MASK,
  dma_set_mask,
  pci_clear_master,
  pci_set_master,
  type DmaCoherent,
  type InterruptSource,
  type IoRegion,
  type RegisterAccess,
  type RegisterMap,
} from '../../lib/index.js';
import { NvmeAdminOpcode, NvmeFeature, NvmeIdentifyCns } from './commands.js';
import type { NvmePciFunction } from './device.js';
import { argRangeError, argTypeError, closedError, controllerFatalError, nvmeError, nvmeTimeoutError, type NvmeError } from './errors.js';
import { checkDevice, intOption, modeOption, type NvmeCompletionMode, type NvmeIoQueueOptions, type NvmeOpenOptions, type Settings } from './options.js';
import { NVME_IDENTIFY_BYTES, parseIdentifyController, parseIdentifyNamespace, type NvmeIdentifyController, type NvmeIdentifyNamespace } from './identify.js';
import { checkNsid, NvmeIoQueuePair, type IoQueueHost } from './io-queue-pair.js';
import { msixTableSize } from './msix.js';
import { NvmeQueue, type NvmeQueueOptions } from './queue.js';
import { cqHeadDoorbell, doorbellStride, NVME_REGMAP, sqTailDoorbell, type NvmeRegmapSpec } from './regmap.js';

export { NvmeIoQueuePair };
export type { NvmeCompletionMode, NvmeIoQueueOptions, NvmeOpenOptions };

/** CAP, decoded. */
export interface NvmeCapabilities {
  /** Maximum Queue Entries Supported, 0-based. */
  mqes: number;
  /** Contiguous Queues Required. */
  cqr: boolean;
  /** Doorbell Stride (the stride is 4 << dstrd bytes). */
  dstrd: number;
  /** Timeout in 500 ms units. */
  to: number;
  /** Minimum memory page size, as 2^(12 + n) bytes (CAP.MPSMIN). */
  mpsmin: number;
  /** Maximum memory page size, as 2^(12 + n) bytes (CAP.MPSMAX). */
  mpsmax: number;
  /** Command Sets Supported. */
  css: number;
  /** NVM Subsystem Reset Supported. */
  nssrs: boolean;
}

const DEFAULT_CAP_TRANSFER = 4 * 1024 * 1024;
const PAGE_SIZE = 4096;
const FATAL_CHECK_MS = 100;

type NvmeRegs = RegisterAccess<NvmeRegmapSpec, RegisterMap<NvmeRegmapSpec>>;

/** An NVMe controller owned by this process (see the module description). */
export class NvmeController implements IoQueueHost {
  /** The PCI function. */
  readonly dev: NvmePciFunction;
  /** BAR0. */
  readonly regs: IoRegion;
  /** Memory page size in bytes (CC.MPS = 0: 4 KiB). */
  readonly pageSize = PAGE_SIZE;
  readonly #s: Settings;
  readonly #nvme: NvmeRegs;
  #cap: NvmeCapabilities | undefined;
  #version = 0;
  #stride = 4;
  #rdyTimeoutUs = 500_000;
  #admin: NvmeQueue | undefined;
  #identify: NvmeIdentifyController | undefined;
  #maxTransfer = DEFAULT_CAP_TRANSFER;
  #ioQueuesAllocated = 0;
  readonly #pairs = new Map<number, NvmeIoQueuePair>();
  readonly #namespaces = new Map<number, NvmeIdentifyNamespace>();
  #vectors: InterruptSource[] | undefined;
  readonly #vectorUsed: boolean[] = [];
  /** DMA buffers of admin commands that timed out: the controller may still write them, so they are freed at close. */
  readonly #orphans: DmaCoherent[] = [];
  #fatal: NvmeError | undefined;
  #closing: Promise<void> | undefined;

  private constructor(dev: NvmePciFunction, settings: Settings) {
    this.dev = dev;
    this.#s = settings;
    this.regs = dev.map(0);
    this.#nvme = NVME_REGMAP.attach(this.regs);
  }

  /**
   * Reset and enable the controller and set up the admin queue (see the module description).
   * @param dev the PCI function: a VfioDevice (`openVfio(bdf)`), `createSimNvme().device`, or an adapter
   * @throws (rejects) TypeError `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_VALUE`
   *   for bad arguments; `ETIMEDOUT` when CSTS.RDY does not follow CC.EN within CAP.TO;
   *   `ERR_NVME_CONTROLLER_FATAL` (CSTS.CFS, or a controller that reads all ones); `ERR_NVME_UNSUPPORTED` (no NVM
   *   command set, a minimum page size above 4 KiB, entry sizes other than 64/16 bytes); `ERR_NVME_NO_INTERRUPTS`
   *   for interrupt mode on a function without MSI-X; NvmeStatusError from Identify or Set Features; the
   *   function's own errors (map, DMA, MSI-X). Everything set up so far is released before it rejects.
   */
  static async open(dev: NvmePciFunction, options: NvmeOpenOptions = {}): Promise<NvmeController> {
    checkDevice(dev);
    if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options);
    const o = options as Record<string, unknown>;
    const settings: Settings = {
      completion: modeOption(o.completion, 'options.completion', 'poll'),
      adminEntries: intOption(o, 'adminEntries', 2, 4096, undefined),
      timeoutMs: intOption(o, 'timeoutMs', 1, 0x7fff_ffff, 5000)!,
      ioQueues: intOption(o, 'ioQueues', 1, 65535, 8)!,
      interruptVectors: intOption(o, 'interruptVectors', 1, 2048, undefined),
      pollSpinUs: intOption(o, 'pollSpinUs', 0, 10_000, 50)!,
      pollSliceUs: intOption(o, 'pollSliceUs', 0, 100_000, 1000)!,
      functionReset: o.functionReset === true,
    };
    if (settings.functionReset && typeof dev.reset === 'function') dev.reset();
    const c = new NvmeController(dev, settings);
    try {
      await c.#start();
    } catch (e) {
      await c.#teardown(false);
      throw e;
    }
    return c;
  }

  /** CAP as read at open. */
  get capabilities(): NvmeCapabilities {
    return this.#cap!;
  }

  /** VS as read at open: `{ major, minor, tertiary }` (QEMU: 1.4.0). */
  get version(): { major: number; minor: number; tertiary: number } {
    const v = this.#version;
    return { major: v >>> 16, minor: (v >>> 8) & 0xff, tertiary: v & 0xff };
  }

  /** The Identify Controller data read at open. */
  get controllerInfo(): NvmeIdentifyController {
    return this.#identify!;
  }

  /** The doorbell stride in bytes (4 << CAP.DSTRD). */
  get doorbellStride(): number {
    return this.#stride;
  }

  /** Largest transfer of one command in bytes, from MDTS (capped at 4 MiB). */
  get maxTransferBytes(): number {
    return this.#maxTransfer;
  }

  /** I/O queue pairs the controller allocated (Set Features Number of Queues). */
  get ioQueuesAllocated(): number {
    return this.#ioQueuesAllocated;
  }

  /** The I/O queue pairs open now. */
  get ioQueuePairs(): NvmeIoQueuePair[] {
    return [...this.#pairs.values()];
  }

  /** True once close() has begun. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The fatal error seen (CSTS.CFS), if any. */
  get fatal(): NvmeError | undefined {
    return this.#fatal;
  }

  /** The admin queue's counters. */
  get adminStats(): Readonly<NvmeQueue['stats']> | undefined {
    return this.#admin?.stats;
  }

  async #start(): Promise<void> {
    const cap = this.#nvme.read('CAP');
    if (cap === 0xffff_ffff_ffff_ffffn) throw controllerFatalError(this.regs.path, 0xffff_ffff);
    const f = NVME_REGMAP.decode('CAP', cap);
    this.#cap = {
      mqes: Number(f.MQES),
      cqr: f.CQR === 1n,
      dstrd: Number(f.DSTRD),
      to: Number(f.TO),
      mpsmin: Number(f.MPSMIN),
      mpsmax: Number(f.MPSMAX),
      css: Number(f.CSS),
      nssrs: f.NSSRS === 1n,
    };
    this.#version = this.#nvme.read('VS');
    const capInfo = this.#cap;
    if ((capInfo.css & 1) === 0) throw nvmeError('ERR_NVME_UNSUPPORTED', `controller ${this.regs.path} does not support the NVM command set (CAP.CSS 0x${capInfo.css.toString(16)})`, 'this driver speaks the NVM command set only (CAP.CSS bit 0); a controller for other command sets needs another driver');
    if (capInfo.mpsmin > 0) throw nvmeError('ERR_NVME_UNSUPPORTED', `controller ${this.regs.path} needs memory pages of at least ${4096 << capInfo.mpsmin} bytes (CAP.MPSMIN ${capInfo.mpsmin}); this driver uses 4 KiB`, 'this driver sets CC.MPS to 4 KiB pages; a controller whose CAP.MPSMIN is larger needs a driver built for its page size');
    const adminEntries = this.#s.adminEntries ?? Math.min(32, capInfo.mqes + 1);
    if (adminEntries > capInfo.mqes + 1) {
      throw argRangeError('ERR_OUT_OF_RANGE', `options.adminEntries ${adminEntries} is more than the controller's CAP.MQES + 1 = ${capInfo.mqes + 1}`, `give options.adminEntries in 2..${capInfo.mqes + 1} (CAP.MQES + 1), or leave it out`);
    }
    this.#stride = doorbellStride(capInfo.dstrd);
    this.#rdyTimeoutUs = Math.max(1, capInfo.to) * 500_000;

    dma_set_mask(this.dev, DMA_BIT_MASK(64));
    pci_set_master(this.dev);

    // Reset: a controller left enabled (by firmware, the kernel or a previous run) is disabled first.
    const cc = this.#nvme.read('CC');
    if ((cc & NVME_REGMAP.mask('CC', 'EN')) !== 0) {
      const csts = this.#nvme.read('CSTS');
      if ((csts & NVME_REGMAP.mask('CSTS', 'RDY')) === 0 && (csts & NVME_REGMAP.mask('CSTS', 'CFS')) === 0) {
        await this.#waitReady(1).catch(() => undefined); // let a half-done enable finish before reversing it
      }
      this.#nvme.writeField('CC', 'EN', 0);
    }
    await this.#waitReady(0);

    if (this.#s.completion === 'interrupt') this.#enableVectors();
    // Polling without MSI-X: mask the pin-based/MSI vectors (INTMS), so admin completions do not assert INTx,
    // which nobody handles. INTMS does not apply to MSI-X, which later interrupt-driven pairs may still enable.
    else this.#nvme.write('INTMS', 0xffff_ffff);
    const admin = this.#newQueue(0, adminEntries, this.#s.completion, this.#s.completion === 'interrupt' ? this.#takeVector(0) : undefined);
    this.#admin = admin;
    this.#nvme.writeFields('AQA', { ASQS: admin.entries - 1, ACQS: admin.entries - 1 });
    this.#nvme.write('ASQ', admin.sq.dma_handle);
    this.#nvme.write('ACQ', admin.cq.dma_handle);
    this.#nvme.writeFields('CC', { EN: 1, CSS: 'NVM', MPS: 0, AMS: 'ROUND_ROBIN', SHN: 'NONE', IOSQES: 6, IOCQES: 4 });
    await this.#waitReady(1);

    const id = await this.identifyController();
    this.#identify = id;
    const sqMin = id.sqes & 0xf;
    const sqMax = id.sqes >>> 4;
    const cqMin = id.cqes & 0xf;
    const cqMax = id.cqes >>> 4;
    if ((id.sqes !== 0 && (sqMin > 6 || sqMax < 6)) || (id.cqes !== 0 && (cqMin > 4 || cqMax < 4))) {
      throw nvmeError('ERR_NVME_UNSUPPORTED', `controller ${this.regs.path} does not take 64-byte submission and 16-byte completion entries (SQES 0x${id.sqes.toString(16)}, CQES 0x${id.cqes.toString(16)})`, 'this driver uses the base entry sizes (64-byte SQ, 16-byte CQ entries), which Identify Controller SQES/CQES must allow');
    }
    const mdtsBytes = id.mdts === 0 ? Infinity : 2 ** id.mdts * (4096 << capInfo.mpsmin);
    this.#maxTransfer = Math.min(mdtsBytes, DEFAULT_CAP_TRANSFER);

    const n = this.#s.ioQueues - 1;
    const done = await admin.run(
      { opcode: NvmeAdminOpcode.SET_FEATURES, cdw10: NvmeFeature.NUMBER_OF_QUEUES, cdw11: ((n << 16) | n) >>> 0 },
      'Set Features',
      `Number of Queues, ${this.#s.ioQueues} requested`,
    );
    this.#ioQueuesAllocated = Math.min((done.dw0 & 0xffff) + 1, (done.dw0 >>> 16) + 1);
  }

  /** Wait until CSTS.RDY = `ready`; on the way to 1, CFS fails at once; CSTS reading all ones fails either way. */
  async #waitReady(ready: 0 | 1): Promise<void> {
    const RDY = NVME_REGMAP.mask('CSTS', 'RDY');
    const CFS = NVME_REGMAP.mask('CSTS', 'CFS');
    const gone = 0xffff_ffff;
    const done = ready === 1 ? (v: number) => (v & RDY) !== 0 || (v & CFS) !== 0 : (v: number) => (v & RDY) === 0 || v === gone;
    let csts: number;
    try {
      csts = await this.#nvme.readPollTimeout('CSTS', done, 200, this.#rdyTimeoutUs);
    } catch (e) {
      if ((e as { code?: unknown }).code !== 'ETIMEDOUT') throw e;
      throw nvmeTimeoutError(
        `nvme CSTS.RDY=${ready}`,
        this.regs.path,
        `CSTS.RDY did not become ${ready} within CAP.TO = ${this.#rdyTimeoutUs / 1000} ms after CC.EN = ${ready}; the controller is stuck: reset the function (VFIO_DEVICE_RESET) or the machine`,
      );
    }
    if (csts === gone || (ready === 1 && (csts & CFS) !== 0)) throw this.#markFatal(csts);
  }

  #markFatal(csts: number): NvmeError {
    this.#fatal ??= controllerFatalError(this.regs.path, csts);
    const error = this.#fatal;
    this.#admin?.fail(error);
    for (const p of this.#pairs.values()) p.queue.fail(error);
    return error;
  }

  /** Read CSTS; a dead controller fails every queue. */
  readonly #checkFatal = (): NvmeError | undefined => {
    if (this.#fatal !== undefined) return this.#fatal;
    if (!this.regs.mapped) return undefined;
    const csts = this.#nvme.read('CSTS');
    if (csts === 0xffff_ffff || (csts & NVME_REGMAP.mask('CSTS', 'CFS')) !== 0) return this.#markFatal(csts);
    return undefined;
  };

  #newQueue(qid: number, entries: number, completion: NvmeCompletionMode, vector: InterruptSource | undefined): NvmeQueue {
    const options: NvmeQueueOptions = {
      qid,
      entries,
      regs: this.regs,
      sqDoorbell: sqTailDoorbell(qid, this.#stride),
      cqDoorbell: cqHeadDoorbell(qid, this.#stride),
      dev: this.dev,
      completion,
      vector,
      timeoutMs: this.#s.timeoutMs,
      pollSpinUs: this.#s.pollSpinUs,
      pollSliceUs: this.#s.pollSliceUs,
      fatalCheckMs: FATAL_CHECK_MS,
      checkFatal: this.#checkFatal,
    };
    return new NvmeQueue(options);
  }

  // --- MSI-X -------------------------------------------------------------------------------

  #enableVectors(): void {
    if (this.#vectors !== undefined) return;
    if (typeof this.dev.enableIrqs !== 'function') {
      throw nvmeError('ERR_NVME_NO_INTERRUPTS', `the PCI function of ${this.regs.path} gives no MSI-X vectors`, "use completion: 'poll' (a function without an IOMMU, or an adapter without enableIrqs, can only poll)");
    }
    const table = msixTableSize(this.dev);
    const count = this.#s.interruptVectors ?? (table !== undefined ? Math.min(table, 1 + this.#s.ioQueues) : 1 + this.#s.ioQueues);
    this.#vectors = this.dev.enableIrqs('msix', count);
  }

  #takeVector(index: number): InterruptSource {
    this.#vectorUsed[index] = true;
    return this.#vectors![index];
  }

  #freeVectorIndex(): number {
    const vectors = this.#vectors!;
    for (let i = 1; i < vectors.length; i++) if (this.#vectorUsed[i] !== true) return i;
    throw nvmeError('ERR_NVME_NO_VECTORS', `all ${vectors.length} MSI-X vectors are in use (vector 0 is the admin queue's)`, 'open the controller with a larger interruptVectors, or poll this queue pair');
  }

  // --- admin commands --------------------------------------------------------------------

  #adminQueue(): NvmeQueue {
    if (this.#closing !== undefined) throw closedError(`NVMe controller ${this.regs.path}`);
    if (this.#fatal !== undefined) throw this.#fatal;
    return this.#admin!;
  }

  /** An admin command that moves up to 4 KiB from the controller. */
  async #adminRead(cmd: Parameters<NvmeQueue['run']>[0], name: string, detail: string): Promise<Uint8Array> {
    const admin = this.#adminQueue();
    const buffer = this.dev.allocCoherent(NVME_IDENTIFY_BYTES);
    let free = true;
    try {
      await admin.run({ ...cmd, prp1: buffer.dma_handle }, name, detail);
      return buffer.cpu.slice(0, NVME_IDENTIFY_BYTES);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ETIMEDOUT') {
        free = false; // the controller may still write it
        this.#orphans.push(buffer);
      }
      throw e;
    } finally {
      if (free) this.dev.freeCoherent(buffer);
    }
  }

  /**
   * Identify Controller (opcode 0x06, CNS 0x01).
   * @throws (rejects) NvmeStatusError, `ETIMEDOUT`, `ERR_NVME_CONTROLLER_FATAL`, `ERR_NVME_CLOSED`.
   */
  async identifyController(): Promise<NvmeIdentifyController> {
    const data = await this.#adminRead({ opcode: NvmeAdminOpcode.IDENTIFY, cdw10: NvmeIdentifyCns.CONTROLLER }, 'Identify', 'CNS 0x01, controller');
    return parseIdentifyController(data);
  }

  /**
   * Identify Namespace (opcode 0x06, CNS 0x00) for `nsid`; the result is cached for I/O.
   * @param nsid 1..0xfffffffe
   * @throws (rejects) TypeError/RangeError for a bad nsid; NvmeStatusError (`Invalid Namespace or Format` for an
   *   nsid above NN); `ERR_NVME_NAMESPACE_INACTIVE` when the controller returns an all-zero structure (an inactive
   *   namespace); `ETIMEDOUT`, `ERR_NVME_CONTROLLER_FATAL`, `ERR_NVME_CLOSED`.
   */
  async identifyNamespace(nsid: number): Promise<NvmeIdentifyNamespace> {
    checkNsid(nsid);
    const data = await this.#adminRead({ opcode: NvmeAdminOpcode.IDENTIFY, nsid, cdw10: NvmeIdentifyCns.NAMESPACE }, 'Identify', `CNS 0x00, nsid ${nsid}`);
    const ns = parseIdentifyNamespace(nsid, data);
    if (ns.nsze === 0n || ns.blockSize === 0) {
      throw nvmeError('ERR_NVME_NAMESPACE_INACTIVE', `namespace ${nsid} of ${this.regs.path} is not active (Identify Namespace returned no size or block size)`, `the controller has ${this.#identify?.nn ?? '?'} namespace IDs; list the active ones with Identify CNS 0x02`);
    }
    this.#namespaces.set(nsid, ns);
    return ns;
  }

  /** @internal */
  cachedNamespace(nsid: number): NvmeIdentifyNamespace | undefined {
    return this.#namespaces.get(nsid);
  }

  /** @internal Identify a namespace once for every I/O that needs it at the same time. */
  loadNamespace(nsid: number): Promise<NvmeIdentifyNamespace> {
    let load = this.#namespaceLoads.get(nsid);
    if (load === undefined) {
      load = this.identifyNamespace(nsid).finally(() => this.#namespaceLoads.delete(nsid));
      this.#namespaceLoads.set(nsid, load);
    }
    return load;
  }

  readonly #namespaceLoads = new Map<number, Promise<NvmeIdentifyNamespace>>();

  /**
   * Create an I/O queue pair: Create I/O Completion Queue (0x05; physically contiguous, interrupts enabled on its
   * own MSI-X vector in interrupt mode), then Create I/O Submission Queue (0x01) bound to it.
   * @throws (rejects) RangeError `ERR_OUT_OF_RANGE` (entries beyond CAP.MQES + 1, maxTransferBytes below a page),
   *   `ERR_INVALID_ARG_VALUE` (completion); `ERR_NVME_NO_QUEUES` when every allocated queue ID is in use;
   *   `ERR_NVME_NO_VECTORS`, `ERR_NVME_NO_INTERRUPTS`; NvmeStatusError from the create commands (`Invalid Queue
   *   Size`, `Invalid Interrupt Vector`, ...); `ETIMEDOUT`, `ERR_NVME_CONTROLLER_FATAL`, `ERR_NVME_CLOSED`.
   */
  async createIoQueuePair(options: NvmeIoQueueOptions = {}): Promise<NvmeIoQueuePair> {
    if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options);
    const admin = this.#adminQueue();
    const o = options as Record<string, unknown>;
    const maxEntries = this.#cap!.mqes + 1;
    const entries = intOption(o, 'entries', 2, maxEntries, Math.min(64, maxEntries))!;
    const completion = modeOption(o.completion, 'options.completion', this.#s.completion);
    const maxTransferBytes = intOption(o, 'maxTransferBytes', this.pageSize, this.#maxTransfer, this.#maxTransfer)!;
    let qid = 0;
    for (let q = 1; q <= this.#ioQueuesAllocated; q++) {
      if (!this.#pairs.has(q)) {
        qid = q;
        break;
      }
    }
    if (qid === 0) {
      throw nvmeError('ERR_NVME_NO_QUEUES', `all ${this.#ioQueuesAllocated} I/O queue pairs the controller allocated are in use`, 'close one, or open the controller with a larger ioQueues');
    }
    let vectorIndex = -1;
    if (completion === 'interrupt') {
      this.#enableVectors();
      vectorIndex = this.#freeVectorIndex();
    }
    const vector = vectorIndex >= 0 ? this.#takeVector(vectorIndex) : undefined;
    let queue: NvmeQueue;
    try {
      queue = this.#newQueue(qid, entries, completion, vector);
    } catch (e) {
      if (vectorIndex >= 0) this.#vectorUsed[vectorIndex] = false;
      throw e;
    }
    const pair = new NvmeIoQueuePair(this, queue, maxTransferBytes);
    this.#pairs.set(qid, pair); // reserve the qid while the create commands run
    let cqCreated = false;
    try {
      const ien = vector !== undefined ? 1 : 0;
      const iv = vector !== undefined ? vectorIndex : 0;
      await admin.run(
        { opcode: NvmeAdminOpcode.CREATE_IO_CQ, prp1: queue.cq.dma_handle, cdw10: (((entries - 1) << 16) | qid) >>> 0, cdw11: ((iv << 16) | (ien << 1) | 1) >>> 0 },
        'Create I/O Completion Queue',
        `qid ${qid}, ${entries} entries${ien ? `, MSI-X vector ${iv}` : ', polled'}`,
      );
      cqCreated = true;
      await admin.run(
        { opcode: NvmeAdminOpcode.CREATE_IO_SQ, prp1: queue.sq.dma_handle, cdw10: (((entries - 1) << 16) | qid) >>> 0, cdw11: ((qid << 16) | 1) >>> 0 },
        'Create I/O Submission Queue',
        `qid ${qid}, ${entries} entries, CQ ${qid}`,
      );
    } catch (e) {
      if (cqCreated) await admin.run({ opcode: NvmeAdminOpcode.DELETE_IO_CQ, cdw10: qid }, 'Delete I/O Completion Queue', `qid ${qid}`).catch(() => undefined);
      this.#pairs.delete(qid);
      if (vectorIndex >= 0) this.#vectorUsed[vectorIndex] = false;
      const timedOut = (e as { code?: unknown }).code === 'ETIMEDOUT';
      if (!timedOut) queue.destroy(); // else the controller may still hold the memory: freed at close
      else this.#lost.push(queue);
      throw e;
    }
    return pair;
  }

  /** Queues whose create or delete timed out: freed once the controller is disabled. */
  readonly #lost: NvmeQueue[] = [];

  /** @internal Delete a pair's queues (Delete I/O SQ 0x00, then Delete I/O CQ 0x04) and free its memory. */
  async deleteQueuePair(pair: NvmeIoQueuePair): Promise<void> {
    const queue = pair.queue;
    if (this.#pairs.get(pair.qid) !== pair) return;
    this.#pairs.delete(pair.qid);
    const vectorIndex = queue.vector !== undefined ? this.#vectors!.indexOf(queue.vector) : -1;
    let clean = false;
    try {
      if (this.#fatal === undefined && this.#admin !== undefined && this.#admin.failed === undefined) {
        await this.#admin.run({ opcode: NvmeAdminOpcode.DELETE_IO_SQ, cdw10: pair.qid }, 'Delete I/O Submission Queue', `qid ${pair.qid}`);
        queue.reap(); // completions posted before the SQ went away (aborted commands among them)
        queue.fail(closedError(`I/O queue pair ${pair.qid}`));
        await this.#admin.run({ opcode: NvmeAdminOpcode.DELETE_IO_CQ, cdw10: pair.qid }, 'Delete I/O Completion Queue', `qid ${pair.qid}`);
        clean = true;
      }
    } finally {
      queue.fail(closedError(`I/O queue pair ${pair.qid}`));
      if (clean) {
        queue.destroy();
        if (vectorIndex >= 0) this.#vectorUsed[vectorIndex] = false;
      } else {
        this.#lost.push(queue); // the controller may still use its memory: freed after the controller is disabled
      }
    }
  }

  /**
   * Delete every I/O queue pair, shut the controller down (CC.SHN = normal, wait CSTS.SHST = complete), disable it
   * (CC.EN = 0, wait CSTS.RDY = 0), clear bus mastering, free every DMA buffer, close the MSI-X vectors and unmap
   * BAR0. Commands still outstanding reject with `ERR_NVME_CLOSED`. It does not reject: a controller that does
   * not answer is still released. Idempotent (a second call returns the first's promise).
   */
  close(): Promise<void> {
    this.#closing ??= this.#teardown(true);
    return this.#closing;
  }

  async #teardown(orderly: boolean): Promise<void> {
    try {
      if (orderly) {
        for (const pair of [...this.#pairs.values()]) {
          const failed = await this.deleteQueuePair(pair).then(() => undefined, (e: { code?: unknown }) => e);
          if (failed?.code === 'ETIMEDOUT') break; // the controller does not answer: reset it instead of waiting for each
        }
      }
      if (this.regs.mapped) {
        if (orderly && this.#fatal === undefined) await this.#shutdown().catch(() => undefined);
        const cc = this.#nvme.read('CC');
        if (cc !== 0xffff_ffff && (cc & NVME_REGMAP.mask('CC', 'EN')) !== 0) this.#nvme.writeField('CC', 'EN', 0);
        await this.#waitReady(0).catch(() => undefined);
      }
    } finally {
      try {
        pci_clear_master(this.dev);
      } catch {
        // a function that is gone: nothing to stop
      }
      const closed = closedError(`NVMe controller ${this.regs.path}`);
      for (const pair of this.#pairs.values()) this.#lost.push(pair.queue);
      this.#pairs.clear();
      for (const q of this.#lost.splice(0)) {
        q.fail(closed);
        q.destroy();
      }
      if (this.#admin !== undefined) {
        this.#admin.fail(closed);
        this.#admin.destroy();
      }
      for (const b of this.#orphans.splice(0)) this.dev.freeCoherent(b);
      for (const v of this.#vectors ?? []) v.close();
      this.#closing ??= Promise.resolve();
      this.regs.iounmap();
    }
  }

  /** Normal shutdown: CC.SHN = 01b, then wait for CSTS.SHST = 10b (complete). */
  async #shutdown(): Promise<void> {
    this.#nvme.updateFields('CC', { SHN: 'NORMAL' });
    const SHST = NVME_REGMAP.mask('CSTS', 'SHST');
    const complete = NVME_REGMAP.prep('CSTS', { SHST: 'COMPLETE' });
    await this.#nvme.readPollTimeout('CSTS', (v) => (v & SHST) === complete || v === 0xffff_ffff, 200, this.#rdyTimeoutUs);
  }
}
