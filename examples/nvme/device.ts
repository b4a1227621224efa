/**
 * What the NVMe driver needs from a PCI function: DMA memory at bus addresses ({@link DmaDevice}), its config
 * space ({@link PciConfigSpace}: bus mastering), BAR0 as an {@link IoRegion}, and optionally MSI-X vectors and a
 * function reset. A {@link VfioDevice} (`openVfio(bdf)`) satisfies it as it is; the simulated controller
 * (`createSimNvme().device`) returns one; a device without an IOMMU (openPci/openUio + openPhysDma) can be adapted
 * to it without `enableIrqs` (the driver then polls).
 * @module
 */
import type { DmaDevice, InterruptSource, IoRegion, PciConfigSpace } from '../../lib/index.js';

/** A PCI function the NVMe driver can own (see the module description). */
export interface NvmePciFunction extends DmaDevice, PciConfigSpace {
  /**
   * Map BAR `bar` (the NVMe controller registers and doorbells are in BAR0, at least 0x1000 + doorbells bytes).
   * @returns the BAR as an IoRegion; the driver unmaps it at close.
   */
  map(bar: number): IoRegion;
  /**
   * MSI-X vectors as interrupt sources, vector i at index i (`VfioDevice.enableIrqs('msix', n)` fits: it tears
   * down what was enabled before and wires `count` vectors). Absent: the function has no MSI-X for us, and the
   * driver can only poll.
   * @throws RangeError `ERR_OUT_OF_RANGE` when the function has fewer vectors.
   */
  enableIrqs?(mode: 'msix', count: number): InterruptSource[];
  /** A function-level reset (VFIO_DEVICE_RESET). Absent: the driver resets the controller through CC.EN only. */
  reset?(): void;
}
