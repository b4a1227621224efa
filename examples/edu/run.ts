/**
 * `npm start`: run the edu demo and print what the driver did and its access trace.
 *
 *   node dist/examples/edu/run.js                      the simulated edu (default)
 *   node dist/examples/edu/run.js --backend uio        a real edu bound to uio_pci_generic, BAR0 through UIO map0
 *   node dist/examples/edu/run.js --backend resource   the same edu, BAR0 through sysfs resource0
 *   node dist/examples/edu/run.js --backend devmem     the same edu, BAR0 through /dev/mem at its physical address
 *   node dist/examples/edu/run.js --backend vfio       an edu bound to vfio-pci: BAR0, MSI-less INTx and a DMA round
 *                                                       trip through the IOMMU (the simulated edu does the DMA too)
 *   node dist/examples/edu/run.js --backend physdma    the edu on uio_pci_generic with DMA to physical addresses,
 *                                                       on a machine WITHOUT an IOMMU (root; unsafe: docs/vfio.md)
 *   --no-dma                                            skip the DMA round trip (sim, vfio, physdma)
 *
 * The real backends take interrupts from the edu's UIO device in every case (bind it first:
 * `echo 1234 11e8 > /sys/bus/pci/drivers/uio_pci_generic/new_id`; see the README).
 * @module
 */
import { parseArgs } from 'node:util';
import {
  createSimEdu,
  ioremap,
  listPciDevices,
  listUioDevices,
  openPci,
  openUio,
  openPhysDma,
  openVfio,
  type DmaDevice,
  type PhysDmaDevice,
  type InterruptSource,
  type IoRegion,
  type PciConfigSpace,
} from '../../lib/index.js';
import { formatEduDemo, runEduDemo } from './demo.js';

/** An opened edu: its BAR0, its interrupt source, and how to release both. */
export interface EduBackend {
  /** BAR0 of the edu, 1 MiB (or at least its first 0x1000 bytes). */
  regs: IoRegion;
  /** The edu's interrupt. */
  irq: InterruptSource;
  /** The device for DMA and config space, where the backend has one (sim, vfio). */
  dev?: DmaDevice & PciConfigSpace;
  /** Unmap `regs` and close `irq`. */
  close(): void;
}

/** The backends {@link openEduBackend} knows. */
export const EDU_BACKENDS = ['sim', 'uio', 'resource', 'devmem', 'vfio', 'physdma'] as const;
/** One of {@link EDU_BACKENDS}. */
export type EduBackendName = (typeof EDU_BACKENDS)[number];

/** The first edu (PCI 1234:11e8) bound to uio_pci_generic, with its UIO device open. */
function openRealEdu() {
  const info = listUioDevices().find((u) => u.name === 'uio_pci_generic' && u.pciAddress !== undefined);
  if (info === undefined) {
    throw new Error('no edu bound to uio_pci_generic: load uio_pci_generic and write "1234 11e8" to its new_id (README)');
  }
  const uio = openUio(info.number);
  const pci = openPci(info.pciAddress as string);
  return { uio, pci };
}

/**
 * Open the edu to run on.
 * @throws Error when a real backend is asked for and no edu is bound to uio_pci_generic; the backends' own
 *   errors (`EACCES`, `EPERM`, `ENOENT`).
 */
export function openEduBackend(name: EduBackendName = 'sim'): EduBackend {
  if (name === 'sim') {
    const sim = createSimEdu();
    return { regs: sim.regs, irq: sim.irq, dev: sim, close: () => sim.close() };
  }
  if (name === 'vfio') {
    const edu = listPciDevices().find((d) => d.vendor === 0x1234 && d.device === 0x11e8 && d.driver === 'vfio-pci');
    if (edu === undefined) throw new Error('no edu bound to vfio-pci: bind one (docs/vfio.md) on a machine with an IOMMU');
    const dev = openVfio(edu.bdf);
    try {
      return { regs: dev.map(0), irq: dev.irq, dev, close: () => dev.close() };
    } catch (e) {
      dev.close();
      throw e;
    }
  }
  const { uio, pci } = openRealEdu();
  // physdma: the UIO map for the registers, DMA to physical addresses; the others: registers only.
  let dev: PhysDmaDevice | undefined;
  try {
    dev = name === 'physdma' ? openPhysDma(pci.info.bdf) : undefined;
    const regs =
      name === 'uio' || name === 'physdma'
        ? uio.map(0)
        : name === 'resource'
          ? pci.map(0, { size: 0x1000 })
          : ioremap(pci.bar(0).start, 0x1000);
    const held = dev;
    return {
      regs,
      irq: uio.irq,
      ...(held === undefined ? {} : { dev: held }),
      close: () => {
        regs.iounmap();
        held?.close();
        pci.close();
        uio.close();
      },
    };
  } catch (e) {
    dev?.close();
    pci.close();
    uio.close();
    throw e;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string', short: 'b', default: 'sim' }, 'no-dma': { type: 'boolean', default: false } } });
  const backend = values.backend as EduBackendName;
  if (!EDU_BACKENDS.includes(backend)) {
    throw new Error(`--backend must be one of ${EDU_BACKENDS.join(', ')}; got ${backend}`);
  }
  const edu = openEduBackend(backend);
  try {
    console.log(formatEduDemo(await runEduDemo(edu.regs, edu.irq, values['no-dma'] ? undefined : edu.dev)));
  } finally {
    edu.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `${(error as { code?: string }).code ?? 'Error'}: ${error.message}` : error);
  process.exitCode = 1;
});
