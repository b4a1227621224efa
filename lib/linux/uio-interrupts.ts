/**
 * UIO interrupts (drivers/uio/uio.c, Documentation/driver-api/uio-howto.rst): the /dev/uioN descriptor
 * becomes readable when the interrupt count changes, and a 4-byte read returns the count. The wait runs on
 * libuv's poll handle, so it never blocks the event loop or a threadpool thread, and can be cancelled.
 *
 * Unmasking: a write of int32 1 to /dev/uioN calls the driver's irqcontrol (uio_pdrv_genirq and others).
 * uio_pci_generic has none (the write fails with ENOSYS): its kernel handler masks INTx by setting the
 * Interrupt Disable bit (bit 10) of PCI_COMMAND, so unmask clears that bit through the device's sysfs
 * `config` file instead (native/uio_irq.cc, which keeps it open until close: unmask runs once per interrupt).
 * @module
 */
import { addon, type IrqHandle } from './addon.js';
import { IrqWaiter } from './irq-wait.js';
import { irqClosedError, systemError } from '../core/errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from '../core/interrupts.js';

const ENOSYS = 38;

/** The interrupts of one UIO device. Create through `openUio(...).irq`. */
export class UioInterrupts implements InterruptSource {
  readonly #path: string;
  readonly #pciConfig: string | undefined;
  #handle: IrqHandle | undefined;
  #lastCount: number;
  readonly #waiter: IrqWaiter;
  /** Set once the driver answered ENOSYS: irqcontrol does not come and go, so skip that write from then on. */
  #noIrqcontrol = false;

  /**
   * @param path the device node, `/dev/uioN`
   * @param initialCount the event count when opened (sysfs `event`), so the first wait can report misses
   * @param pciConfig the PCI device's sysfs `config` file, for drivers without irqcontrol
   * @throws SystemError from open (`ENOENT`, `EACCES`).
   */
  constructor(path: string, initialCount: number, pciConfig?: string) {
    this.#path = path;
    this.#waiter = new IrqWaiter(
      path,
      (count) => {
        const missed = Math.max(0, ((count - this.#lastCount) >>> 0) - 1);
        this.#lastCount = count;
        return { count, missed };
      },
      (ms) => `no interrupt within ${ms} ms.`,
    );
    this.#pciConfig = pciConfig;
    this.#lastCount = initialCount;
    try {
      this.#handle = addon().irqOpen(path, pciConfig);
    } catch (e) {
      const err = e as { errno?: number; syscall?: string };
      if (typeof err.errno === 'number') throw systemError(err.errno, err.syscall ?? 'open', path);
      throw e;
    }
  }

  /**
   * Wait for the next interrupt (see {@link InterruptSource.wait}). One wait at a time per device.
   * @throws (rejects) `ETIMEDOUT`, `ABORT_ERR`, `ERR_IRQ_CLOSED`, `ERR_IRQ_WAIT_PENDING` (a wait is already
   *   pending), or a SystemError from read().
   */
  wait(options?: InterruptWaitOptions): Promise<InterruptEvent> {
    return this.#waiter.wait(this.#handle, options);
  }

  #control(enable: boolean): void {
    if (this.#handle === undefined) throw irqClosedError(this.#path);
    if (!this.#noIrqcontrol) {
      const errno = addon().irqControl(this.#handle, enable);
      if (errno === 0) return;
      if (errno !== ENOSYS || this.#pciConfig === undefined) {
        throw systemError(errno, 'write', this.#path, errno === ENOSYS ? 'this UIO driver has no irqcontrol.' : undefined);
      }
      this.#noIrqcontrol = true;
    }
    try {
      addon().irqSetIntxDisabled(this.#handle, !enable);
    } catch (e) {
      const err = e as { errno?: number; syscall?: string };
      if (typeof err.errno === 'number') throw systemError(err.errno, err.syscall ?? 'open', this.#pciConfig);
      throw e;
    }
  }

  /**
   * Unmask the interrupt: irqcontrol (write int32 1), or for uio_pci_generic clear PCI_COMMAND's Interrupt
   * Disable bit in sysfs `config`. Acknowledge the device's own interrupt status first, or it fires again.
   * @throws SystemError from write (`ENOSYS` where the driver has no irqcontrol and the device is not PCI),
   *   `ERR_IRQ_CLOSED`.
   */
  unmask(): void {
    this.#control(true);
  }

  /** Mask the interrupt (irqcontrol 0, or set Interrupt Disable). Throws as {@link UioInterrupts.unmask}. */
  mask(): void {
    this.#control(false);
  }

  /** Close /dev/uioN; a pending wait rejects with `ERR_IRQ_CLOSED`. A second call does nothing. */
  close(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#waiter.close();
    this.#handle = undefined;
    addon().irqClose(handle);
  }

  /** Interrupts as an async iterator: each `next()` is one {@link UioInterrupts.wait}. Ends when closed. */
  [Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    return interruptEvents(this);
  }
}
