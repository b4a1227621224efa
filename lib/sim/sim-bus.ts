/**
 * What a simulated PCI device hands a driver besides its BARs: DMA through its {@link SimIommu} and config space
 * through its {@link SimPciConfig}, as the kernel-named functions of lib/core/dma.ts and lib/core/pci-config.ts
 * call them (`dma_alloc_coherent(dev, …)`, `pci_set_master(dev)`).
 * @module
 */
import type { DmaCoherent, DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import type { SimIommu } from './sim-iommu.js';
import type { SimPciConfig } from './sim-pci-config.js';

/**
 * Give `device` the {@link DmaDevice} and {@link PciConfigSpace} members, delegated to `iommu` (its DMA mask,
 * `allocCoherent`, `freeCoherent`) and `config` (`readConfig`, `writeConfig`): `dmaMask` stays a live view of the
 * IOMMU's mask. Defines the members on `device` itself and returns it.
 * @example
 * const dev = attachSimBus({ map: (bar: number) => regs }, new SimIommu(), new SimPciConfig());
 * dma_alloc_coherent(dev, 4096); // a buffer in the simulated bus memory
 */
export function attachSimBus<T extends object>(device: T, iommu: SimIommu, config: SimPciConfig): T & DmaDevice & PciConfigSpace {
  // As an object literal's own properties are: enumerable, configurable, and (but for the getter) writable, so
  // wrappers such as the DMA recorder's Proxy see ordinary properties.
  const method = (value: unknown): PropertyDescriptor => ({ value, enumerable: true, configurable: true, writable: true });
  const members: PropertyDescriptorMap = {
    dmaMask: { get: (): bigint => iommu.dmaMask, enumerable: true, configurable: true },
    setDmaMask: method((mask: bigint): void => iommu.setDmaMask(mask)),
    allocCoherent: method((size: number): DmaCoherent => iommu.allocCoherent(size)),
    freeCoherent: method((buffer: DmaCoherent): void => iommu.freeCoherent(buffer)),
    readConfig: method((where: number, width: 1 | 2 | 4): number => config.readConfig(where, width)),
    writeConfig: method((where: number, width: 1 | 2 | 4, value: number): void => config.writeConfig(where, width, value)),
  };
  return Object.defineProperties(device, members) as T & DmaDevice & PciConfigSpace;
}
