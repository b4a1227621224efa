/**
 * The command engine of the simulated NVMe controller (sim-controller.ts): the admin and I/O queues it was told
 * about, its side of the doorbells, fetching submission queue entries over the simulated bus, executing admin and
 * NVM commands, moving data through PRP entries and PRP lists, posting completions with the phase tag and SQHD,
 * and raising the completion queue's MSI-X vector. Everything goes through {@link SimIommu}, so a bus address the
 * driver did not map is a fault, and a fault is what a controller sees as a failed transfer.
 * @module
 */
import type { SimInterrupts, SimIommu } from '../../lib/index.js';
import { decodeCommand, encodeCompletion, NvmeAdminOpcode, NvmeFeature, NvmeIdentifyCns, NvmeIoOpcode, NVME_CQE_BYTES, NVME_SQE_BYTES, type NvmeCommand } from './commands.js';
import { NvmeCommandSpecificStatus as CS, NvmeGenericStatus as G } from './status.js';
import { activeNamespaceList, identifyControllerData, identifyNamespaceData, type SimIdentity } from './sim-identify.js';

/** One queue as the controller knows it. */
interface SimQueue {
  qid: number;
  base: bigint;
  entries: number;
  /** SQ: the doorbell's tail, the controller's head. CQ: the doorbell's head, the controller's tail. */
  head: number;
  tail: number;
}
interface SimSq extends SimQueue {
  cqid: number;
}
interface SimCq extends SimQueue {
  phase: number;
  ien: boolean;
  iv: number;
  /** Completions waiting for room (the CQ was full). */
  waiting: Posting[];
}
interface Posting {
  sqid: number;
  cid: number;
  sct: number;
  sc: number;
  dw0: number;
  sqhdOf: SimSq | undefined;
  sqhd: number;
}

/** What the engine is built with. */
export interface SimEngineSetup {
  iommu: SimIommu;
  /** PCI_COMMAND bus-master bit. */
  busMaster(): boolean;
  /** The current MSI-X vectors (empty when not enabled). */
  vectors(): readonly SimInterrupts[];
  /** Sets CSTS.CFS. */
  fatal(reason: string): void;
  namespace: Uint8Array;
  blockSize: 512 | 4096;
  identity: SimIdentity;
  /** Largest queue (CAP.MQES + 1). */
  maxEntries: number;
  /** I/O queue pairs the controller can allocate. */
  maxIoQueues: number;
  /** 'fifo': complete in submission order; 'reverse': the commands of one pass in reverse order. */
  completionOrder: 'fifo' | 'reverse';
}

/** Counters of the simulated controller. */
export interface SimNvmeStats {
  /** Commands executed, admin and I/O. */
  adminCommands: number;
  ioCommands: number;
  /** The most commands found waiting in one I/O submission queue at a doorbell write (queue depth). */
  maxQueued: number;
  /** Accepted writes of I/O submission queue tail doorbells (SQyTDBL, y > 0). */
  ioSqDoorbells: number;
  /** Completions posted, interrupts raised. */
  completions: number;
  interrupts: number;
  /** Doorbell writes ignored (unknown queue, value out of range). */
  badDoorbells: number;
  /** Commands that failed with Data Transfer Error because a PRP pointed at unmapped memory. */
  transferErrors: number;
  /** I/O queues deleted by Delete I/O SQ / CQ commands (not by a reset). */
  queuesDeleted: number;
}

const PAGE = 4096;
const PAGE_N = 4096n;
type Status = { sct: number; sc: number; dw0?: number };
const OK: Status = { sct: 0, sc: 0 };
const generic = (sc: number): Status => ({ sct: 0, sc });
const specific = (sc: number): Status => ({ sct: 1, sc });

