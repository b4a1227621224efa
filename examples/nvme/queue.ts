/**
 * One NVMe queue pair at the protocol level (a submission queue and its completion queue in DMA memory, their
 * doorbells): command identifiers, completions matched by CID, the phase tag, SQHD, completion by polling or by
 * an MSI-X vector, and per-command timeouts. The admin queue and every I/O queue pair use it.
 *
 * - CIDs: one slot per tag, 0..entries-2, so at most entries - 1 commands are outstanding (a submission queue of
 *   n entries holds n - 1: head = tail means empty). A command's CID is its slot's tag in the low bits and a
 *   generation count above them (as Linux's nvme driver does), so a stale completion for a reused slot is dropped. A caller {@link NvmeQueue.acquire}s a slot (waiting if none is
 *   free), {@link NvmeQueue.issue}s a command in it and {@link NvmeQueue.release}s it once it has copied its data.
 *   A slot whose command timed out stays the controller's until its completion arrives (its DMA buffers with it),
 *   so a late completion can never be taken for a newer command's.
 * - Submission: the entry is written at the SQ tail, then SQyTDBL: at once for a command alone on the queue, once
 *   per microtask turn for the commands issued while others are in flight (one doorbell write for a batch).
 * - Completions: the entry at the CQ head is new when its phase tag equals the expected phase (1 on the first
 *   pass, inverted at each wrap). Its SQHD says how far the controller has fetched the submission queue. After a
 *   batch the CQ head doorbell (CQyHDBL) is written once.
 * - Polling ('poll'): a poll turn spins on the phase tag of the entry at the head, in DMA memory (an Atomics.load of
 *   the entry's last dword: never cached, never reordered with the reads after it), for up to `pollSpinUs`
 *   microseconds, then yields with setImmediate so the event loop runs; right after a submission the first turn
 *   runs as a microtask, so at queue depth 1 a completion is seen without an event-loop turn. Consecutive turns as
 *   microtasks are cut off after `pollSliceUs` so a busy submitter cannot starve the event loop.
 * - Interrupts ('interrupt'): while commands are outstanding one wait on the queue's vector is pending; each
 *   interrupt reaps the queue and unmasks the vector (a no-op for VFIO MSI-X, needed by edge sources that mask).
 * - Timeouts: one timer per queue, armed while commands are outstanding; when it fires it reaps, reads CSTS
 *   (CFS set or all ones: every outstanding command rejects with `ERR_NVME_CONTROLLER_FATAL`) and rejects the
 *   commands past their deadline with `ETIMEDOUT`. It also fires every `fatalCheckMs` while commands are
 *   outstanding, so a fatal controller is noticed before the timeout.
 * @module
 */
import type { DmaCoherent, DmaDevice, InterruptSource, IoRegion } from '../../lib/index.js';
import { completionFromDwords, encodeCommand, NVME_CQE_BYTES, NVME_SQE_BYTES, type NvmeCommand, type NvmeCompletion } from './commands.js';
import { NvmeStatusError } from './status.js';
import { closedError, nvmeError, nvmeTimeoutError, type NvmeError } from './errors.js';
import type { NvmeCompletionMode } from './options.js';

/** Options of a {@link NvmeQueue}. */
export interface NvmeQueueOptions {
  /** Queue identifier (0: the admin queue). */
  qid: number;
  /** Entries of each of the two queues (2..65536). */
  entries: number;
  /** BAR0. */
  regs: IoRegion;
  /** Doorbell offsets in BAR0. */
  sqDoorbell: number;
  cqDoorbell: number;
  /** The device the queue memory is allocated on. */
  dev: DmaDevice;
  completion: NvmeCompletionMode;
  /** The vector of the completion queue ('interrupt'). */
  vector?: InterruptSource;
  /** Milliseconds before a command rejects with ETIMEDOUT. */
  timeoutMs: number;
  /** Microseconds a poll turn spins before yielding. */
  pollSpinUs: number;
  /** Microseconds of consecutive microtask poll turns before one yields to the event loop. */
  pollSliceUs: number;
  /** Milliseconds between CSTS checks while commands are outstanding. */
  fatalCheckMs: number;
  /** Reads CSTS: an error if the controller is dead (CFS set, or all ones), else undefined. */
  checkFatal(): NvmeError | undefined;
}

