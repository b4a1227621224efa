/**
 * QEMU's NVMe controller through VFIO (guest booted with --iommu --nvme): a device with a reset, a BAR whose region
 * info carries capabilities, and MSI-X — driven through a real protocol: an admin queue pair in DMA memory, an
 * Identify Controller command, its completion signalled on MSI-X vector 0, the data read back by DMA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dma_alloc_coherent, dma_set_mask, DMA_BIT_MASK, openVfio, pci_set_master, type DmaCoherent, type IoRegion, type VfioDevice } from '../../lib/index.js';

// NVMe 1.4 controller registers (BAR0)
const CAP = 0x00;
const VS = 0x08;
const CC = 0x14;
const CSTS = 0x1c;
const AQA = 0x24;
const ASQ = 0x28;
const ACQ = 0x30;
const SQ0TDBL = 0x1000;
const CC_ENABLE = 1 | (6 << 16) | (4 << 20); // EN, IOSQES 2^6 = 64 bytes, IOCQES 2^4 = 16 bytes, 4 KiB pages
const QUEUE_ENTRIES = 16;

let dev: VfioDevice;
let bar: IoRegion;

function nvmeBdf(): string {
  const bdf = process.env.MMIO_VM_NVME_VFIO;
  if (!bdf) {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: no NVMe controller bound to vfio-pci. Run the hardware suite in the guest: npm run test:vm (test/vm/run.sh --iommu --nvme)');
  }
  return bdf.split(' ')[0];
}

beforeAll(() => {
  dev = openVfio(nvmeBdf());
  bar = dev.map(0);
});
afterAll(() => dev?.close());

async function waitReady(ready: 0 | 1): Promise<void> {
  await bar.readl_poll_timeout(CSTS, (v) => (v & 1) === ready, 1000, 5_000_000);
}

describe('VFIO: QEMU NVMe controller', () => {
  it('reports a reset, 65 MSI-X vectors, no MSI, a 16 KiB BAR0 with capabilities, 4 KiB PCIe config space', () => {
    expect(dev.info.canReset).toBe(true);
    expect(dev.info.irqCounts).toMatchObject({ intx: 1, msi: 0, msix: 65 });
    const r0 = dev.regionInfo(0);
    expect(r0.size).toBe(0x4000n);
    expect(r0.flags & 0xf).toBe(0xf); // READ | WRITE | MMAP | CAPS
    expect(dev.configSize).toBe(4096);
    // what the capability chain allowed: the whole BAR (MSI-X mappable) or the sparse areas around the table
    const access = dev.mapRegion(0);
    expect(['mmap', 'sparse']).toContain(access.access);
    if (r0.sparse !== null) expect(access.access).toBe('sparse');
    access.region.iounmap();
  });

  it('reads CAP and VS through the BAR (MQES 2047, version 1.4.0) and survives a reset', () => {
    expect(bar.readq(CAP) & 0xffffn).toBe(2047n);
    expect(bar.readl(VS)).toBe(0x10400);
    dev.reset();
    expect(bar.readl(VS)).toBe(0x10400);
  });

  it('MSI-X: one source per vector; each is wired to its own eventfd (kernel-side trigger)', async () => {
    const vectors = dev.enableIrqs('msix', 8);
    expect(vectors.map((v) => v.path)).toEqual(vectors.map((_, i) => `vfio:${nvmeBdf()}:msix${i}`));
    vectors[5].trigger();
    expect(await vectors[5].wait({ timeoutMs: 2000 })).toEqual({ count: 1, missed: 0 });
    await expect(vectors[4].wait({ timeoutMs: 100 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(() => dev.enableIrqs('msix', 66)).toThrow(/MSI-X 65/);
  });

  it('Identify Controller over an admin queue in DMA memory: completion by MSI-X vector 0, data by DMA', async () => {
    pci_set_master(dev);
    dma_set_mask(dev, DMA_BIT_MASK(64));
    const [vector0] = dev.enableIrqs('msix', 2);
    const sq: DmaCoherent = dma_alloc_coherent(dev, 4096);
    const cq: DmaCoherent = dma_alloc_coherent(dev, 4096);
    const data: DmaCoherent = dma_alloc_coherent(dev, 4096);
    bar.writel(0, CC);
    await waitReady(0);
    bar.writel(((QUEUE_ENTRIES - 1) << 16) | (QUEUE_ENTRIES - 1), AQA);
    bar.writeq(sq.dma_handle, ASQ);
    bar.writeq(cq.dma_handle, ACQ);
    bar.writel(CC_ENABLE, CC);
    await waitReady(1);
    // submission queue entry 0: Identify (opcode 0x06), command id 0x2a, PRP1 = data, CDW10 CNS = 1 (controller)
    const sqe = new DataView(sq.cpu.buffer, sq.cpu.byteOffset, 64);
    sqe.setUint32(0, 0x06 | (0x2a << 16), true);
    sqe.setBigUint64(24, data.dma_handle, true);
    sqe.setUint32(40, 1, true);
    bar.writel(1, SQ0TDBL); // tail = 1
    const ev = await vector0.wait({ timeoutMs: 5000 });
    expect(ev.count).toBe(1);
    const cqe = new DataView(cq.cpu.buffer, cq.cpu.byteOffset, 16);
    const dw3 = cqe.getUint32(12, true);
    expect(dw3 & 0xffff).toBe(0x2a); // command id
    expect((dw3 >>> 16) & 1).toBe(1); // phase tag of the first pass
    expect(dw3 >>> 17).toBe(0); // status: success
    bar.writel(1, SQ0TDBL + 4); // CQ0 head doorbell (DSTRD 0)
    const text = (from: number, to: number) => Buffer.from(data.cpu.subarray(from, to)).toString('latin1').trim();
    expect(new DataView(data.cpu.buffer).getUint16(0, true)).toBe(0x1b36); // PCI vendor: Red Hat (QEMU)
    expect(text(4, 24)).toBe('a1'); // the serial number given on the QEMU line
    expect(text(24, 64)).toBe('QEMU NVMe Ctrl');
    bar.writel(0, CC);
    await waitReady(0);
  });
});
