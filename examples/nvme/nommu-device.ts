/**
 * The NVMe example driver without an IOMMU: an {@link NvmePciFunction} for a controller bound to uio_pci_generic
 * (or to no driver at all), on a machine with no IOMMU or with it in passthrough mode. BAR0 is mapped through the
 * device's sysfs `resource0` file (openPci), DMA memory is pinned memory at its physical address (openPhysDma:
 * /proc/self/pagemap, config space and bus mastering through sysfs `config`), the optional reset is the kernel's
 * function reset through sysfs `reset`. There is no `enableIrqs`: uio_pci_generic offers INTx only, so the driver
 * completes by polling the completion queue's phase bit (`completion: 'poll'`).
 *
 * Unsafe by nature, as DMA without an IOMMU always is (see lib/linux/phys-dma.ts): root only, and a wrong PRP lets
 * the controller write anywhere in memory. Where an IOMMU translates, bind the controller to vfio-pci and pass the
 * VfioDevice itself (openVfio) instead.
 *
 * ```ts
 * const dev = openNvmeNoIommu('0000:00:06.0');
 * const ctrl = await NvmeController.open(dev, { completion: 'poll' });
 * ```
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openPci, openPhysDma, type DmaCoherent, type IoRegion, type PciDevice, type PhysDmaDevice } from '../../lib/index.js';
import type { NvmePciFunction } from './device.js';

/** An NVMe controller reached without an IOMMU: BARs via sysfs resource files, DMA to physical addresses. */
export class NvmeNoIommuDevice implements NvmePciFunction, Disposable {
  readonly #pci: PciDevice;
  readonly #dma: PhysDmaDevice;

  /** @internal use {@link openNvmeNoIommu}. */
  constructor(pci: PciDevice, dma: PhysDmaDevice) {
    this.#pci = pci;
    this.#dma = dma;
  }

  /** The controller's PCI address (BDF), e.g. `0000:00:06.0`. */
  get bdf(): string {
    return this.#pci.info.bdf;
  }

  /** The DMA mask (default DMA_BIT_MASK(32); NVMe controllers take 64: the driver sets it). */
  get dmaMask(): bigint {
    return this.#dma.dmaMask;
  }
  /** Kernel `dma_set_mask`. @throws RangeError `ERR_OUT_OF_RANGE` for a mask below 0xfff or above 2^64-1. */
  setDmaMask(mask: bigint): void {
    this.#dma.setDmaMask(mask);
  }
  /**
   * Pinned memory at its physical address: one 4 KiB page up to a page, one 2 MiB huge page (set
   * /proc/sys/vm/nr_hugepages) up to 2 MiB. @throws as PhysDmaDevice.allocCoherent (`ENOMEM`, `ENOSPC`, `ENOTSUP`).
   */
  allocCoherent(size: number): DmaCoherent {
    return this.#dma.allocCoherent(size);
  }
  /** Unpins and frees the buffer. A second free does nothing. */
  freeCoherent(buffer: DmaCoherent): void {
    this.#dma.freeCoherent(buffer);
  }
  /** Config space through sysfs `config` (offsets in bytes, naturally aligned). */
  readConfig(where: number, width: 1 | 2 | 4): number {
    return this.#dma.readConfig(where, width);
  }
  /** Config space through sysfs `config`. */
  writeConfig(where: number, width: 1 | 2 | 4, value: number): void {
    this.#dma.writeConfig(where, width, value);
  }
  /**
   * BAR `bar` through sysfs `resource<bar>` (uncached). @throws RangeError `ERR_OUT_OF_RANGE` for no such BAR;
   * SystemError `EACCES`/`EPERM` from open/mmap (as PciDevice.map).
   */
  map(bar: number): IoRegion {
    return this.#pci.map(bar);
  }
  /**
   * The kernel's reset of the function (sysfs `reset`: FLR where the device has it, as QEMU's NVMe does). The
   * driver still resets the controller itself (CC.EN = 0) after this.
   * @throws SystemError from writing the sysfs file (`ENOTTY`: the device has no reset method).
   */
  reset(): void {
    writeFileSync(join(this.#pci.info.sysfsPath, 'reset'), '1');
  }
  /** Unmaps the BARs and frees every DMA buffer still held. A second call does nothing. */
  close(): void {
    this.#pci.close();
    this.#dma.close();
  }
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Open an NVMe controller for the example driver without an IOMMU (selectors as openPci's: a BDF or `vendor:device`).
 * @throws Error `ERR_DMA_IOMMU_TRANSLATING` where an IOMMU translates for the device (use openVfio); SystemError
 *   `EPERM` when not root, `ENODEV` for no such device.
 */
export function openNvmeNoIommu(selector: string, options: { instance?: number } = {}): NvmeNoIommuDevice {
  const dma = openPhysDma(selector, options);
  try {
    return new NvmeNoIommuDevice(openPci(dma.info.bdf), dma);
  } catch (e) {
    dma.close();
    throw e;
  }
}
