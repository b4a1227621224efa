/**
 * VFIO interrupts from the real edu (guest booted with --iommu): INTx with its automatic mask, MSI, the
 * DMA-done interrupt, mode changes, timeouts and aborts, the REQ notification on an unbind, and a process that
 * ends with DMA and interrupts live.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMA_BIT_MASK, dma_alloc_coherent, dma_set_mask, pci_clear_master, pci_set_master, type IoRegion, type VfioDevice } from '../../lib/index.js';
import { EDU_ID } from './edu-hw.js';
import { EDU_DMA_BUF, eduDma, findVfioEdu, openVfioEdu } from './vfio-hw.js';

const IRQ_STATUS = 0x24;
const IRQ_RAISE = 0x60;
const IRQ_ACK = 0x64;

let dev: VfioDevice;
let bar: IoRegion;
beforeAll(() => {
  ({ dev, bar } = openVfioEdu());
});
afterAll(() => dev?.close());

describe('VFIO INTx', () => {
  it('100 round trips: raise, await, acknowledge, unmask; counts advance by one, none missed', async () => {
    const [intx] = dev.enableIrqs('intx');
    expect(dev.irqMode).toBe('intx');
    for (let i = 0; i < 100; i++) {
      const bit = 1 << (i % 16);
      bar.writel(bit, IRQ_RAISE);
      const ev = await intx.wait({ timeoutMs: 5000 });
      expect(ev).toEqual({ count: i + 1, missed: 0 });
      expect(bar.readl(IRQ_STATUS)).toBe(bit);
      bar.writel(bit, IRQ_ACK);
      intx.unmask();
    }
    expect(intx.count).toBe(100);
  });

  it('the line stays masked after an interrupt until unmask(): a second raise arrives only then', async () => {
    const intx = dev.irq; // the INTx source, as a UIO-style driver asks for it
    bar.writel(1, IRQ_RAISE);
    await intx.wait({ timeoutMs: 5000 });
    bar.writel(1, IRQ_ACK); // acknowledged, but the line is still masked by VFIO
    bar.writel(2, IRQ_RAISE);
    await expect(intx.wait({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    intx.unmask();
    await intx.wait({ timeoutMs: 5000 });
    bar.writel(2, IRQ_ACK);
    intx.unmask();
  });

  it('mask() holds an interrupt until unmask()', async () => {
    const intx = dev.irq;
    intx.mask();
    bar.writel(4, IRQ_RAISE);
    await expect(intx.wait({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    intx.unmask();
    await intx.wait({ timeoutMs: 5000 });
    bar.writel(4, IRQ_ACK);
    intx.unmask();
  });

  it('waits can be aborted and time out; a second concurrent wait is refused', async () => {
    const intx = dev.irq;
    const ac = new AbortController();
    const p = intx.wait({ signal: ac.signal });
    await expect(intx.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_WAIT_PENDING' });
    ac.abort();
    await expect(p).rejects.toMatchObject({ code: 'ABORT_ERR' });
    await expect(intx.wait({ timeoutMs: 50 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(intx.wait({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });
});

describe('VFIO MSI', () => {
  it('without bus mastering an MSI never arrives (it is a DMA write), and the timeout says so', async () => {
    pci_clear_master(dev);
    const [msi] = dev.enableIrqs('msi');
    bar.writel(0x200, IRQ_RAISE);
    await expect(msi.wait({ timeoutMs: 300 })).rejects.toMatchObject({ code: 'ETIMEDOUT', hint: expect.stringMatching(/pci_set_master/) });
    bar.writel(0x200, IRQ_ACK);
    dev.enableIrqs('none');
    pci_set_master(dev);
  });

  it('switching to MSI tears INTx down first (its pending wait ends with ERR_IRQ_CLOSED); 50 MSI round trips, no unmask needed', async () => {
    pci_set_master(dev); // MSI is a memory write by the device
    const intx = dev.irq;
    const pending = intx.wait();
    const [msi] = dev.enableIrqs('msi');
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
    expect(intx.closed).toBe(true);
    expect(dev.irqMode).toBe('msi');
    for (let i = 0; i < 50; i++) {
      bar.writel(0x100, IRQ_RAISE);
      const ev = await msi.wait({ timeoutMs: 5000 });
      expect(ev.count).toBe(i + 1);
      bar.writel(0x100, IRQ_ACK);
    }
    expect(() => msi.mask()).toThrow(expect.objectContaining({ code: 'ENOTSUP' }));
  });

  it('async iteration over MSI events, ended by closing the mode', async () => {
    const [msi] = dev.enableIrqs('msi');
    const seen: number[] = [];
    const loop = (async () => {
      for await (const ev of msi) {
        seen.push(ev.count);
        bar.writel(1, IRQ_ACK);
        if (seen.length < 3) bar.writel(1, IRQ_RAISE);
      }
    })();
    bar.writel(1, IRQ_RAISE);
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 5));
    dev.enableIrqs('none');
    await loop;
    expect(seen).toEqual([1, 2, 3]);
  });

  it("edu's DMA-done interrupt (cmd bit 2, status 0x100) arrives by MSI and the data is there", async () => {
    pci_set_master(dev);
    dma_set_mask(dev, DMA_BIT_MASK(28));
    const a = dma_alloc_coherent(dev, 4096);
    const b = dma_alloc_coherent(dev, 4096);
    a.cpu.set(Uint8Array.from({ length: 512 }, (_, i) => (i * 13) & 0xff));
    const [msi] = dev.enableIrqs('msi');
    await eduDma(bar, a.dma_handle, EDU_DMA_BUF, 512, false, true);
    await msi.wait({ timeoutMs: 5000 });
    expect(bar.readl(IRQ_STATUS) & 0x100).toBe(0x100);
    bar.writel(0x100, IRQ_ACK);
    await eduDma(bar, EDU_DMA_BUF, b.dma_handle, 512, true, true);
    await msi.wait({ timeoutMs: 5000 });
    bar.writel(0x100, IRQ_ACK);
    expect(Buffer.from(b.cpu.subarray(0, 512)).equals(Buffer.from(a.cpu.subarray(0, 512)))).toBe(true);
  });

  it("busyPollUs: edu's factorial interrupt, raised by QEMU's own thread after the write returned, is awaited", async () => {
    pci_set_master(dev);
    const [msi] = dev.enableIrqs('msi');
    bar.writel(0x80, 0x20); // status: raise 0x1 when a factorial is done
    try {
      for (let i = 1; i <= 20; i++) {
        const done = msi.wait({ timeoutMs: 5000, busyPollUs: 2000 });
        bar.writel(10, 0x08); // 10! = 3628800
        expect(await done).toEqual({ count: i, missed: 0 });
        expect(bar.readl(0x08)).toBe(3628800);
        expect(bar.readl(IRQ_STATUS) & 1).toBe(1);
        bar.writel(1, IRQ_ACK);
      }
    } finally {
      bar.writel(0, 0x20);
    }
  });

  it('edu has no MSI-X: asking for it is refused naming what the device has', () => {
    expect(() => dev.enableIrqs('msix', 1)).toThrow(/MSI-X 0/);
    expect(() => dev.enableIrqs('msi', 2)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(dev.irqMode).toBe('none'); // the old mode was torn down before the refusal
  });
});

describe('VFIO: the kernel wants the device back (REQ), and processes that end with everything live', () => {
  it('an unbind signals the REQ notifier; the unbind completes once the device is closed', async () => {
    const req = dev.requestNotifier();
    const bdf = findVfioEdu().bdf;
    const unbind = spawn('sh', ['-c', `echo ${bdf} > /sys/bus/pci/drivers/vfio-pci/unbind`]);
    const done = new Promise<number | null>((r) => unbind.on('exit', r));
    const ev = await req.wait({ timeoutMs: 10_000 });
    expect(ev.count).toBeGreaterThanOrEqual(1);
    dev.close();
    expect(await done).toBe(0);
    // bind it back for the tests that follow
    writeFileSync('/sys/bus/pci/drivers_probe', bdf);
    expect(findVfioEdu().bdf).toBe(bdf);
    ({ dev, bar } = openVfioEdu());
    expect(bar.readl(0)).toBe(EDU_ID);
    pci_set_master(dev);
  }, 30_000);

  for (const how of ['exit', 'throw', 'kill']) {
    it(`a process that ends by ${how} with DMA buffers, MSI and a DMA in flight leaves the device reusable`, async () => {
      dev.close();
      const child = fileURLToPath(new URL('../fixtures/vfio-exit-live.mjs', import.meta.url));
      const r = spawnSync(process.execPath, [child, how], { encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout).toContain('live 8 buffers, mode msi');
      if (how === 'exit') expect(r.status).toBe(0);
      else expect(r.status === 0).toBe(false);
      ({ dev, bar } = openVfioEdu());
      pci_set_master(dev);
      dma_set_mask(dev, DMA_BIT_MASK(28));
      // the DMA the child started finishes on the device (moving nothing: VFIO turned bus mastering off at release)
      await bar.readl_poll_timeout(0x98, (v) => (v & 1) === 0, 1000, 5_000_000);
      bar.writel(bar.readl(IRQ_STATUS), IRQ_ACK);
      const a = dma_alloc_coherent(dev, 4096);
      const b = dma_alloc_coherent(dev, 4096);
      a.cpu.fill(0x3c);
      await eduDma(bar, a.dma_handle, EDU_DMA_BUF, 100, false);
      await eduDma(bar, EDU_DMA_BUF, b.dma_handle, 100, true);
      expect(b.cpu.subarray(0, 100).every((v) => v === 0x3c)).toBe(true);
      const [msi] = dev.enableIrqs('msi');
      bar.writel(8, IRQ_RAISE);
      await msi.wait({ timeoutMs: 5000 });
      bar.writel(8, IRQ_ACK);
    }, 60_000);
  }
});