/** A command slot: one tag, the CID of its current command, and the DMA buffers its commands use. */
export interface QueueSlot {
  /** The slot's tag: the low bits of every CID it issues. */
  readonly index: number;
  /** The CID of the slot's latest command: the tag, and a generation count in the bits above it. */
  cid: number;
  /** Data buffer of the slot's commands, grown on demand by the queue pair (freed at {@link NvmeQueue.destroy}). */
  data?: DmaCoherent;
  /** PRP list pages of the slot's commands. */
  prpList?: DmaCoherent;
  /** The caller holds it (acquired, not released). */
  held: boolean;
  /** The controller holds it (issued, no completion yet). */
  inflight: boolean;
  /** The command's promise, while it has not settled. */
  pending?: { resolve(c: NvmeCompletion): void; reject(e: Error): void; deadline: number; name: string; detail?: string };
}

/** Counters, for tests and the command line. */
export interface NvmeQueueStats {
  /** Commands written to the submission queue. */
  submitted: number;
  /** Completions matched to a command in flight (a timed-out command's late completion too: it frees the slot). */
  completed: number;
  /** Commands whose timeout fired (rejected with ETIMEDOUT). */
  timedOut: number;
  /** Completions whose CID matched no command in flight (dropped). */
  stray: number;
  /** MSI-X interrupts taken (a wait's signal and those it merged: `1 + missed`). */
  interrupts: number;
  /** Turns of the polling loop (each reaps whatever has completed, spinning up to pollSpinUs first). */
  pollTurns: number;
}

/** One submission/completion queue pair (see the module description). */
export class NvmeQueue {
  readonly qid: number;
  readonly entries: number;
  readonly sq: DmaCoherent;
  readonly cq: DmaCoherent;
  readonly completion: NvmeCompletionMode;
  readonly vector: InterruptSource | undefined;
  readonly stats: NvmeQueueStats = { submitted: 0, completed: 0, timedOut: 0, stray: 0, interrupts: 0, pollTurns: 0 };
  readonly #o: NvmeQueueOptions;
  readonly #sqView: DataView;
  readonly #cq32: Uint32Array;
  readonly #slots: QueueSlot[] = [];
  readonly #free: number[] = [];
  /** Bits of a CID that hold the slot's tag; the bits above count generations. */
  readonly #tagBits: number;
  readonly #tagMask: number;
  readonly #waiters: { resolve(s: QueueSlot): void; reject(e: Error): void }[] = [];
  #sqTail = 0;
  /** Submitted entries wait for a doorbell write (queued as a microtask, or a poll turn rings first). */
  #sqRingPending = false;
  #sqHead = 0;
  #cqHead = 0;
  #phase = 1;
  /** Commands whose promise has not settled. */
  #outstanding = 0;
  #failed: Error | undefined;
  #destroyed = false;
  #pollScheduled = false;
  #sliceStart = -1;
  #irqLoop = false;
  #irqAbort: AbortController | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Allocates the queue memory; the caller tells the controller about it (AQA/ASQ/ACQ, or Create I/O CQ/SQ). */
  constructor(options: NvmeQueueOptions) {
    this.#o = options;
    this.qid = options.qid;
    this.entries = options.entries;
    this.completion = options.completion;
    this.vector = options.vector;
    this.sq = options.dev.allocCoherent(options.entries * NVME_SQE_BYTES);
    try {
      this.cq = options.dev.allocCoherent(options.entries * NVME_CQE_BYTES);
    } catch (e) {
      options.dev.freeCoherent(this.sq);
      throw e;
    }
    this.#sqView = new DataView(this.sq.cpu.buffer, this.sq.cpu.byteOffset, this.sq.size);
    this.#cq32 = new Uint32Array(this.cq.cpu.buffer, this.cq.cpu.byteOffset, this.cq.size / 4);
    // a stack: CID 0 is handed out first, and a freed CID is the next one used (its buffers are warm)
    this.#tagBits = Math.max(1, Math.ceil(Math.log2(options.entries - 1)));
    this.#tagMask = (1 << this.#tagBits) - 1;
    for (let index = options.entries - 2; index >= 0; index--) {
      this.#slots[index] = { index, cid: index, held: false, inflight: false };
      this.#free.push(index);
    }
  }

