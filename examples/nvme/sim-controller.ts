/**
 * A simulated NVMe controller, enough for the example driver's unit tests on every machine, built from mmio/sim's
 * public pieces: a {@link SimRegion} over a {@link SimDevice} for BAR0 (its controller registers generated from
 * {@link NVME_REGMAP}, the map the driver uses, by createRegisterModel; doorbells from 0x1000), a {@link SimIommu}
 * for the bus memory (DMA buffers the driver allocates; the controller reads and writes them by bus address), one
 * {@link SimInterrupts} per MSI-X vector (edge-triggered), and a {@link SimPciConfig} (bus mastering off until
 * pci_set_master). The command engine is sim-engine.ts.
 *
 * Modelled:
 * - CAP (MQES, CQR = 1, TO, DSTRD, CSS = NVM, MPSMIN 0 / MPSMAX 4), VS 1.4.0, CC, CSTS, AQA, ASQ, ACQ. CC.EN 0 → 1
 *   takes the admin queue from AQA/ASQ/ACQ and sets CSTS.RDY after `readyDelayMs`; a bad configuration (IOSQES ≠ 6,
 *   IOCQES ≠ 4, CSS not NVM, MPS above MPSMAX, an admin queue of 1 entry) sets CSTS.CFS instead. CC.EN 1 → 0 resets
 *   the controller (queues gone, CFS cleared) and clears RDY after the same delay. CC.SHN sets CSTS.SHST complete.
 * - Doorbells with the stride of CAP.DSTRD; a write makes the controller process asynchronously (a microtask, a
 *   setImmediate or a timer: `latency`), as a real controller works after the doorbell write returns. Writes to
 *   unknown queues or out-of-range values are ignored (and counted).
 * - Admin commands: Identify CNS 0x00 / 0x01 / 0x02, Create and Delete I/O CQ and SQ (queue ID, size, PC, interrupt
 *   vector and CQ checks with the specification's status codes; deleting an SQ aborts its unfetched commands with
 *   "Command Aborted due to SQ Deletion"; a CQ with an SQ on it cannot be deleted), Set/Get Features Number of
 *   Queues. Other opcodes: Invalid Command Opcode.
 * - NVM commands on namespace 1 (a RAM disk, {@link SimNvme.namespace}): Read, Write, Flush; LBA range (LBA Out of
 *   Range), MDTS (Invalid Field in Command), PRP1/PRP2 and PRP lists with chaining (PRP Offset Invalid for
 *   misaligned entries); data to or from an unmapped bus address: Data Transfer Error (the IOMMU logs the fault).
 *   Namespaces 2..nn exist but are inactive (Identify returns zeros).
 * - Completions with phase tag, SQHD and CID, held back while the CQ is full; MSI-X per CQ (its IV) when IEN is set;
 *   in-order or reversed completion of the commands fetched in one pass (`completionOrder`).
 * - Bus mastering: with PCI_COMMAND's bus-master bit clear, a doorbell makes the controller fail (CSTS.CFS),
 *   since it can fetch nothing. A fault fetching an SQ entry or posting a CQ entry also sets CFS.
 * - Test hooks: {@link SimNvme.pause}/{@link SimNvme.resume} (commands wait, to provoke timeouts),
 *   {@link SimNvme.injectFatal} (CFS), {@link SimNvme.injectCompletion} (a completion nobody asked for), counters in
 *   {@link SimNvme.stats}.
 *
 * Not modelled: the MSI-X table and PBA in BAR0 and the MSI-X capability in config space (vectors come from
 * {@link NvmePciFunction.enableIrqs}), INTx/MSI and INTMS/INTMC, arbitration and queue priorities, SGLs, metadata,
 * more than one active namespace, namespace management, log pages and asynchronous events, Abort, firmware,
 * NVM subsystem reset, controller memory buffers, the admin queue's timing, and any latency of the medium.
 * @module
 */
import { createRegisterModel, SimInterrupts, SimIommu, SimPciConfig, SimRegion, attachSimBus, type AccessWidth, type BusValue, type InterruptSource, type RegisterModel } from '../../lib/index.js';
import type { NvmePciFunction } from './device.js';
import { argRangeError, argTypeError } from './errors.js';
import { intOption } from './options.js';
import { doorbellStride, NVME_DOORBELL_BASE, NVME_REGMAP } from './regmap.js';
import { SimNvmeEngine, type SimNvmeStats } from './sim-engine.js';

export type { SimNvmeStats };

