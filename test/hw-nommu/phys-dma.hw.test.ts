/**
 * DMA without an IOMMU (guest booted with `test/vm/run.sh --uio` and no --iommu: npm run test:vm:nommu): the
 * edu bound to uio_pci_generic does DMA to pinned memory at its physical address (pagemap), bus mastering through
 * sysfs config; 4 KiB pages and a 2 MiB huge page; refused for a non-root user.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DMA_BIT_MASK,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_set_mask,
  openPhysDma,
  openUio,
  pci_clear_master,
  pci_read_config_word,
  pci_set_master,
  type IoRegion,
  type PhysDmaDevice,
  type UioDevice,
} from '../../lib/index.js';
import { findEduHardware } from '../hw/edu-hw.js';
import { eduDma, EDU_DMA_BUF } from '../hw/vfio-hw.js';

let dev: PhysDmaDevice;
let uio: UioDevice;
let bar: IoRegion;

beforeAll(() => {
  const hw = findEduHardware();
  if (process.env.MMIO_VM === undefined || process.env.MMIO_VM_EDU_VFIO) {
    throw new Error('HARDWARE TEST CANNOT RUN HERE: DMA without an IOMMU needs the guest booted without --iommu: npm run test:vm:nommu');
  }
  writeFileSync('/proc/sys/vm/nr_hugepages', '8');
  dev = openPhysDma(hw.uioEdu.bdf);
  uio = openUio(hw.uio.number);
  bar = uio.map(0);
  pci_set_master(dev);
  dma_set_mask(dev, DMA_BIT_MASK(28));
});
afterAll(() => {
  dev?.close();
  uio?.close();
});

describe('DMA to physical addresses, no IOMMU (uio_pci_generic)', () => {
  it('bus mastering through sysfs config', () => {
    expect(pci_read_config_word(dev, 0)).toBe(0x1234);
    expect(pci_read_config_word(dev, 4) & 4).toBe(4);
  });

  it('round trips in 4 KiB pages below the 28-bit mask, sizes 1..4095', async () => {
    const a = dma_alloc_coherent(dev, 4096);
    const b = dma_alloc_coherent(dev, 4096);
    try {
      expect(a.dma_handle % 4096n).toBe(0n);
      expect(a.dma_handle + 4095n).toBeLessThanOrEqual(DMA_BIT_MASK(28));
      for (const n of [1, 2, 63, 64, 65, 1000, 4095]) {
        for (let i = 0; i < n; i++) a.cpu[i] = (i * 11 + n) & 0xff;
        b.cpu.fill(0xa5);
        await eduDma(bar, a.dma_handle, EDU_DMA_BUF, n, false);
        await eduDma(bar, EDU_DMA_BUF, b.dma_handle, n, true);
        expect(Buffer.from(b.cpu.subarray(0, n)).equals(Buffer.from(a.cpu.subarray(0, n))), `size ${n}`).toBe(true);
        expect(b.cpu.subarray(n).every((v) => v === 0xa5)).toBe(true);
      }
    } finally {
      dma_free_coherent(dev, a);
      dma_free_coherent(dev, b);
    }
  }, 60_000);

  it('a buffer larger than a page is one 2 MiB huge page (physically contiguous): DMA at its far end', async () => {
    const big = dma_alloc_coherent(dev, 1 << 20);
    const a = dma_alloc_coherent(dev, 4096);
    try {
      a.cpu.fill(0x6b);
      const at = (1 << 20) - 4096;
      await eduDma(bar, a.dma_handle, EDU_DMA_BUF, 4000, false);
      await eduDma(bar, EDU_DMA_BUF, big.dma_handle + BigInt(at), 4000, true);
      expect(big.cpu.subarray(at, at + 4000).every((v) => v === 0x6b)).toBe(true);
      expect(() => dma_alloc_coherent(dev, (2 << 20) + 1)).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
    } finally {
      dma_free_coherent(dev, big);
      dma_free_coherent(dev, a);
    }
  }, 60_000);

  it('bus mastering off: nothing moves', async () => {
    const a = dma_alloc_coherent(dev, 4096);
    const b = dma_alloc_coherent(dev, 4096);
    try {
      a.cpu.fill(1);
      pci_clear_master(dev);
      await eduDma(bar, a.dma_handle, EDU_DMA_BUF, 64, false);
      await eduDma(bar, EDU_DMA_BUF, b.dma_handle, 64, true);
      expect(b.cpu.every((v) => v === 0)).toBe(true);
    } finally {
      pci_set_master(dev);
      dma_free_coherent(dev, a);
      dma_free_coherent(dev, b);
    }
  });

  it('a user who is not root is refused with EPERM and the hint', () => {
    const lib = new URL('../../dist/lib/index.js', import.meta.url).href;
    const script = `const m = await import(${JSON.stringify(lib)}); try { m.openPhysDma(${JSON.stringify(dev.info.bdf)}); console.log('{}'); } catch (e) { console.log(JSON.stringify({ code: e.code, hint: e.hint })); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { uid: 65534, gid: 65534, encoding: 'utf8' });
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'EPERM', hint: expect.stringMatching(/root/) });
  });
});
