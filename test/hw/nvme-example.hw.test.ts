/**
 * The NVMe example driver (examples/nvme) on QEMU's NVMe controller through vfio-pci (guest booted with --iommu
 * --nvme: npm run test:vm), once with completions by phase-bit polling and once by MSI-X interrupt; the suite is
 * test/hw/nvme-hw.ts. After the guest powers off, test/vm/run.sh checks the image on the host.
 */
import { openVfio } from '../../lib/index.js';
import { msixCount, nvmeExampleSuite, nvmeRigOrThrow } from './nvme-hw.js';

const rig = () => nvmeRigOrThrow('MMIO_VM_NVME_VFIO', 'npm run test:vm (test/vm/run.sh --iommu --nvme)');
for (const mode of ['poll', 'interrupt'] as const) {
  nvmeExampleSuite({ title: 'NVMe example driver on VFIO', rig, open: (bdf) => openVfio(bdf), mode, interruptsOf: msixCount });
}
