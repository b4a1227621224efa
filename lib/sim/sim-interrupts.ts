/**
 * A simulated interrupt line with UIO's semantics, for simulated devices.
 *
 * What it mirrors (drivers/uio/uio.c and its drivers): the kernel's handler counts every interrupt in a 32-bit
 * event counter and masks the line (uio_pdrv_genirq disables the IRQ; uio_pci_generic sets PCI_COMMAND's
 * Interrupt Disable bit); a blocking read() of /dev/uioN returns the counter once it differs from what this
 * reader last saw; user space unmasks after acknowledging the device. A level-triggered line that is still
 * asserted when unmasked interrupts again at once.
 * @module
 */
import { beginWait } from '../core/checks.js';
import { abortError, irqClosedError, rangeError, systemErrorByCode, waitPendingError } from '../core/errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from '../core/interrupts.js';

/** Options of a {@link SimInterrupts}. */
export interface SimInterruptsOptions {
  /** Name shown in `path` (`sim:<name>`) and in errors. Default `'irq'`. */
  name?: string;
  /**
   * `'level'` (default, like PCI INTx): the line interrupts while the device holds it asserted
   * ({@link SimInterrupts.setLevel}). `'edge'`: each {@link SimInterrupts.raise} latches one pending interrupt;
   * several raised while masked are delivered as one, as an interrupt controller's pending bit does.
   */
  trigger?: 'level' | 'edge';
}

interface Waiter {
  resolve(event: InterruptEvent): void;
  reject(error: Error): void;
}

/**
 * An {@link InterruptSource} driven by a simulated device.
 *
 * The device side: {@link SimInterrupts.setLevel} / {@link SimInterrupts.raise} / {@link SimInterrupts.lower}.
 * When the line is pending and unmasked, one interrupt is delivered: the count goes up by one and the line is
 * masked (as UIO's kernel handlers do), until the driver calls {@link SimInterrupts.unmask}. Interrupts raised
 * while masked are held while the line stays asserted (level) or latched (edge), and delivered on unmask.
 * The source starts unmasked with count 0. One wait at a time, as on a UIO device.
 */
export class SimInterrupts implements InterruptSource {
  /** `sim:<name>`: the name errors carry as their `path`. */
  readonly path: string;
  /** `'level'` or `'edge'` (see {@link SimInterruptsOptions.trigger}). */
  readonly trigger: 'level' | 'edge';
  private eventCount = 0;
  private reported = 0;
  private isMasked = false;
  private lineHigh = false;
  private edgeLatched = false;
  private isClosed = false;
  private waiter: Waiter | undefined;

  constructor(options: SimInterruptsOptions = {}) {
    this.path = `sim:${options.name ?? 'irq'}`;
    this.trigger = options.trigger ?? 'level';
    if (this.trigger !== 'level' && this.trigger !== 'edge') {
      throw rangeError('ERR_INVALID_ARG_VALUE', `trigger must be 'level' or 'edge', got ${String(this.trigger)}`, "trigger is 'level' (the line stays asserted until cleared) or 'edge' (each raise is one event).");
    }
  }

  /** Interrupts delivered so far (UIO's 32-bit event counter; wraps at 2^32). */
  get count(): number {
    return this.eventCount;
  }

  /** True while the line is masked (after each delivered interrupt, or after {@link SimInterrupts.mask}). */
  get masked(): boolean {
    return this.isMasked;
  }

  /** True while the device holds the line asserted (level mode; always false in edge mode). */
  get level(): boolean {
    return this.lineHigh;
  }

  /** True if an interrupt is waiting to be delivered on unmask. */
  get pending(): boolean {
    return this.trigger === 'level' ? this.lineHigh : this.edgeLatched;
  }

  /** True once {@link SimInterrupts.close} has run. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Device side, level mode: assert (`true`) or deassert (`false`) the line. In edge mode `true` is {@link SimInterrupts.raise}. */
  setLevel(high: boolean): void {
    if (this.trigger === 'edge') {
      if (high) this.raise();
      return;
    }
    this.lineHigh = high;
    this.deliver();
  }

  /** Device side: assert the line (level) or latch one edge (edge). */
  raise(): void {
    if (this.trigger === 'level') this.lineHigh = true;
    else this.edgeLatched = true;
    this.deliver();
  }