  /** Commands whose promise has not settled. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Slots the controller still holds (in flight, including timed-out commands). */
  get inflight(): number {
    return this.#slots.filter((s) => s.inflight).length;
  }

  /** The error every command rejects with from now on, once the queue has failed or been destroyed. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  /** A free slot now, or undefined (no waiting). */
  tryAcquire(): QueueSlot | undefined {
    if (this.#failed !== undefined || this.#waiters.length > 0) return undefined;
    const index = this.#free.pop();
    if (index === undefined) return undefined;
    const slot = this.#slots[index];
    slot.held = true;
    return slot;
  }

  /**
   * A free slot; waits (FIFO) while all are in use.
   * @throws (rejects) the queue's failure (`ERR_NVME_CLOSED`, `ERR_NVME_CONTROLLER_FATAL`).
   */
  acquire(): Promise<QueueSlot> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const slot = this.tryAcquire();
    if (slot !== undefined) return Promise.resolve(slot);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** Give a slot back. A slot still in flight (its command timed out) becomes free when its completion arrives. */
  release(slot: QueueSlot): void {
    if (!slot.held) return;
    slot.held = false;
    if (!slot.inflight) this.#makeFree(slot);
  }

  #makeFree(slot: QueueSlot): void {
    const waiter = this.#failed === undefined ? this.#waiters.shift() : undefined;
    if (waiter !== undefined) {
      slot.held = true;
      waiter.resolve(slot);
    } else {
      this.#free.push(slot.index);
    }
  }

