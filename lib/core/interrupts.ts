/**
 * The interrupt interface shared by UIO devices (drivers/uio: a blocking read of /dev/uioN returns the event
 * count; irqcontrol unmasks) and by simulated devices, so driver code waits for interrupts the same way on both.
 * @module
 */

/** One interrupt wait's result. */
export interface InterruptEvent {
  /** The total event count the source has seen (UIO's 32-bit counter from read() of /dev/uioN). */
  count: number;
  /** How many interrupts arrived since the previous wait returned, less the one reported (0 if none lost). */
  missed: number;
}

/**
 * The part of an `AbortSignal` a wait uses. Node's and the DOM's AbortSignal both fit; declared here so the
 * package's types need neither @types/node nor lib "DOM".
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Options for {@link InterruptSource.wait}. */
export interface InterruptWaitOptions {
  /** Give up after this many milliseconds, rejecting with code `ETIMEDOUT`. Default: wait forever. */
  timeoutMs?: number;
  /** Abort the wait; it rejects with the signal's reason (an `AbortError`, code `ABORT_ERR`). */
  signal?: AbortSignalLike;
  /**
   * Busy-poll for the interrupt for up to this many microseconds (0..MAX_BUSY_POLL_US, 10 000) before sleeping
   * in the event loop. Default 0: sleep at once. The thread spins on the interrupt's descriptor (non-blocking
   * reads of /dev/uioN or the VFIO eventfd, with the CPU's pause/yield hint between), so an interrupt that comes
   * within that time wakes the awaiting code about as fast as a C program blocked in read() would, at the cost
   * of a core and of an event loop that runs nothing else meanwhile (timers, I/O, other promises): the trade the
   * kernel's busy polling (SO_BUSY_POLL) and DPDK's poll mode make; worth it in a worker that only drives the
   * device. The spin starts once the code that called wait() has run to its end (a microtask), so a command
   * written after `wait()` and before `await` is issued first. Cut to `timeoutMs` when that is shorter. The
   * simulated and replaying backends check it and ignore it (their interrupts come from the same thread).
   */
  busyPollUs?: number;
}

/**
 * A source of interrupts for one device.
 *
 * The usual loop, as in a UIO driver: `unmask()`, `await wait()`, read and acknowledge the device's interrupt
 * status register, `unmask()` again.
 */
export interface InterruptSource extends AsyncIterable<InterruptEvent> {
  /**
   * Wait for the next interrupt without blocking the event loop (unless `options.busyPollUs` asks to spin first).
   * @returns the event count and how many were missed.
   * @throws (rejects) Error `ETIMEDOUT` after `timeoutMs`; the signal's reason (code `ABORT_ERR`) on abort;
   *   `ERR_IRQ_CLOSED` once {@link InterruptSource.close} has run.
   */
  wait(options?: InterruptWaitOptions): Promise<InterruptEvent>;
  /** Re-enable (unmask) the interrupt line: UIO irqcontrol write of int32 1, or the driver's equivalent. */
  unmask(): void;
  /** Disable (mask) the interrupt line: UIO irqcontrol write of int32 0, or the driver's equivalent. */
  mask(): void;
  /** Stop waiting and release the source; pending waits reject with `ERR_IRQ_CLOSED`. A second call does nothing. */
  close(): void;
}

/**
 * The async iterator every {@link InterruptSource} returns: each step is one `wait()`; it ends when the source is
 * closed (`ERR_IRQ_CLOSED`) and throws any other error. Leaving the loop does not close the source; the loop body
 * acknowledges the device and calls `unmask()`.
 */
export async function* interruptEvents(source: Pick<InterruptSource, 'wait'>): AsyncGenerator<InterruptEvent, void, undefined> {
  for (;;) {
    let event: InterruptEvent;
    try {
      event = await source.wait();
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_IRQ_CLOSED') return;
      throw error;
    }
    yield event;
  }
}