  /** Device side: deassert the line (level mode; nothing in edge mode). */
  lower(): void {
    if (this.trigger === 'level') this.lineHigh = false;
  }

  /**
   * Wait for the next interrupt (UIO: blocking read() of /dev/uioN). Resolves at once if interrupts were
   * delivered since the last wait returned.
   * @param options `timeoutMs`: a finite number of milliseconds (0: only check; default: forever);
   *   `signal`: abort.
   * @returns `{ count, missed }`: the event count, and how many interrupts before this one were not reported.
   * @throws (rejects) Error `ETIMEDOUT` (syscall `poll`) after `timeoutMs`; Error `ABORT_ERR` (name
   *   `AbortError`, `cause` = the signal's reason) on abort; Error `ERR_IRQ_CLOSED` after close; Error
   *   `ERR_IRQ_WAIT_PENDING` if a wait is already pending (as the UIO backend); RangeError `ERR_OUT_OF_RANGE`
   *   for a `timeoutMs` that is not a finite number >= 0; TypeError `ERR_INVALID_ARG_TYPE` for a `signal`
   *   that is not an AbortSignal.
   */
  wait(options: InterruptWaitOptions = {}): Promise<InterruptEvent> {
    if (this.isClosed) return Promise.reject(irqClosedError(this.path));
    if (this.waiter !== undefined) return Promise.reject(waitPendingError(this.path));
    // The same start as every backend (lib/core/checks.ts).
    const begun = beginWait(options);
    if (begun instanceof Promise) return begun;
    const { timeoutMs, signal } = begun;
    if (this.eventCount !== this.reported) return Promise.resolve(this.report());
    if (timeoutMs === 0) return Promise.reject(this.timeoutError(0));

    return new Promise<InterruptEvent>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (this.waiter === waiter) this.waiter = undefined;
      };
      const waiter: Waiter = {
        resolve: (event) => {
          cleanup();
          resolve(event);
        },
        reject: (error) => {
          cleanup();
          reject(error);
        },
      };
      const onAbort = (): void => waiter.reject(abortError(signal?.reason));
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => waiter.reject(this.timeoutError(timeoutMs)), timeoutMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiter = waiter;
    });
  }

  /**
   * Unmask the line (UIO irqcontrol: write int32 1). A pending interrupt is delivered at once.
   * @throws Error `ERR_IRQ_CLOSED` after close.
   */
  unmask(): void {
    if (this.isClosed) throw irqClosedError(this.path);
    this.isMasked = false;
    this.deliver();
  }

  /**
   * Mask the line (UIO irqcontrol: write int32 0); interrupts raised meanwhile are held.
   * @throws Error `ERR_IRQ_CLOSED` after close.
   */
  mask(): void {
    if (this.isClosed) throw irqClosedError(this.path);
    this.isMasked = true;
  }

  /** Close: pending and later waits reject with `ERR_IRQ_CLOSED`; the line no longer delivers. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.waiter?.reject(irqClosedError(this.path));
  }

  /** Same as {@link SimInterrupts.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /**
   * Iterate over interrupts: each step is one `wait()`. Ends when the source is closed; other errors are thrown.
   * Leaving the loop does not close the source. The loop body acknowledges the device and calls `unmask()`.
   */
  [Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    return interruptEvents(this);
  }

  /** Deliver one interrupt if one is pending and the line is unmasked. */
  private deliver(): void {
    if (this.isClosed || this.isMasked || !this.pending) return;
    this.edgeLatched = false;
    this.isMasked = true;
    this.eventCount = (this.eventCount + 1) >>> 0;
    this.waiter?.resolve(this.report());
  }

  private report(): InterruptEvent {
    const event = { count: this.eventCount, missed: (this.eventCount - this.reported - 1) >>> 0 };
    this.reported = this.eventCount;
    return event;
  }

  private timeoutError(timeoutMs: number): Error {
    return systemErrorByCode(
      'ETIMEDOUT',
      'poll',
      this.path,
      `no interrupt within ${timeoutMs} ms: check that the device raised it and that the line was unmasked.`,
    );
  }
}

