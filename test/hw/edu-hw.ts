/**
 * Finding the QEMU edu devices the rig provides (test/vm/run.sh --uio: two edu devices, the first bound to
 * uio_pci_generic as /dev/uio0). Throws loudly when run anywhere else.
 */
import { listPciDevices, listUioDevices, type PciDeviceInfo, type UioDeviceInfo } from '../../lib/index.js';

export const EDU_VENDOR = 0x1234;
export const EDU_DEVICE = 0x11e8;
export const EDU_ID = 0x010000ed;

export interface EduHardware {
  /** The edu bound to uio_pci_generic. */
  uioEdu: PciDeviceInfo;
  /** Its UIO device. */
  uio: UioDeviceInfo;
  /** A second edu, not bound to any driver. */
  freeEdu: PciDeviceInfo | undefined;
}

export function findEduHardware(): EduHardware {
  const edus = listPciDevices().filter((d) => d.vendor === EDU_VENDOR && d.device === EDU_DEVICE);
  if (edus.length === 0) {
    throw new Error(
      'HARDWARE TEST CANNOT RUN HERE: no QEMU edu PCI device (1234:11e8). Run the hardware suite in the guest: npm run test:vm',
    );
  }
  const uioEdu = edus.find((d) => d.driver === 'uio_pci_generic');
  const uio = listUioDevices().find((u) => u.pciAddress === uioEdu?.bdf);
  if (uioEdu === undefined || uio === undefined) {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: no edu bound to uio_pci_generic (boot the guest with test/vm/run.sh --uio)');
  }
  return { uioEdu, uio, freeEdu: edus.find((d) => d.driver === undefined) };
}
