/**
 * The NVMe example driver without an IOMMU (guest booted without --iommu, with --uio --nvme: npm run test:vm:nommu):
 * the controller on uio_pci_generic, BAR0 through sysfs resource0, DMA to pinned memory at its physical address
 * (examples/nvme/nommu-device.ts), completions by polling. The suite is test/hw/nvme-hw.ts; after the guest powers
 * off, test/vm/run.sh checks the image on the host.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { openNvmeNoIommu } from '../../examples/nvme/nommu-device.js';
import { nvmeExampleSuite, nvmeRigOrThrow } from '../hw/nvme-hw.js';

const rig = () => {
  const r = nvmeRigOrThrow('MMIO_VM_NVME_UIO', 'npm run test:vm:nommu (test/vm/run.sh --uio --nvme, no --iommu)');
  // A transfer over a page is one 2 MiB huge page (physically contiguous) on this path, and the driver keeps each
  // queue slot's buffer: 4 multi-page reads in flight (the sequential ones and the 16-block write reuse slots) need
  // 4 to 8. Reserved at boot (npm run test:vm:nommu passes --hugepages 8): by now the 256 MiB are too fragmented.
  writeFileSync('/proc/sys/vm/nr_hugepages', String(HUGE_PAGES));
  const got = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
  if (got < HUGE_PAGES) throw new Error(`the guest has only ${got} of ${HUGE_PAGES} 2 MiB huge pages: boot it with test/vm/run.sh --hugepages ${HUGE_PAGES} (npm run test:vm:nommu does)`);
  return r;
};
const HUGE_PAGES = 8;
nvmeExampleSuite({ title: 'NVMe example driver without an IOMMU (uio_pci_generic + physical DMA)', rig, open: (bdf) => openNvmeNoIommu(bdf), mode: 'poll', multiPageInFlight: 4 });
