import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDU_REG_IRQ_ACK, EDU_REG_IRQ_RAISE, EDU_REG_IRQ_STATUS } from '../../examples/edu/driver.js';
import { openUio, type IoRegion, type UioDevice } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

let uio: UioDevice;

/** Wait until the kernel's interrupt count for the device (sysfs `event`) reaches `count`. */
async function untilEventCount(count: number): Promise<void> {
  const deadline = Date.now() + 5000;
  while (Number(readFileSync(`${uio.info.sysfsPath}/event`, 'utf8')) < count) {
    if (Date.now() > deadline) throw new Error(`interrupt count did not reach ${count}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
let regs: IoRegion;
beforeAll(() => {
  uio = openUio(findEduHardware().uio.number);
  regs = uio.map(0);
});
afterAll(() => uio?.close());

describe('UIO interrupts from the real edu (uio_pci_generic)', () => {
  it('finds the device by name and lists its map', () => {
    const byName = openUio('uio_pci_generic');
    try {
      expect(byName.info.maps[0]).toMatchObject({ index: 0, size: 0x100000, offset: 0 });
      expect(byName.info.maps[0].addr).toBe(uio.info.maps[0].addr);
    } finally {
      byName.close();
    }
  });

  it('100 round trips: raise, await, read status, acknowledge, unmask; counts advance by one, none lost', async () => {
    uio.irq.unmask();
    let last: number | undefined;
    for (let i = 0; i < 100; i++) {
      const bit = 1 << (i % 16);
      regs.writel(bit, EDU_REG_IRQ_RAISE);
      const event = await uio.irq.wait({ timeoutMs: 5000 });
      const status = regs.readl(EDU_REG_IRQ_STATUS);
      expect(status).toBe(bit);
      regs.writel(status, EDU_REG_IRQ_ACK);
      uio.irq.unmask();
      expect(event.missed).toBe(0);
      if (last !== undefined) expect(event.count).toBe(last + 1);
      last = event.count;
    }
    expect(regs.readl(EDU_REG_IRQ_STATUS)).toBe(0);
  });

  it('reports interrupts it missed between waits', async () => {
    uio.irq.unmask();
    const before = await (async () => {
      regs.writel(1, EDU_REG_IRQ_RAISE);
      const e = await uio.irq.wait({ timeoutMs: 5000 });
      regs.writel(1, EDU_REG_IRQ_ACK);
      uio.irq.unmask();
      return e.count;
    })();
    for (let i = 0; i < 3; i++) {
      regs.writel(2, EDU_REG_IRQ_RAISE);
      // Let each interrupt land (the kernel counts it, then masks INTx until unmasked) before acknowledging it.
      await untilEventCount(before + i + 1);
      regs.writel(2, EDU_REG_IRQ_ACK);
      uio.irq.unmask();
    }
    const event = await uio.irq.wait({ timeoutMs: 5000 });
    expect(event.count).toBe(before + 3);
    expect(event.missed).toBe(2);
  });

  it('a wait times out with ETIMEDOUT, and aborts with ABORT_ERR, without blocking the event loop', async () => {
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    await expect(uio.irq.wait({ timeoutMs: 200 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    clearInterval(ticker);
    expect(ticks).toBeGreaterThan(5);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    await expect(uio.irq.wait({ signal: controller.signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
    // after an abort, a new wait still gets the next interrupt
    uio.irq.unmask();
    regs.writel(4, EDU_REG_IRQ_RAISE);
    await expect(uio.irq.wait({ timeoutMs: 5000 })).resolves.toMatchObject({ missed: 0 });
    regs.writel(4, EDU_REG_IRQ_ACK);
    uio.irq.unmask();
  });

  it('the async iterator yields interrupts', async () => {
    uio.irq.unmask();
    const counts: number[] = [];
    regs.writel(8, EDU_REG_IRQ_RAISE);
    for await (const event of uio.irq) {
      counts.push(event.count);
      regs.writel(regs.readl(EDU_REG_IRQ_STATUS), EDU_REG_IRQ_ACK);
      uio.irq.unmask();
      if (counts.length === 3) break;
      regs.writel(8, EDU_REG_IRQ_RAISE);
    }
    expect(counts[1]).toBe(counts[0] + 1);
    expect(counts[2]).toBe(counts[0] + 2);
  });
});
