/**
 * VFIO interrupts (include/uapi/linux/vfio.h VFIO_DEVICE_SET_IRQS): each vector signals an eventfd, which the
 * event loop watches (native/uio_irq.cc's libuv poll handle: no thread per vector); a read of it returns how many
 * times the vector fired since the last read. One {@link VfioInterrupts} per vector, with the interface UIO's and
 * the simulator's sources have.
 *
 * INTx is level-triggered, so VFIO masks it after each interrupt (AUTOMASKED): acknowledge the device, then
 * `unmask()` (SET_IRQS ACTION_UNMASK). MSI and MSI-X are edge messages: `unmask()` does nothing, and `mask()`
 * is refused (VFIO's PCI driver does not mask MSI vectors). REQ and ERR are notifications from the kernel.
 * @module
 */
import { addon, type IrqHandle } from './addon.js';
import { IrqWaiter } from './irq-wait.js';
import { irqClosedError, systemErrorByCode } from '../core/errors.js';
import { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from '../core/interrupts.js';
import { vfioCall, vfioError } from './vfio-errors.js';

/** VFIO_PCI_*_IRQ_INDEX. */
export const VFIO_PCI_INTX_IRQ_INDEX = 0;
export const VFIO_PCI_MSI_IRQ_INDEX = 1;
export const VFIO_PCI_MSIX_IRQ_INDEX = 2;
export const VFIO_PCI_ERR_IRQ_INDEX = 3;
export const VFIO_PCI_REQ_IRQ_INDEX = 4;
/** VFIO_IRQ_SET_* flags. */
export const VFIO_IRQ_SET_DATA_NONE = 1 << 0;
export const VFIO_IRQ_SET_DATA_EVENTFD = 1 << 2;
export const VFIO_IRQ_SET_ACTION_MASK = 1 << 3;
export const VFIO_IRQ_SET_ACTION_UNMASK = 1 << 4;
export const VFIO_IRQ_SET_ACTION_TRIGGER = 1 << 5;

/** Which kind of vector a {@link VfioInterrupts} is. */
export type VfioIrqKind = 'intx' | 'msi' | 'msix' | 'err' | 'req';

/** The VFIO_PCI_*_IRQ_INDEX of each kind (made once: trigger() is on the bench's timed path). */
const IRQ_INDEX: Readonly<Record<VfioIrqKind, number>> = { intx: VFIO_PCI_INTX_IRQ_INDEX, msi: VFIO_PCI_MSI_IRQ_INDEX, msix: VFIO_PCI_MSIX_IRQ_INDEX, err: VFIO_PCI_ERR_IRQ_INDEX, req: VFIO_PCI_REQ_IRQ_INDEX };

/** One VFIO interrupt vector as an {@link InterruptSource}. Made by the device (`VfioDevice.enableIrqs`). */
export class VfioInterrupts implements InterruptSource {
  /** `intx`, `msi`, `msix`, `err` or `req`. */
  readonly kind: VfioIrqKind;
  /** The vector number within its kind (0 for INTx, ERR and REQ). */
  readonly vector: number;
  /** `<device>:<kind><vector>`, e.g. `vfio:0000:00:06.0:msi0`: the name errors carry as their path. */
  readonly path: string;
  readonly #deviceFd: number;
  #handle: IrqHandle | undefined;
  #count = 0;
  readonly #waiter: IrqWaiter;

  /**
   * @internal
   * @param deviceFd the VFIO device descriptor (for INTx unmask/mask)
   */
  constructor(kind: VfioIrqKind, vector: number, bdf: string, deviceFd: number) {
    this.kind = kind;
    this.vector = vector;
    this.path = `vfio:${bdf}:${kind}${vector}`;
    this.#waiter = new IrqWaiter(
      this.path,
      (signals) => {
        this.#count = (this.#count + signals) >>> 0;
        return { count: this.#count, missed: Math.max(0, signals - 1) };
      },
      (ms) => `no interrupt within ${ms} ms: ${this.#timeoutAdvice()}`,
    );
    this.#deviceFd = deviceFd;
    this.#handle = vfioCall(this.path, () => addon().irqOpenEventfd(this.path));
  }

  /** The eventfd's descriptor, -1 once closed (what VFIO_DEVICE_SET_IRQS is given). */
  get eventfd(): number {
    return this.#handle === undefined ? -1 : addon().irqFd(this.#handle);
  }

  /** Interrupts seen so far (the sum of the eventfd's counts read; wraps at 2^32 as UIO's counter). */
  get count(): number {
    return this.#count;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#handle === undefined;
  }

  /**
   * Wait for the next interrupt (see {@link InterruptSource.wait}); `missed` is how many more than one fired
   * since the last wait returned. One wait at a time per vector.
   * @throws (rejects) `ETIMEDOUT`, `ABORT_ERR`, `ERR_IRQ_CLOSED`, `ERR_IRQ_WAIT_PENDING`, RangeError
   *   `ERR_OUT_OF_RANGE` (timeoutMs), a SystemError from read().
   */
  wait(options?: InterruptWaitOptions): Promise<InterruptEvent> {
    return this.#waiter.wait(this.#handle, options);
  }

  /**
   * Fire this vector from the kernel side (SET_IRQS DATA_NONE|ACTION_TRIGGER for this one vector): its eventfd is
   * signalled as if the device had interrupted. For testing a handler, and a vector's wiring, without the device.
   * @throws Error `ERR_IRQ_CLOSED`; VfioIoctlError from VFIO_DEVICE_SET_IRQS.
   */
  trigger(): void {
    if (this.#handle === undefined) throw irqClosedError(this.path);
    try {
      addon().vfioDeviceSetIrqs(this.#deviceFd, IRQ_INDEX[this.kind], this.vector, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1);
    } catch (e) {
      throw vfioError(e, this.path);
    }
  }

  #timeoutAdvice(): string {
    if (this.kind === 'intx') return 'check that the device raised it and that the line was unmasked (unmask() after each interrupt).';
    if (this.kind === 'msi' || this.kind === 'msix') return 'check that the device raised it; MSI is a write by the device, so bus mastering must be on (pci_set_master).';
    return 'the kernel sent no notification.';
  }

  #lineAction(action: number): void {
    if (this.#handle === undefined) throw irqClosedError(this.path);
    vfioCall(this.path, () => addon().vfioDeviceSetIrqs(this.#deviceFd, VFIO_PCI_INTX_IRQ_INDEX, 0, VFIO_IRQ_SET_DATA_NONE | action, 1));
  }

  /**
   * INTx: unmask the line (VFIO masked it when it fired); acknowledge the device's own status first, or it fires
   * again at once. MSI, MSI-X, ERR, REQ: nothing to do (edge-triggered).
   * @throws Error `ERR_IRQ_CLOSED`; VfioIoctlError from VFIO_DEVICE_SET_IRQS.
   */
  unmask(): void {
    if (this.kind === 'intx') this.#lineAction(VFIO_IRQ_SET_ACTION_UNMASK);
    else if (this.#handle === undefined) throw irqClosedError(this.path);
  }

  /**
   * INTx: mask the line (SET_IRQS ACTION_MASK).
   * @throws SystemError `ENOTSUP` for MSI/MSI-X/ERR/REQ (VFIO cannot mask them: disable the interrupt in the
   *   device instead); `ERR_IRQ_CLOSED`.
   */
  mask(): void {
    if (this.kind === 'intx') {
      this.#lineAction(VFIO_IRQ_SET_ACTION_MASK);
      return;
    }
    if (this.#handle === undefined) throw irqClosedError(this.path);
    throw systemErrorByCode('ENOTSUP', 'ioctl', this.path, `VFIO does not mask ${this.kind} vectors: disable the interrupt in the device's own registers instead`);
  }

  /** Close the eventfd; a pending wait rejects with `ERR_IRQ_CLOSED`. The device tears the vector down first. Idempotent. */
  close(): void {
    const handle = this.#handle;
    if (handle === undefined) return;
    this.#waiter.close();
    this.#handle = undefined;
    addon().irqClose(handle);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** Interrupts as an async iterator: each step is one {@link VfioInterrupts.wait}; ends when closed. */
  [Symbol.asyncIterator](): AsyncGenerator<InterruptEvent, void, undefined> {
    return interruptEvents(this);
  }
}