/** Options of {@link createSimNvme}. */
export interface SimNvmeOptions {
  /** Blocks in namespace 1. Default 2048. */
  blocks?: number;
  /** Block size in bytes. Default 512. */
  blockSize?: 512 | 4096;
  /** Name in paths (`sim:<name>`). Default `'nvme'`. */
  name?: string;
  /** Identify Controller's MDTS: 2^mdts 4 KiB pages per command (0: no limit). Default 5 (128 KiB). */
  mdts?: number;
  /** CAP.MQES + 1: the largest queue. Default 2048 (QEMU's). */
  maxQueueEntries?: number;
  /** CAP.DSTRD: doorbells 4 << dstrd bytes apart. Default 0. */
  dstrd?: number;
  /** CAP.TO in 500 ms units. Default 1. */
  timeoutUnits?: number;
  /** MSI-X vectors the function has. Default 65 (QEMU's). */
  msixVectors?: number;
  /** I/O queue pairs the controller can allocate. Default 64. */
  maxIoQueues?: number;
  /** Identify's NN: namespace IDs (only 1 is active). Default 1. */
  nn?: number;
  /** When the controller processes after a doorbell: `'microtask'`, `'immediate'` (default), or a delay in ms. */
  latency?: 'microtask' | 'immediate' | number;
  /** Milliseconds from CC.EN (or CC.SHN) changing to CSTS following. Default 0 (the next event-loop turn). */
  readyDelayMs?: number;
  /** CC.EN = 1 never sets CSTS.RDY (a stuck controller). Default false. */
  neverReady?: boolean;
  /** Order in which the commands fetched in one pass complete. Default `'fifo'`. */
  completionOrder?: 'fifo' | 'reverse';
  /** Serial number (SN). Default `'SIMNVME0001'`. */
  serial?: string;
}

/** A simulated NVMe controller (see the module description). */
export interface SimNvme extends Disposable {
  /** The PCI function to hand to `NvmeController.open`. */
  readonly device: NvmePciFunction;
  /** Namespace 1's blocks (the RAM disk), `blocks × blockSize` bytes. */
  readonly namespace: Uint8Array;
  readonly blockSize: 512 | 4096;
  readonly blocks: number;
  /** The bus memory; its `trace` logs allocations, frees, transfers and faults. */
  readonly iommu: SimIommu;
  /** The config space. */
  readonly config: SimPciConfig;
  /** The register model of 0x000..0xfff. */
  readonly model: RegisterModel;
  /** The MSI-X vectors enabled now (empty before enableIrqs). */
  readonly vectors: readonly SimInterrupts[];
  /** DMA buffers allocated and not freed (from the IOMMU's trace). */
  readonly liveDmaBuffers: number;
  /** Counters. */
  readonly stats: SimNvmeStats;
  /** The I/O queue IDs the controller has now. */
  readonly ioQueues: { sq: number[]; cq: number[] };
  /** True after Set Features Number of Queues since the last enable. */
  readonly queuesNegotiated: boolean;
  /** Stop processing doorbells (commands wait in their queues): all queues, or only the I/O queues (`'io'`: admin commands still complete). */
  pause(what?: 'all' | 'io'): void;
  /** Process again, including what waited. */
  resume(): void;
  /** A fatal controller error: CSTS.CFS = 1, nothing more is processed until CC.EN = 0. */
  injectFatal(): void;
  /** Post a successful completion for CID `cid` of SQ `sqid` on CQ `cqid` that no command asked for. @returns false without such a CQ. */
  injectCompletion(cqid: number, cid: number, sqid?: number): boolean;
  /** Unmap every region, close the vectors, free the bus memory, stop timers. Idempotent. */
  close(): void;
}

const BAR0_SIZE = 0x4000;
const CC = NVME_REGMAP.offset('CC');
const CSTS = NVME_REGMAP.offset('CSTS');
const RDY = NVME_REGMAP.mask('CSTS', 'RDY');
const CFS = NVME_REGMAP.mask('CSTS', 'CFS');
const SHST = NVME_REGMAP.mask('CSTS', 'SHST');
const SHST_COMPLETE = NVME_REGMAP.prep('CSTS', { SHST: 'COMPLETE' });
/** VS: NVMe 1.4.0. */
const VS_1_4 = NVME_REGMAP.prep('VS', { MJR: 1, MNR: 4 });

/**
 * Build a simulated NVMe controller (see the module description).
 * @throws TypeError `ERR_INVALID_ARG_TYPE` / RangeError `ERR_OUT_OF_RANGE`, `ERR_INVALID_ARG_VALUE` for bad options.
 */
