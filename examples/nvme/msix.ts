/**
 * The MSI-X capability in a function's config space (PCI Local Bus Specification: capability ID 0x11; Message
 * Control bits 10:0 = Table Size − 1), so the driver enables no more vectors than the function has.
 * @module
 */
import type { PciConfigSpace } from '../../lib/index.js';

const PCI_STATUS = 0x06;
const PCI_STATUS_CAP_LIST = 0x10;
const PCI_CAPABILITY_LIST = 0x34;
const PCI_CAP_ID_MSIX = 0x11;

/** MSI-X vectors the function's capability announces, or undefined when it has none (or config space cannot say). */
export function msixTableSize(dev: PciConfigSpace): number | undefined {
  try {
    if ((dev.readConfig(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) === 0) return undefined;
    let at = dev.readConfig(PCI_CAPABILITY_LIST, 1) & 0xfc;
    for (let hops = 0; at >= 0x40 && hops < 48; hops++) {
      if (dev.readConfig(at, 1) === PCI_CAP_ID_MSIX) return (dev.readConfig(at + 2, 2) & 0x7ff) + 1;
      at = dev.readConfig(at + 1, 1) & 0xfc;
    }
  } catch {
    // config space that cannot be read: unknown
  }
  return undefined;
}
