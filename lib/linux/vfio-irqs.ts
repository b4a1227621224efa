/**
 * The interrupt mode of one VFIO device: none, INTx, MSI or MSI-X, with one {@link VfioInterrupts} per vector,
 * plus the ERR and REQ notifiers. VFIO allows one of INTx/MSI/MSI-X at a time (SET_IRQS for MSI fails with EINVAL
 * while INTx is set up), so a mode change tears the old one down first (SET_IRQS DATA_NONE|ACTION_TRIGGER, count
 * 0) and closes its eventfds, and only then wires the new vectors.
 * @module
 */
import { addon } from './addon.js';
import { rangeError } from '../core/errors.js';
import { vfioCall } from './vfio-errors.js';
import {
  VfioInterrupts,
  VFIO_IRQ_SET_ACTION_TRIGGER,
  VFIO_IRQ_SET_DATA_EVENTFD,
  VFIO_IRQ_SET_DATA_NONE,
  VFIO_PCI_ERR_IRQ_INDEX,
  VFIO_PCI_INTX_IRQ_INDEX,
  VFIO_PCI_MSI_IRQ_INDEX,
  VFIO_PCI_MSIX_IRQ_INDEX,
  VFIO_PCI_REQ_IRQ_INDEX,
} from './vfio-irq.js';

/** An interrupt mode: `none`, `intx` (the legacy line), `msi`, `msix`. */
export type VfioIrqMode = 'none' | 'intx' | 'msi' | 'msix';

const INDEX = { intx: VFIO_PCI_INTX_IRQ_INDEX, msi: VFIO_PCI_MSI_IRQ_INDEX, msix: VFIO_PCI_MSIX_IRQ_INDEX, err: VFIO_PCI_ERR_IRQ_INDEX, req: VFIO_PCI_REQ_IRQ_INDEX } as const;

/** The interrupt state of one device. @internal */
export class VfioIrqs {
  #mode: VfioIrqMode = 'none';
  #vectors: VfioInterrupts[] = [];
  readonly #notifiers = new Map<'err' | 'req', VfioInterrupts>();

  constructor(
    readonly fd: number,
    readonly bdf: string,
    readonly counts: Readonly<Record<'intx' | 'msi' | 'msix' | 'err' | 'req', number>>,
  ) {}

  get mode(): VfioIrqMode {
    return this.#mode;
  }

  get vectors(): readonly VfioInterrupts[] {
    return this.#vectors;
  }

  #setIrqs(index: number, flags: number, data: number[] | number): void {
    vfioCall(`vfio:${this.bdf}`, () => addon().vfioDeviceSetIrqs(this.fd, index, 0, flags, data));
  }

  /** Tear the current mode down (vectors unwired, eventfds closed). */
  disable(): void {
    if (this.#mode === 'none') return;
    const old = this.#vectors;
    const index = INDEX[this.#mode];
    this.#mode = 'none';
    this.#vectors = [];
    try {
      this.#setIrqs(index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0);
    } finally {
      for (const v of old) v.close();
    }
  }

  enable(mode: VfioIrqMode, count: number): VfioInterrupts[] {
    if (mode !== 'none' && mode !== 'intx' && mode !== 'msi' && mode !== 'msix') {
      throw rangeError('ERR_INVALID_ARG_VALUE', `interrupt mode must be 'none', 'intx', 'msi' or 'msix', got ${String(mode)}`, "the interrupt mode is one of 'none', 'intx', 'msi' or 'msix'.");
    }
    this.disable();
    if (mode === 'none') return [];
    const have = this.counts[mode];
    if (!Number.isInteger(count) || count < 1 || count > have || (mode === 'intx' && count !== 1)) {
      const all = `INTx ${this.counts.intx}, MSI ${this.counts.msi}, MSI-X ${this.counts.msix}`;
      throw rangeError('ERR_OUT_OF_RANGE', `${this.bdf} cannot give ${String(count)} ${mode} vector(s): it has ${all}`, `ask for at most the vectors the device has (${all}); VFIO reports them per interrupt index.`);
    }
    const vectors: VfioInterrupts[] = [];
    try {
      for (let i = 0; i < count; i++) vectors.push(new VfioInterrupts(mode, i, this.bdf, this.fd));
      this.#setIrqs(INDEX[mode], VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, vectors.map((v) => v.eventfd));
    } catch (e) {
      for (const v of vectors) v.close();
      throw e;
    }
    this.#mode = mode;
    this.#vectors = vectors;
    return [...vectors];
  }

  /** The ERR or REQ notifier, wired on first use. */
  notifier(kind: 'err' | 'req'): VfioInterrupts {
    const known = this.#notifiers.get(kind);
    if (known !== undefined && !known.closed) return known;
    if (this.counts[kind] < 1) throw rangeError('ERR_OUT_OF_RANGE', `${this.bdf} has no ${kind.toUpperCase()} interrupt index`, `this device has no ${kind.toUpperCase()} capability: use another interrupt mode (see the device's interrupt counts).`);
    const v = new VfioInterrupts(kind, 0, this.bdf, this.fd);
    try {
      this.#setIrqs(INDEX[kind], VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, [v.eventfd]);
    } catch (e) {
      v.close();
      throw e;
    }
    this.#notifiers.set(kind, v);
    return v;
  }

  /** Tear everything down (device close). */
  closeAll(): void {
    try {
      this.disable();
    } finally {
      for (const [kind, v] of this.#notifiers) {
        try {
          if (!v.closed) this.#setIrqs(INDEX[kind], VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0);
        } catch {
          // closing the device descriptor unwires it as well
        }
        v.close();
      }
      this.#notifiers.clear();
    }
  }
}
