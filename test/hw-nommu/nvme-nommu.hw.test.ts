/**
 * The NVMe example driver without an IOMMU (guest booted without --iommu, with --uio --nvme: npm run test:vm:nommu):
 * the controller on uio_pci_generic, BAR0 through sysfs resource0, DMA to pinned memory at its physical address
 * (examples/nvme/nommu-device.ts), completions by polling. The suite is test/hw/nvme-hw.ts; after the guest powers
 * off, test/vm/run.sh checks the image on the host.
 */
import { writeFileSync } from 'node:fs';
import { openNvmeNoIommu } from '../../examples/nvme/nommu-device.js';
import { nvmeExampleSuite, nvmeRigOrThrow } from '../hw/nvme-hw.js';

const rig = () => {
  const r = nvmeRigOrThrow('MMIO_VM_NVME_UIO', 'npm run test:vm:nommu (test/vm/run.sh --uio --nvme, no --iommu)');
  // transfers over a page are one 2 MiB huge page each (physically contiguous) on this path
  writeFileSync('/proc/sys/vm/nr_hugepages', '40');
  return r;
};
nvmeExampleSuite({ title: 'NVMe example driver without an IOMMU (uio_pci_generic + physical DMA)', rig, open: (bdf) => openNvmeNoIommu(bdf), mode: 'poll' });