export function createSimNvme(options: SimNvmeOptions = {}): SimNvme {
  if (options === null || typeof options !== 'object') throw argTypeError('options', 'an object', options);
  const o = options as Record<string, unknown>;
  const blockSize = o.blockSize ?? 512;
  if (blockSize !== 512 && blockSize !== 4096) throw argRangeError('ERR_INVALID_ARG_VALUE', `options.blockSize must be 512 or 4096, got ${String(blockSize)}`, 'the simulated namespace has one LBA format: 512-byte or 4096-byte blocks');
  const blocks = intOption(o, 'blocks', 1, Math.floor(2 ** 30 / blockSize), 2048);
  const mdts = intOption(o, 'mdts', 0, 12, 5);
  const maxEntries = intOption(o, 'maxQueueEntries', 2, 65536, 2048);
  const dstrd = intOption(o, 'dstrd', 0, 4, 0);
  const timeoutUnits = intOption(o, 'timeoutUnits', 1, 255, 1);
  const msixVectors = intOption(o, 'msixVectors', 1, 2048, 65);
  const queueRoom = Math.floor((BAR0_SIZE - NVME_DOORBELL_BASE) / (2 * doorbellStride(dstrd))) - 1; // doorbell pairs in BAR0
  const maxIoQueues = intOption(o, 'maxIoQueues', 1, queueRoom, Math.min(64, queueRoom));
  const nn = intOption(o, 'nn', 1, 1024, 1);
  const readyDelayMs = intOption(o, 'readyDelayMs', 0, 60_000, 0);
  const latency = o.latency ?? 'immediate';
  if (latency !== 'microtask' && latency !== 'immediate' && !(typeof latency === 'number' && Number.isInteger(latency) && latency >= 0 && latency <= 60_000)) {
    throw argRangeError('ERR_INVALID_ARG_VALUE', `options.latency must be 'microtask', 'immediate' or milliseconds 0..60000, got ${String(latency)}`, "'microtask' or 'immediate' completes on the next turn; a number of milliseconds (0..60000) delays each command");
  }
  const completionOrder = o.completionOrder ?? 'fifo';
  if (completionOrder !== 'fifo' && completionOrder !== 'reverse') throw argRangeError('ERR_INVALID_ARG_VALUE', `options.completionOrder must be 'fifo' or 'reverse', got ${String(completionOrder)}`, "'fifo' completes commands in submission order; 'reverse' completes each batch last-first (to test CID matching)");
  const name = typeof o.name === 'string' ? o.name : 'nvme';
  const serial = typeof o.serial === 'string' ? o.serial : 'SIMNVME0001';

  const namespace = new Uint8Array(blocks * blockSize);
  const iommu = new SimIommu();
  const config = new SimPciConfig({ vendor: 0x1b36, device: 0x0010, classCode: 0x010802 }); // QEMU's NVMe IDs, class NVM Express
  let vectors: SimInterrupts[] = [];
  const regions: SimRegion[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let closed = false;
  let paused = false;
  let scheduled = false;

  const capValue = NVME_REGMAP.prep('CAP', { MQES: BigInt(maxEntries - 1), CQR: 1n, TO: BigInt(timeoutUnits), DSTRD: BigInt(dstrd), CSS: 1n, MPSMAX: 4n });
  /** CAP and VS are the controller's own (read-only) values, put back by every reset. */
  const setIdentity = (m: RegisterModel): void => {
    m.set(NVME_REGMAP.offset('CAP'), capValue);
    m.set(NVME_REGMAP.offset('VS'), VS_1_4);
  };

  const immediates = new Set<ReturnType<typeof setImmediate>>();
  /** Run `fn` after `ms` milliseconds (0: on the next event-loop turn), unless closed by then. */
  const later = (fn: () => void, ms: number): void => {
    if (ms === 0) {
      const i = setImmediate(() => {
        immediates.delete(i);
        if (!closed) fn();
      });
      immediates.add(i);
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  const setCsts = (set: number, clear: number): void => {
    model.set(CSTS, (((model.get(CSTS) as number) & ~clear) | set) >>> 0);
  };

  const engine = new SimNvmeEngine({
    iommu,
    busMaster: () => config.busMaster,
    vectors: () => vectors,
    fatal: () => setCsts(CFS, 0),
    namespace,
    blockSize,
    identity: { vid: 0x1b36, ssvid: 0x1af4, serial, model: 'mmio simulated NVMe', firmware: '1.0', mdts, version: VS_1_4, nn },
    maxEntries,
    maxIoQueues,
    completionOrder,
  });

  const process = (): void => {
    scheduled = false;
    if (!closed && !paused) engine.run();
  };
  const kick = (): void => {
    if (scheduled || paused || closed) return;
    scheduled = true;
    if (latency === 'microtask') queueMicrotask(process);
    else if (latency === 'immediate') setImmediate(process);
    else later(process, latency);
  };

  const onEnable = (cc: number): void => {
    const f = NVME_REGMAP.decode('CC', cc);
    const aqa = NVME_REGMAP.decode('AQA', model.get(NVME_REGMAP.offset('AQA')) as number);
    const bad = f.IOSQES !== 6 || f.IOCQES !== 4 || f.CSS !== 0 || f.MPS > 4 || aqa.ASQS < 1 || aqa.ACQS < 1;
    later(() => {
      if (bad) {
        setCsts(CFS, 0);
        return;
      }
      if (options.neverReady === true) return;
      const asq = (model.get(NVME_REGMAP.offset('ASQ')) as bigint) & ~0xfffn;
      const acq = (model.get(NVME_REGMAP.offset('ACQ')) as bigint) & ~0xfffn;
      engine.enable(asq, acq, aqa.ASQS + 1, aqa.ACQS + 1);
      setCsts(RDY, 0);
    }, readyDelayMs);
  };

  const onDisable = (): void => {
    engine.reset();
    later(() => setCsts(0, RDY | CFS | SHST), readyDelayMs);
  };

  const model = createRegisterModel(NVME_REGMAP, {
    hooks: {
      CC: {
        onWrite: (_value, ctx) => {
          const was = ctx.previous as number;
          const now = ctx.value as number;
          const EN = NVME_REGMAP.mask('CC', 'EN');
          const SHN = NVME_REGMAP.mask('CC', 'SHN');
          if ((was & EN) === 0 && (now & EN) !== 0) onEnable(now);
          else if ((was & EN) !== 0 && (now & EN) === 0) onDisable();
          if ((was & SHN) === 0 && (now & SHN) !== 0) {
            engine.stop();
            later(() => setCsts(SHST_COMPLETE, SHST), readyDelayMs);
          }
        },
      },
    },
    onReset: setIdentity,
  });
  setIdentity(model);

  const stride = doorbellStride(dstrd);
  const bar0 = {
    size: BAR0_SIZE,
    read(offset: number, width: AccessWidth): BusValue {
      if (offset < NVME_DOORBELL_BASE) return model.read(offset, width);
      return width === 8 ? 0n : 0; // doorbells read as 0
    },
    write(offset: number, width: AccessWidth, value: BusValue): void {
      if (offset < NVME_DOORBELL_BASE) {
        model.write(offset, width, value);
        return;
      }
      const rel = offset - NVME_DOORBELL_BASE;
      if (width !== 4 || rel % stride !== 0) {
        engine.stats.badDoorbells++;
        return;
      }
      if (((model.get(CSTS) as number) & RDY) === 0) return; // not ready: doorbells are ignored
      if (engine.doorbell(rel / stride, value as number)) kick();
    },
  };

  const enableIrqs = (mode: 'msix', count: number): InterruptSource[] => {
    if (mode !== 'msix') throw argRangeError('ERR_INVALID_ARG_VALUE', `the simulated NVMe controller has MSI-X only, got mode ${String(mode)}`, "ask for enableIrqs('msix', n)");
    if (!Number.isInteger(count) || count < 1 || count > msixVectors) {
      throw argRangeError('ERR_OUT_OF_RANGE', `sim:${name} cannot give ${String(count)} msix vector(s): it has INTx 0, MSI 0, MSI-X ${msixVectors}`, `ask for 1..${msixVectors} vectors (options.msixVectors sets how many it has)`);
    }
    for (const v of vectors) v.close();
    vectors = Array.from({ length: count }, (_, i) => new SimInterrupts({ name: `${name}:msix${i}`, trigger: 'edge' }));
    return [...vectors];
  };

  const controllerParts = {
    map(bar: number): SimRegion {
      if (bar !== 0) throw argRangeError('ERR_OUT_OF_RANGE', `sim:${name} has BAR0 only (the controller registers), got BAR ${String(bar)}`, 'map(0): BAR0 holds the controller registers and doorbells');
      const region = new SimRegion(bar0, { name, phys: 0xfebf_0000n });
      regions.push(region);
      return region;
    },
    enableIrqs,
    reset(): void {
      engine.reset();
      model.reset();
      config.reset();
    },
  };
  const device: NvmePciFunction = attachSimBus(controllerParts, iommu, config);

  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    timers.clear();
    for (const i of immediates) clearImmediate(i);
    immediates.clear();
    engine.reset();
    for (const r of regions) r.iounmap();
    for (const v of vectors) v.close();
    iommu.freeAll();
  };

  return {
    device,
    namespace,
    blockSize,
    blocks,
    iommu,
    config,
    model,
    get vectors() {
      return vectors;
    },
    get liveDmaBuffers() {
      return iommu.liveBuffers;
    },
    stats: engine.stats,
    get ioQueues() {
      return engine.ioQueues;
    },
    get queuesNegotiated() {
      return engine.queuesNegotiated;
    },
    pause(what: 'all' | 'io' = 'all') {
      if (what === 'io') engine.ioPaused = true;
      else paused = true;
    },
    resume() {
      paused = false;
      engine.ioPaused = false;
      kick();
    },
    injectCompletion(cqid: number, cid: number, sqid = cqid) {
      return engine.inject(cqid, cid, sqid);
    },
    injectFatal() {
      engine.stop();
      setCsts(CFS, 0);
    },
    close,
    [Symbol.dispose]: close,
  };
}
