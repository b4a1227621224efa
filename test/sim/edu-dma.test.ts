/**
 * The simulated edu's DMA engine on the simulated IOMMU: the same facts the VFIO hardware suite proves on the real
 * edu (test/hw/vfio-dma.hw.test.ts), so a driver's DMA bugs fail in CI.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSimEdu,
  DMA_BIT_MASK,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_set_mask,
  pci_clear_master,
  pci_read_config_word,
  pci_set_master,
  PCI_COMMAND,
  type SimEdu,
} from '../../lib/index.js';

let edu: SimEdu;
afterEach(() => edu?.close());

async function dma(src: bigint, dst: bigint, count: number, cmd: number): Promise<void> {
  const r = edu.regs;
  r.writeq(src, 0x80);
  r.writeq(dst, 0x88);
  r.writeq(BigInt(count), 0x90);
  r.writeq(BigInt(cmd), 0x98);
  await r.readl_poll_timeout(0x98, (v) => (v & 1) === 0, 100, 1_000_000);
}

function setup() {
  edu = createSimEdu({ dmaDelayMs: 1 });
  pci_set_master(edu);
  dma_set_mask(edu, DMA_BIT_MASK(28));
  return { a: dma_alloc_coherent(edu, 4096), b: dma_alloc_coherent(edu, 4096) };
}

describe('sim edu: DMA engine behind the simulated IOMMU', () => {
  it('config space starts as VFIO shows edu: command 0x0103, bus mastering off', () => {
    edu = createSimEdu();
    expect(pci_read_config_word(edu, 0)).toBe(0x1234);
    expect(pci_read_config_word(edu, 2)).toBe(0x11e8);
    expect(pci_read_config_word(edu, PCI_COMMAND)).toBe(0x0103);
  });

  it('round trips RAM -> edu -> RAM for sizes 1..4095; nothing beyond the count is touched', async () => {
    const { a, b } = setup();
    for (const n of [1, 2, 3, 7, 8, 64, 255, 1000, 4095]) {
      a.cpu.forEach((_, i) => (a.cpu[i] = (i * 31 + n) & 0xff));
      b.cpu.fill(0xa5);
      await dma(a.dma_handle, 0x40000n, n, 1);
      await dma(0x40000n, b.dma_handle, n, 3);
      expect(Buffer.from(b.cpu.subarray(0, n)).equals(Buffer.from(a.cpu.subarray(0, n))), `size ${n}`).toBe(true);
      expect(b.cpu.subarray(n).every((v) => v === 0xa5)).toBe(true);
    }
    expect(edu.iommu.faults).toEqual([]);
  });

  it('the registers: 32- and 64-bit accesses, 8-bit reads 0, ignored while running', async () => {
    edu = createSimEdu({ dmaDelayMs: 5 });
    edu.regs.writel(0x1234, 0x80);
    expect(edu.regs.readq(0x80)).toBe(0x1234n);
    expect(edu.regs.readb(0x80)).toBe(0);
    edu.regs.writeq(0x40000n, 0x80);
    edu.regs.writeq(1n, 0x90);
    edu.regs.writeq(3n, 0x98);
    edu.regs.writeq(0x999n, 0x80); // ignored: running
    expect(edu.regs.readq(0x80)).toBe(0x40000n);
    expect(edu.regs.readl(0x84)).toBe(0xffff_ffff);
  });

  it('bus mastering off: the DMA completes, nothing moves, the IOMMU log shows why', async () => {
    const { a, b } = setup();
    a.cpu.fill(7);
    pci_clear_master(edu);
    await dma(a.dma_handle, 0x40000n, 16, 1);
    await dma(0x40000n, b.dma_handle, 16, 3);
    expect(b.cpu.every((v) => v === 0)).toBe(true);
    expect(edu.iommu.faults.map((f) => f.fault?.reason)).toEqual(['bus-master-off', 'bus-master-off']);
  });

  it('the 28-bit mask: a DMA to X + 2^28 lands at X', async () => {
    const { a, b } = setup();
    a.cpu.fill(9);
    await dma(a.dma_handle, 0x40000n, 32, 1);
    await dma(0x40000n, b.dma_handle + (1n << 28n), 32, 3);
    expect(b.cpu.subarray(0, 32).every((v) => v === 9)).toBe(true);
  });

  it('an unmapped bus address: reads give zeros, writes are dropped, both logged as faults', async () => {
    const { a, b } = setup();
    b.cpu.fill(1);
    await dma(0x0ff0_0000n, 0x40000n, 16, 1); // read from nowhere: the buffer gets zeros
    await dma(0x40000n, b.dma_handle, 16, 3);
    expect(b.cpu.subarray(0, 16).every((v) => v === 0)).toBe(true);
    await dma(0x40000n, 0x0ff0_0000n, 16, 3);
    expect(edu.iommu.faults).toEqual([
      { op: 'fault', iova: 0x0ff0_0000n, size: 16, fault: { access: 'read', reason: 'unmapped' } },
      { op: 'fault', iova: 0x0ff0_0000n, size: 16, fault: { access: 'write', reason: 'unmapped' } },
    ]);
    // a freed buffer is unmapped: a late DMA to it faults
    dma_free_coherent(edu, a);
    await dma(0x40000n, a.dma_handle, 8, 3);
    expect(edu.iommu.faults.at(-1)).toMatchObject({ iova: a.dma_handle, fault: { access: 'write', reason: 'unmapped' } });
  });

  it('out of bounds (4096 bytes, count 0) moves nothing and is logged where QEMU 7.2 would abort', async () => {
    const { a } = setup();
    await dma(a.dma_handle, 0x40000n, 4096, 1);
    await dma(a.dma_handle, 0x40000n, 0, 1);
    expect(edu.dmaEngine.errors.map((e) => e.count)).toEqual([4096n, 0n]);
  });

  it('the DMA-done interrupt: status bit 8 and the line', async () => {
    const { a } = setup();
    edu.irq.unmask();
    edu.regs.writeq(a.dma_handle, 0x80);
    edu.regs.writeq(0x40000n, 0x88);
    edu.regs.writeq(8n, 0x90);
    edu.regs.writeq(1n | 4n, 0x98);
    await edu.irq.wait({ timeoutMs: 1000 });
    expect(edu.regs.readl(0x24)).toBe(0x100);
  });

  it('the allocator honours the mask and the trace records allocations without payloads', () => {
    edu = createSimEdu();
    dma_set_mask(edu, DMA_BIT_MASK(12));
    expect(() => dma_alloc_coherent(edu, 1)).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
    dma_set_mask(edu, DMA_BIT_MASK(32));
    const x = dma_alloc_coherent(edu, 10);
    expect(x.cpu.byteLength).toBe(10);
    expect(edu.iommu.trace).toEqual([{ op: 'alloc', iova: x.dma_handle, size: 10 }]);
  });
});