  /**
   * Submit `cmd` in `slot` (its CID is the slot's): write the entry at the SQ tail, ring SQyTDBL.
   * @param name the command's name for errors (`'Read'`)
   * @param detail what it is about, for errors (`'nsid 1, lba 8, 1 block'`)
   * @returns the completion
   * @throws (rejects) NvmeStatusError for a non-zero status; `ETIMEDOUT`; `ERR_NVME_CONTROLLER_FATAL`;
   *   `ERR_NVME_CLOSED`.
   */
  issue(slot: QueueSlot, cmd: Omit<NvmeCommand, 'cid'>, name: string, detail?: string): Promise<NvmeCompletion> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    if (!slot.held || slot.inflight || this.#slots[slot.index] !== slot) {
      return Promise.reject(nvmeError('ERR_NVME_SLOT', `slot ${slot.index} of queue ${this.qid} is not held by the caller`, 'issue a command in a slot from acquire() or tryAcquire(), once, before release()'));
    }
    const next = this.#sqTail + 1 === this.entries ? 0 : this.#sqTail + 1;
    if (next === this.#sqHead) {
      // Cannot happen while the controller reports SQHD: at most entries - 1 CIDs exist.
      return Promise.reject(nvmeError('ERR_NVME_SQ_FULL', `submission queue ${this.qid} is full (SQHD ${this.#sqHead} did not advance)`, 'the controller stopped fetching commands: check CSTS.CFS, then reset the controller'));
    }
    return new Promise<NvmeCompletion>((resolve, reject) => {
      slot.pending = { resolve, reject, deadline: performance.now() + this.#o.timeoutMs, name, detail };
      slot.inflight = true;
      // A new generation for each command, so a late or duplicated completion of the slot's previous command
      // (a timed-out one, or a controller bug) is never taken for this one.
      const generation = ((slot.cid >>> this.#tagBits) + 1) & (0xffff >>> this.#tagBits);
      slot.cid = ((generation << this.#tagBits) | slot.index) & 0xffff;
      (cmd as NvmeCommand).cid = slot.cid;
      encodeCommand(this.#sqView, this.#sqTail * NVME_SQE_BYTES, cmd as NvmeCommand);
      this.#sqTail = next;
      this.#outstanding++;
      this.stats.submitted++;
      // Alone on the queue: ring now (an interrupt-driven wait then often finds its completion already there).
      // With others in flight: one doorbell for all the commands of this microtask turn.
      if (this.#outstanding === 1) {
        this.#sqRingPending = true;
        this.#ringSq();
      } else if (!this.#sqRingPending) {
        this.#sqRingPending = true;
        queueMicrotask(this.#ringSq);
      }
      this.#armTimer();
      if (this.completion === 'poll') this.#schedulePoll();
      else this.#startIrqLoop();
    });
  }

  /**
   * Ring SQyTDBL with the current tail, if commands wait for it. Commands issued while others are in flight (the
   * continuations of one batch of completions, a split transfer) share one doorbell write, queued as a microtask:
   * each doorbell write is an exit to the device (a trap into the hypervisor, a PCIe posted write).
   */
  readonly #ringSq = (): void => {
    if (!this.#sqRingPending) return; // rung already, by a poll turn that came first
    this.#sqRingPending = false;
    if (this.#destroyed) return;
    // writel: the write barrier before the store orders the entries before the doorbell.
    this.#o.regs.writel(this.#sqTail, this.#o.sqDoorbell);
  };

  /** Run one command in a slot of its own: acquire, issue, release. */
  async run(cmd: Omit<NvmeCommand, 'cid'>, name: string, detail?: string): Promise<NvmeCompletion> {
    const slot = await this.acquire();
    try {
      return await this.issue(slot, cmd, name, detail);
    } finally {
      this.release(slot);
    }
  }

  /**
   * Consume every new completion: match it by CID, settle its command, free SQ entries up to its SQHD; then write
   * the CQ head doorbell once.
   * @returns how many completions were consumed
   */
  reap(): number {
    if (this.#destroyed) return 0;
    const cq = this.#cq32;
    let n = 0;
    // At most one pass of the queue per call, so a controller that keeps posting cannot hold the event loop.
    for (let budget = this.entries; budget > 0; budget--) {
      const at = this.#cqHead * 4;
      const dw3 = Atomics.load(cq, at + 3);
      if (((dw3 >>> 16) & 1) !== this.#phase) break;
      const dw2 = cq[at + 2];
      const dw0 = cq[at];
      const dw1 = cq[at + 1];
      if (++this.#cqHead === this.entries) {
        this.#cqHead = 0;
        this.#phase ^= 1;
      }
      n++;
      this.#sqHead = dw2 & 0xffff;
      this.#complete(completionFromDwords(dw0, dw1, dw2, dw3));
    }
    if (n > 0) this.#o.regs.writel(this.#cqHead, this.#o.cqDoorbell);
    return n;
  }

  #complete(completion: NvmeCompletion): void {
    const cid = completion.cid;
    const slot = this.#slots[cid & this.#tagMask];
    if (slot === undefined || !slot.inflight || slot.cid !== cid) {
      this.stats.stray++;
      return;
    }
    slot.inflight = false;
    this.stats.completed++;
    const pending = slot.pending;
    slot.pending = undefined;
    if (pending !== undefined) {
      this.#outstanding--;
      if (this.#outstanding === 0) this.#timer?.unref();
      if (completion.sc === 0 && completion.sct === 0) pending.resolve(completion);
      else pending.reject(new NvmeStatusError(completion, pending.name, { sqid: this.qid, cid, detail: pending.detail }));
    }
    if (!slot.held) this.#makeFree(slot); // a timed-out command's slot, released long ago
  }

  // --- polling ---------------------------------------------------------------------------

  #schedulePoll(): void {
    if (this.#pollScheduled) return;
    this.#pollScheduled = true;
    const now = performance.now();
    if (this.#sliceStart < 0) {
      this.#sliceStart = now;
      setImmediate(this.#endSlice);
    }
    if ((now - this.#sliceStart) * 1000 < this.#o.pollSliceUs) queueMicrotask(this.#pollTurn);
    else setImmediate(this.#pollTurn);
  }

  readonly #endSlice = (): void => {
    this.#sliceStart = -1;
  };

  readonly #pollTurn = (): void => {
    this.#pollScheduled = false;
    if (this.#destroyed || this.#outstanding === 0) return;
    this.#ringSq(); // never spin on commands whose doorbell is still to be rung
    this.stats.pollTurns++;
    let n = this.reap();
    if (n === 0 && this.#o.pollSpinUs > 0) {
      const cq = this.#cq32;
      const end = performance.now() + this.#o.pollSpinUs / 1000;
      for (let i = 1; ; i++) {
        if (((Atomics.load(cq, this.#cqHead * 4 + 3) >>> 16) & 1) === this.#phase) {
          n = this.reap();
          break;
        }
        if ((i & 31) === 0 && performance.now() >= end) break;
      }
    }
    if (this.#outstanding === 0 || this.#pollScheduled) return;
    if (n > 0) {
      this.#schedulePoll();
    } else {
      this.#pollScheduled = true;
      setImmediate(this.#pollTurn); // nothing came during the spin: let the event loop run
    }
  };

  // --- interrupts ------------------------------------------------------------------------

  #startIrqLoop(): void {
    if (this.#irqLoop || this.vector === undefined) return;
    this.#irqLoop = true;
    void this.#runIrqLoop(this.vector);
  }

  async #runIrqLoop(vector: InterruptSource): Promise<void> {
    const abort = new AbortController();
    this.#irqAbort = abort;
    try {
      while (!this.#destroyed && this.#outstanding > 0) {
        if (this.reap() > 0 && this.#outstanding === 0) break;
        const event = await vector.wait({ signal: abort.signal });
        this.stats.interrupts += 1 + event.missed; // one wait may take several signals of the vector
        vector.unmask();
      }
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code !== 'ABORT_ERR' && code !== 'ERR_IRQ_CLOSED' && !this.#destroyed) {
        this.fail(nvmeError('ERR_NVME_IRQ', `waiting for MSI-X on queue ${this.qid} failed: ${(e as Error).message}`, (e as { hint?: string }).hint ?? 'the vector could not be waited on: close the controller and open it again, or use polling'));
      }
    } finally {
      if (this.#irqAbort === abort) this.#irqAbort = undefined;
      this.#irqLoop = false;
      // a command submitted while the loop was ending
      if (!this.#destroyed && this.#outstanding > 0 && this.#failed === undefined) this.#startIrqLoop();
    }
  }

  // --- timeouts --------------------------------------------------------------------------

  #armTimer(): void {
    if (this.#timer !== undefined) {
      if (this.#outstanding === 1) this.#timer.ref();
      return;
    }
    this.#timer = setTimeout(this.#onTimer, Math.min(this.#o.timeoutMs, this.#o.fatalCheckMs));
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    if (this.#destroyed || this.#outstanding === 0) return;
    this.reap();
    if (this.#outstanding === 0) return;
    const fatal = this.#o.checkFatal();
    if (fatal !== undefined) {
      this.fail(fatal);
      return;
    }
    const now = performance.now();
    let next = Infinity;
    for (const slot of this.#slots) {
      const p = slot.pending;
      if (p === undefined) continue;
      if (p.deadline <= now) {
        slot.pending = undefined;
        this.#outstanding--;
        this.stats.timedOut++;
        p.reject(
          nvmeTimeoutError(
            `nvme ${p.name}`,
            this.#o.regs.path,
            `no completion for CID ${slot.cid} on queue ${this.qid}${p.detail === undefined ? '' : ` (${p.detail})`} within ${this.#o.timeoutMs} ms; the slot stays the controller's until it completes`,
          ),
        );
      } else {
        next = Math.min(next, p.deadline);
      }
    }
    if (this.#outstanding === 0) {
      this.#irqAbort?.abort();
      return;
    }
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.min(next - now, this.#o.fatalCheckMs)));
  };

  /** Reject every outstanding command and every later one with `error` (controller fatal, queue deleted). */
  fail(error: Error): void {
    if (this.#failed === undefined) this.#failed = error;
    for (const slot of this.#slots) {
      const p = slot.pending;
      if (p === undefined) continue;
      slot.pending = undefined;
      this.#outstanding--;
      p.reject(error);
    }
    for (const w of this.#waiters.splice(0)) w.reject(error);
    this.#irqAbort?.abort();
  }

  /** Free the queue memory and every slot buffer. Only once the controller no longer uses them (queue deleted, or controller disabled). */
  destroy(): void {
    if (this.#destroyed) return;
    const dev = this.#o.dev;
    this.fail(this.#failed ?? closedError(`queue ${this.qid}`));
    this.#destroyed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const slot of this.#slots) {
      if (slot.data !== undefined) dev.freeCoherent(slot.data);
      if (slot.prpList !== undefined) dev.freeCoherent(slot.prpList);
      slot.data = slot.prpList = undefined;
    }
    dev.freeCoherent(this.sq);
    dev.freeCoherent(this.cq);
  }
}
