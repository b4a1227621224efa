/**
 * One interrupt wait on an addon handle: a /dev/uioN descriptor (UIO) or an eventfd (VFIO), both watched by
 * native/uio_irq.cc's libuv poll handle, so a wait never blocks the event loop or a thread (unless it asks to
 * busy-poll, `busyPollUs`) and can be cancelled.
 * What UioInterrupts and VfioInterrupts share: the one-wait-at-a-time rule, the timeout and AbortSignal (checked
 * as every backend checks them, lib/core/checks.ts), and cancelling a pending wait on close.
 * @module
 */
import { beginWait, type CheckedWaitOptions } from '../core/checks.js';
import { abortError, irqClosedError, systemError, systemErrorByCode, waitPendingError } from '../core/errors.js';
import type { AbortSignalLike, InterruptEvent, InterruptWaitOptions } from '../core/interrupts.js';
import { addon, type Addon, type IrqHandle } from './addon.js';

/** How often a waiter whose reads at the call have missed tries one again (see IrqWaiter's #readAtCall). */
const PROBE_EVERY = 16;

/** The waits of one interrupt source. Internal: not exported from the package. */
export class IrqWaiter {
  /** Rejects the pending wait (with its cleanup), if there is one. */
  #pending: ((err: Error) => void) | undefined;
  /**
   * The wait between its call and its read (fields, not a closure per wait: this is the hot path of every
   * interrupt): its handle and checked options, and what closed it meanwhile.
   */
  #handle: IrqHandle | undefined;
  #options: CheckedWaitOptions = { busyPollUs: 0 };
  #closedEarly: Error | undefined;
  readonly #closeEarly = (err: Error): void => void (this.#closedEarly = err);
  readonly #readStep = (): InterruptEvent | Promise<InterruptEvent> => this.#read();
  /**
   * Whether a wait reads at its call. True while that read keeps finding the event (a driver that starts the
   * device, then waits: the event is served at once, without the microtask hop); false after it misses (a
   * driver that waits, then starts it: the read after the caller's code serves it, and a read at the call would
   * be a wasted system call each time). Tried again every {@link PROBE_EVERY}th wait, so a driver that changes
   * its pattern gets the cheaper path back.
   */
  #readAtCall = true;
  #sinceProbe = 0;

  /**
   * @param path the source's name in errors (`/dev/uio0`, `vfio:0000:00:06.0:msi0`)
   * @param event what a read returned (UIO: the interrupt count; an eventfd: how many signals) as the event
   * @param timeoutHint the hint of the `ETIMEDOUT` error, given the timeout in ms
   */
  constructor(
    private readonly path: string,
    private readonly event: (value: number) => InterruptEvent,
    private readonly timeoutHint: (ms: number) => string,
  ) {}

  /**
   * Wait for the handle's next event.
   * @param handle the addon's handle; `undefined` once the source is closed
   * @param options `timeoutMs` (0..MAX_WAIT_MS), `signal` and `busyPollUs` (0..MAX_BUSY_POLL_US)
   * @throws (rejects) `ERR_IRQ_CLOSED`, `ERR_IRQ_WAIT_PENDING`, the options' TypeError/RangeError, `ABORT_ERR`,
   *   `ETIMEDOUT`, or a SystemError from read().
   */
  wait(handle: IrqHandle | undefined, options: InterruptWaitOptions | undefined): Promise<InterruptEvent> {
    if (handle === undefined) return Promise.reject(irqClosedError(this.path));
    if (this.#pending !== undefined) {
      return Promise.reject(waitPendingError(this.path));
    }
    const begun = beginWait(options);
    if (begun instanceof Promise) return begun;
    if (this.#readAtCall || ++this.#sinceProbe >= PROBE_EVERY) {
      this.#sinceProbe = 0;
      const ready = addon().irqTryRead(handle);
      this.#readAtCall = ready >= 0;
      if (ready >= 0) return Promise.resolve(this.event(ready));
    }
    this.#handle = handle;
    this.#options = begun;
    this.#closedEarly = undefined;
    this.#pending = this.#closeEarly; // until the read: close() or a second wait see this wait
    // The read runs once the caller's synchronous code has: `const done = wait(); start(); await done` finds an
    // interrupt that start() caused (or one that fired before wait()) with one non-blocking read, and no turn of
    // the event loop (epoll_wait, a callback). busyPollUs spins there, after start(). Only if nothing has come
    // does the wait go to the event loop.
    return Promise.resolve().then(this.#readStep);
  }

  /** The wait's read (see {@link IrqWaiter.wait}): its event, or the event loop's wait for it. */
  #read(): InterruptEvent | Promise<InterruptEvent> {
    const handle = this.#handle!;
    const { timeoutMs, signal, busyPollUs } = this.#options;
    if (this.#closedEarly !== undefined || signal?.aborted) {
      this.#pending = undefined;
      throw this.#closedEarly ?? abortError(signal?.reason);
    }
    const native = addon();
    const spinUs = timeoutMs === undefined ? busyPollUs : Math.min(busyPollUs, timeoutMs * 1000);
    const got = native.irqTryRead(handle, spinUs);
    if (got >= 0) {
      this.#pending = undefined;
      return this.event(got);
    }
    // A failed spin ran its whole budget: the timeout goes on from there.
    const leftMs = timeoutMs === undefined ? undefined : timeoutMs - spinUs / 1000;
    return this.#sleep(native, handle, leftMs, timeoutMs ?? 0, signal);
  }

  /** Hand the wait to the event loop: the handle's libuv poll, the timeout's timer and the signal's listener. */
  #sleep(native: Addon, handle: IrqHandle, leftMs: number | undefined, timeoutMs: number, signal: AbortSignalLike | undefined): Promise<InterruptEvent> {
    return new Promise<InterruptEvent>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = (): void => {
        this.#pending = undefined;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const cancel = (err: Error): void => {
        native.irqCancel(handle);
        settle();
        reject(err);
      };
      const onAbort = (): void => cancel(abortError(signal?.reason));
      this.#pending = cancel;
      try {
        native.irqWait(handle, (errno, value) => {
          settle();
          if (errno !== 0) reject(systemError(errno, 'read', this.path));
          else resolve(this.event(value));
        });
      } catch (e) {
        settle(); // libuv refused the descriptor: this wait's error
        reject(e);
        return;
      }
      if (leftMs !== undefined) {
        timer = setTimeout(() => cancel(systemErrorByCode('ETIMEDOUT', 'poll', this.path, this.timeoutHint(timeoutMs))), leftMs);
      }
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Reject a pending wait with `ERR_IRQ_CLOSED` (the source is closing). */
  close(): void {
    this.#pending?.(irqClosedError(this.path));
  }
}