/** The command engine (see the module description). */
export class SimNvmeEngine {
  readonly stats: SimNvmeStats = { adminCommands: 0, ioCommands: 0, maxQueued: 0, ioSqDoorbells: 0, completions: 0, interrupts: 0, badDoorbells: 0, transferErrors: 0, queuesDeleted: 0 };
  readonly #s: SimEngineSetup;
  readonly #sqs = new Map<number, SimSq>();
  readonly #cqs = new Map<number, SimCq>();
  #ioQueuesAllocated = 0;
  #featuresSet = false;
  #stopped = true;
  /** I/O submission queues are not processed (the admin queue still is). */
  ioPaused = false;

  constructor(setup: SimEngineSetup) {
    this.#s = setup;
  }

  /** The I/O queue IDs that exist now. */
  get ioQueues(): { sq: number[]; cq: number[] } {
    return { sq: [...this.#sqs.keys()].filter((q) => q !== 0), cq: [...this.#cqs.keys()].filter((q) => q !== 0) };
  }

  /** CC.EN 0 → 1: the admin queue from AQA/ASQ/ACQ. */
  enable(asq: bigint, acq: bigint, asqs: number, acqs: number): void {
    this.reset();
    this.#sqs.set(0, { qid: 0, base: asq, entries: asqs, head: 0, tail: 0, cqid: 0 });
    this.#cqs.set(0, { qid: 0, base: acq, entries: acqs, head: 0, tail: 0, phase: 1, ien: true, iv: 0, waiting: [] });
    this.#ioQueuesAllocated = this.#s.maxIoQueues;
    this.#stopped = false;
  }

  /** Controller reset (CC.EN 1 → 0, or a fatal error): every queue gone, nothing more processed. */
  reset(): void {
    this.#sqs.clear();
    this.#cqs.clear();
    this.#featuresSet = false;
    this.#stopped = true;
  }

  /** Stop processing (a fatal error) without forgetting the queues. */
  stop(): void {
    this.#stopped = true;
  }

  /** A doorbell write: `index` = 2y for SQyTDBL, 2y + 1 for CQyHDBL. @returns whether there may be work to do. */
  doorbell(index: number, value: number): boolean {
    if (this.#stopped) return false;
    const qid = index >>> 1;
    if ((index & 1) === 0) {
      const sq = this.#sqs.get(qid);
      if (sq === undefined || value >= sq.entries) {
        this.stats.badDoorbells++;
        return false;
      }
      sq.tail = value;
      if (qid !== 0) {
        this.stats.ioSqDoorbells++;
        this.stats.maxQueued = Math.max(this.stats.maxQueued, (sq.tail - sq.head + sq.entries) % sq.entries);
      }
      return true;
    }
    const cq = this.#cqs.get(qid);
    if (cq === undefined || value >= cq.entries) {
      this.stats.badDoorbells++;
      return false;
    }
    cq.head = value;
    return cq.waiting.length > 0;
  }

  /**
   * Test hook: post a completion entry to CQ `cqid` for a command that was never submitted (a controller bug, or a
   * hostile device), and raise its vector. @returns false when there is no such CQ.
   */
  inject(cqid: number, cid: number, sqid: number): boolean {
    const cq = this.#cqs.get(cqid);
    if (cq === undefined || this.#stopped) return false;
    const sq = this.#sqs.get(sqid);
    const posted = this.#post(cq, { sqid, cid, sct: 0, sc: 0, dw0: 0, sqhdOf: sq, sqhd: 0 });
    if (posted) this.#interrupt(cq);
    return true;
  }

  /** One pass: post waiting completions, then fetch and execute what every SQ holds (admin first). */
  run(): void {
    if (this.#stopped) return;
    if (!this.#s.busMaster()) {
      const sq = this.#sqs.get(0);
      this.#s.iommu.blocked(sq?.base ?? 0n, NVME_SQE_BYTES, 'read');
      this.#fail('a doorbell was rung with bus mastering off: the controller cannot fetch commands');
      return;
    }
    const raised = new Set<SimCq>();
    for (const cq of this.#cqs.values()) if (this.#flush(cq)) raised.add(cq);
    for (const qid of [...this.#sqs.keys()].sort((a, b) => a - b)) {
      const sq = this.#sqs.get(qid);
      if (sq === undefined || this.#stopped || (qid !== 0 && this.ioPaused)) continue;
      const fetched: Required<NvmeCommand>[] = [];
      while (sq.head !== sq.tail) {
        const entry = this.#read(sq.base + BigInt(sq.head * NVME_SQE_BYTES), NVME_SQE_BYTES);
        if (entry === undefined) {
          this.#fail(`fetching SQ ${qid} entry ${sq.head} faulted`);
          return;
        }
        sq.head = (sq.head + 1) % sq.entries;
        fetched.push(decodeCommand(new DataView(entry.buffer), 0));
      }
      if (this.#s.completionOrder === 'reverse') fetched.reverse();
      for (const cmd of fetched) {
        const status = qid === 0 ? this.#admin(cmd) : this.#io(cmd);
        if (this.#stopped) return;
        const cq = this.#cqs.get(sq.cqid);
        if (cq === undefined) continue; // its CQ was deleted under it: nowhere to post
        if (this.#post(cq, { sqid: qid, cid: cmd.cid, sct: status.sct, sc: status.sc, dw0: status.dw0 ?? 0, sqhdOf: sq, sqhd: 0 })) raised.add(cq);
      }
    }
    for (const cq of raised) this.#interrupt(cq);
  }

  #fail(reason: string): void {
    this.#stopped = true;
    this.#s.fatal(reason);
  }

  #interrupt(cq: SimCq): void {
    if (!cq.ien || this.#stopped) return;
    const vector = this.#s.vectors()[cq.iv];
    if (vector === undefined || vector.closed) return;
    this.stats.interrupts++;
    vector.raise();
  }

  /** Post a completion, or queue it while the CQ is full. @returns whether one was posted. */
  #post(cq: SimCq, p: Posting): boolean {
    if (p.sqhdOf !== undefined) p.sqhd = p.sqhdOf.head; // SQHD as the controller knows it when posting
    if (cq.waiting.length > 0 || (cq.tail + 1) % cq.entries === cq.head) {
      cq.waiting.push(p);
      return false;
    }
    return this.#write(cq, p);
  }

  #flush(cq: SimCq): boolean {
    let any = false;
    while (cq.waiting.length > 0 && (cq.tail + 1) % cq.entries !== cq.head && !this.#stopped) {
      any = this.#write(cq, cq.waiting.shift()!) || any;
    }
    return any;
  }

  #write(cq: SimCq, p: Posting): boolean {
    const entry = new Uint8Array(NVME_CQE_BYTES);
    encodeCompletion(entry, { sqid: p.sqid, cid: p.cid, sct: p.sct, sc: p.sc, dw0: p.dw0, sqhd: p.sqhd, phase: cq.phase, dnr: p.sc !== 0 || p.sct !== 0 });
    if (!this.#writeBus(cq.base + BigInt(cq.tail * NVME_CQE_BYTES), entry)) {
      this.#fail(`posting to CQ ${cq.qid} entry ${cq.tail} faulted`);
      return false;
    }
    cq.tail++;
    if (cq.tail === cq.entries) {
      cq.tail = 0;
      cq.phase ^= 1;
    }
    this.stats.completions++;
    return true;
  }

  // --- the bus ----------------------------------------------------------------------------

  /** A device read; undefined when any of it faulted. */
  #read(addr: bigint, length: number): Uint8Array | undefined {
    const iommu = this.#s.iommu;
    const before = iommu.trace.length;
    const data = iommu.deviceRead(addr, length);
    return faulted(iommu, before) ? undefined : data;
  }

  /** A device write; false when any of it faulted. */
  #writeBus(addr: bigint, data: Uint8Array): boolean {
    const iommu = this.#s.iommu;
    const before = iommu.trace.length;
    iommu.deviceWrite(addr, data);
    return !faulted(iommu, before);
  }

  /**
   * The memory segments PRP1/PRP2 describe for a transfer of `bytes`, or the status that refuses it (PRP Offset
   * Invalid for a misaligned entry, Data Transfer Error when the PRP list itself cannot be read).
   */
  #segments(prp1: bigint, prp2: bigint, bytes: number): [bigint, number][] | Status {
    if ((prp1 & 3n) !== 0n) return generic(G.PRP_OFFSET_INVALID);
    const first = Math.min(bytes, PAGE - Number(prp1 % PAGE_N));
    const segs: [bigint, number][] = [[prp1, first]];
    let left = bytes - first;
    if (left === 0) return segs;
    if (left <= PAGE) {
      if (prp2 % PAGE_N !== 0n) return generic(G.PRP_OFFSET_INVALID);
      segs.push([prp2, left]);
      return segs;
    }
    if ((prp2 & 7n) !== 0n) return generic(G.PRP_OFFSET_INVALID);
    let list = prp2;
    while (left > 0) {
      const room = (PAGE - Number(list % PAGE_N)) / 8; // entries left in this list page
      const needed = Math.ceil(left / PAGE);
      const count = Math.min(room, needed);
      const raw = this.#read(list, count * 8);
      if (raw === undefined) return generic(G.DATA_TRANSFER_ERROR);
      const view = new DataView(raw.buffer);
      let next: bigint | undefined;
      for (let i = 0; i < count; i++) {
        const e = view.getBigUint64(i * 8, true);
        if (i === room - 1 && needed > room) {
          if ((e & 7n) !== 0n) return generic(G.PRP_OFFSET_INVALID);
          next = e; // the last entry of a full list page points at the next list page
          break;
        }
        if (e % PAGE_N !== 0n) return generic(G.PRP_OFFSET_INVALID);
        const n = Math.min(PAGE, left);
        segs.push([e, n]);
        left -= n;
      }
      if (next === undefined) break;
      list = next;
    }
    return segs;
  }

  /** Move `data` to host memory through PRPs (a read command, Identify). */
  #toHost(prp1: bigint, prp2: bigint, data: Uint8Array): Status {
    const segs = this.#segments(prp1, prp2, data.byteLength);
    if (!Array.isArray(segs)) return segs;
    let at = 0;
    let ok = true;
    for (const [addr, n] of segs) {
      ok = this.#writeBus(addr, data.subarray(at, at + n)) && ok;
      at += n;
    }
    if (!ok) this.stats.transferErrors++;
    return ok ? OK : generic(G.DATA_TRANSFER_ERROR);
  }

  /** Fetch `bytes` from host memory through PRPs (a write command); a Status if it failed. */
  #fromHost(prp1: bigint, prp2: bigint, bytes: number): Uint8Array | Status {
    const segs = this.#segments(prp1, prp2, bytes);
    if (!Array.isArray(segs)) return segs;
    const out = new Uint8Array(bytes);
    let at = 0;
    for (const [addr, n] of segs) {
      const part = this.#read(addr, n);
      if (part === undefined) {
        this.stats.transferErrors++;
        return generic(G.DATA_TRANSFER_ERROR);
      }
      out.set(part, at);
      at += n;
    }
    return out;
  }

  // --- admin commands ---------------------------------------------------------------------

  #admin(cmd: Required<NvmeCommand>): Status {
    this.stats.adminCommands++;
    const c10 = cmd.cdw10;
    const c11 = cmd.cdw11;
    switch (cmd.opcode) {
      case NvmeAdminOpcode.IDENTIFY:
        return this.#identify(cmd, c10 & 0xff);
      case NvmeAdminOpcode.CREATE_IO_CQ:
        return this.#createCq(c10 & 0xffff, (c10 >>> 16) + 1, c11, cmd.prp1);
      case NvmeAdminOpcode.CREATE_IO_SQ:
        return this.#createSq(c10 & 0xffff, (c10 >>> 16) + 1, c11, cmd.prp1);
      case NvmeAdminOpcode.DELETE_IO_SQ:
        return this.#deleteSq(c10 & 0xffff);
      case NvmeAdminOpcode.DELETE_IO_CQ: {
        const qid = c10 & 0xffff;
        if (qid === 0 || !this.#cqs.has(qid)) return specific(CS.INVALID_QUEUE_IDENTIFIER);
        for (const sq of this.#sqs.values()) if (sq.cqid === qid) return specific(CS.INVALID_QUEUE_DELETION);
        this.#cqs.delete(qid);
        this.stats.queuesDeleted++;
        return OK;
      }
      case NvmeAdminOpcode.SET_FEATURES:
      case NvmeAdminOpcode.GET_FEATURES: {
        if ((c10 & 0xff) !== NvmeFeature.NUMBER_OF_QUEUES) return generic(G.INVALID_FIELD);
        if (cmd.opcode === NvmeAdminOpcode.SET_FEATURES) {
          if (this.ioQueues.sq.length > 0 || this.ioQueues.cq.length > 0) return generic(G.COMMAND_SEQUENCE_ERROR);
          const nsqr = c11 & 0xffff;
          const ncqr = c11 >>> 16;
          if (nsqr === 0xffff || ncqr === 0xffff) return generic(G.INVALID_FIELD);
          this.#ioQueuesAllocated = Math.min(Math.max(nsqr, ncqr) + 1, this.#s.maxIoQueues);
          this.#featuresSet = true;
        }
        const n = this.#ioQueuesAllocated - 1;
        return { sct: 0, sc: 0, dw0: ((n << 16) | n) >>> 0 };
      }
      default:
        return generic(G.INVALID_OPCODE);
    }
  }

  /** True once Set Features Number of Queues has run since the last enable. */
  get queuesNegotiated(): boolean {
    return this.#featuresSet;
  }

  #identify(cmd: Required<NvmeCommand>, cns: number): Status {
    const id = this.#s.identity;
    const nsid = cmd.nsid;
    let data: Uint8Array;
    if (cns === NvmeIdentifyCns.CONTROLLER) {
      data = identifyControllerData(id);
    } else if (cns === NvmeIdentifyCns.NAMESPACE) {
      if (nsid === 0 || (nsid > id.nn && nsid !== 0xffff_ffff)) return generic(G.INVALID_NAMESPACE_OR_FORMAT);
      data = nsid === 1 ? identifyNamespaceData(this.#s.namespace.byteLength / this.#s.blockSize, this.#s.blockSize, 1) : new Uint8Array(4096);
    } else if (cns === NvmeIdentifyCns.ACTIVE_NAMESPACES) {
      data = activeNamespaceList([1], nsid);
    } else {
      return generic(G.INVALID_FIELD);
    }
    return this.#toHost(cmd.prp1, cmd.prp2, data);
  }

  #checkNewQueue(qid: number, entries: number, base: bigint, exists: boolean): Status | undefined {
    if (qid === 0 || qid > this.#ioQueuesAllocated || exists) return specific(CS.INVALID_QUEUE_IDENTIFIER);
    if (entries < 2 || entries > this.#s.maxEntries) return specific(CS.INVALID_QUEUE_SIZE);
    if (base % PAGE_N !== 0n) return generic(G.PRP_OFFSET_INVALID);
    return undefined;
  }

  #createCq(qid: number, entries: number, c11: number, base: bigint): Status {
    const refused = this.#checkNewQueue(qid, entries, base, this.#cqs.has(qid));
    if (refused !== undefined) return refused;
    if ((c11 & 1) === 0) return generic(G.INVALID_FIELD); // PC = 0: CAP.CQR says contiguous queues are required
    const ien = (c11 & 2) !== 0;
    const iv = c11 >>> 16;
    if (ien && iv >= Math.max(1, this.#s.vectors().length)) return specific(CS.INVALID_INTERRUPT_VECTOR);
    this.#cqs.set(qid, { qid, base, entries, head: 0, tail: 0, phase: 1, ien, iv, waiting: [] });
    return OK;
  }

  #createSq(qid: number, entries: number, c11: number, base: bigint): Status {
    const refused = this.#checkNewQueue(qid, entries, base, this.#sqs.has(qid));
    if (refused !== undefined) return refused;
    if ((c11 & 1) === 0) return generic(G.INVALID_FIELD);
    const cqid = c11 >>> 16;
    if (cqid === 0 || !this.#cqs.has(cqid)) return specific(CS.COMPLETION_QUEUE_INVALID);
    this.#sqs.set(qid, { qid, base, entries, head: 0, tail: 0, cqid });
    return OK;
  }

  #deleteSq(qid: number): Status {
    const sq = this.#sqs.get(qid);
    if (qid === 0 || sq === undefined) return specific(CS.INVALID_QUEUE_IDENTIFIER);
    // Commands not yet fetched are aborted, each with a completion on the SQ's CQ.
    const cq = this.#cqs.get(sq.cqid);
    const raised = cq !== undefined && sq.head !== sq.tail;
    while (sq.head !== sq.tail) {
      const entry = this.#read(sq.base + BigInt(sq.head * NVME_SQE_BYTES), NVME_SQE_BYTES);
      sq.head = (sq.head + 1) % sq.entries;
      if (entry === undefined || cq === undefined) continue;
      const cid = decodeCommand(new DataView(entry.buffer), 0).cid;
      this.#post(cq, { sqid: qid, cid, sct: 0, sc: G.ABORT_SQ_DELETION, dw0: 0, sqhdOf: sq, sqhd: 0 });
    }
    this.#sqs.delete(qid);
    this.stats.queuesDeleted++;
    if (raised) this.#interrupt(cq);
    return OK;
  }

  // --- NVM commands -----------------------------------------------------------------------

  #io(cmd: Required<NvmeCommand>): Status {
    this.stats.ioCommands++;
    const op = cmd.opcode;
    if (op !== NvmeIoOpcode.READ && op !== NvmeIoOpcode.WRITE && op !== NvmeIoOpcode.FLUSH) return generic(G.INVALID_OPCODE);
    if (cmd.nsid !== 1) return generic(cmd.nsid === 0xffff_ffff && op === NvmeIoOpcode.FLUSH ? G.SUCCESS : G.INVALID_NAMESPACE_OR_FORMAT);
    if (op === NvmeIoOpcode.FLUSH) return OK;
    const bs = this.#s.blockSize;
    const nsze = BigInt(this.#s.namespace.byteLength / bs);
    const slba = BigInt(cmd.cdw10) | (BigInt(cmd.cdw11) << 32n);
    const nlb = ((cmd.cdw12) & 0xffff) + 1;
    if (slba + BigInt(nlb) > nsze) return generic(G.LBA_OUT_OF_RANGE);
    const bytes = nlb * bs;
    const mdts = this.#s.identity.mdts;
    if (mdts !== 0 && bytes > PAGE * 2 ** mdts) return generic(G.INVALID_FIELD);
    const at = Number(slba) * bs;
    if (op === NvmeIoOpcode.READ) return this.#toHost(cmd.prp1, cmd.prp2, this.#s.namespace.subarray(at, at + bytes));
    const data = this.#fromHost(cmd.prp1, cmd.prp2, bytes);
    if (!(data instanceof Uint8Array)) return data;
    this.#s.namespace.set(data, at);
    return OK;
  }
}

function faulted(iommu: SimIommu, from: number): boolean {
  const trace = iommu.trace;
  for (let i = from; i < trace.length; i++) if (trace[i].op === 'fault') return true;
  return false;
}
