import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createSimEdu, SIM_EDU_BAR_SIZE, SIM_EDU_ID, type SimEdu, type SimEduOptions } from '../../lib/sim/index.js';

const ID = 0x00;
const LIVENESS = 0x04;
const FACTORIAL = 0x08;
const STATUS = 0x20;
const IRQ_STATUS = 0x24;
const IRQ_RAISE = 0x60;
const IRQ_ACK = 0x64;

let edu: SimEdu | undefined;
function makeEdu(options: SimEduOptions = {}): SimEdu {
  edu = createSimEdu(options);
  return edu;
}
afterEach(() => edu?.close());

describe('sim edu: identity and BAR', () => {
  it('is a 1 MiB region named sim:edu whose ID reads 0x010000ed', () => {
    const { regs } = makeEdu();
    expect(regs.size).toBe(SIM_EDU_BAR_SIZE);
    expect(regs.size).toBe(1024 * 1024);
    expect(regs.path).toBe('sim:edu');
    expect(regs.readl(ID)).toBe(0x0100_00ed);
    expect(SIM_EDU_ID).toBe(0x0100_00ed);
  });

  it('the ID register is read-only', () => {
    const { regs } = makeEdu();
    regs.writel(0, ID);
    expect(regs.readl(ID)).toBe(0x0100_00ed);
  });
});

describe('sim edu: liveness', () => {
  it('reads back the bitwise NOT of what was written; 0 after reset', () => {
    const { regs } = makeEdu();
    expect(regs.readl(LIVENESS)).toBe(0);
    regs.writel(0x1234_5678, LIVENESS);
    expect(regs.readl(LIVENESS)).toBe(0xedcb_a987);
    regs.writel(0, LIVENESS);
    expect(regs.readl(LIVENESS)).toBe(0xffff_ffff);
  });
});

describe('sim edu: access widths (edu answers 32-bit accesses only below 0x80)', () => {
  it('8- and 16-bit reads return 0', () => {
    const { regs } = makeEdu();
    expect(regs.readb(ID)).toBe(0);
    expect(regs.readb(ID + 1)).toBe(0);
    expect(regs.readw(ID)).toBe(0);
    expect(regs.readw(ID + 2)).toBe(0);
    expect(regs.readb(0x1000)).toBe(0);
  });

  it('8- and 16-bit writes are ignored', () => {
    const { regs } = makeEdu();
    regs.writel(0, LIVENESS); // reads 0xffffffff
    regs.writeb(0x12, LIVENESS);
    regs.writew(0x1234, LIVENESS);
    expect(regs.readl(LIVENESS)).toBe(0xffff_ffff);
    regs.writeb(5, FACTORIAL);
    expect(regs.readl(STATUS)).toBe(0);
  });

  it('64-bit accesses below 0x80 read all ones and are ignored', () => {
    const { regs } = makeEdu();
    expect(regs.readq(ID)).toBe(0xffff_ffff_ffff_ffffn);
    regs.writeq(0n, 0);
    regs.writel(0, LIVENESS);
    regs.writeq(0x1234n, LIVENESS & ~7);
    expect(regs.readl(LIVENESS)).toBe(0xffff_ffff);
  });

  it('offsets with no register read all ones and ignore writes', () => {
    const { regs } = makeEdu();
    regs.writel(1, 0x0c);
    expect(regs.readl(0x0c)).toBe(0xffff_ffff);
    expect(regs.readl(0x1000)).toBe(0xffff_ffff);
    expect(regs.readl(SIM_EDU_BAR_SIZE - 4)).toBe(0xffff_ffff);
    expect(regs.readq(0xa0)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('the DMA registers 0x80-0x90 read back as written (a 32-bit write zero-extends); 0x98 takes only a start', () => {
    const { regs } = makeEdu();
    // hw/misc/edu.c ignores a command write without EDU_DMA_START (bit 0), so the command reads back 0.
    regs.writeq(0x1234_5678_9abc_def0n, 0x98);
    expect(regs.readq(0x98)).toBe(0n);
    for (const [i, at] of [0x80, 0x88, 0x90].entries()) {
      expect(regs.readq(at)).toBe(0n);
      regs.writeq(0x1234_5678_9abc_def0n + BigInt(i), at);
      expect(regs.readq(at)).toBe(0x1234_5678_9abc_def0n + BigInt(i));
      expect(regs.readl(at)).toBe(0x9abc_def0 + i);
      regs.writel(0x4_0000 + i, at);
      expect(regs.readq(at)).toBe(0x4_0000n + BigInt(i));
    }
    expect(regs.readl(0x84)).toBe(0xffff_ffff); // no register starts there
    expect(regs.readw(0x80)).toBe(0); // edu refuses 16-bit accesses
  });

  it('the write-only interrupt registers read all ones', () => {
    const { regs } = makeEdu();
    expect(regs.readl(IRQ_RAISE)).toBe(0xffff_ffff);
    expect(regs.readl(IRQ_ACK)).toBe(0xffff_ffff);
  });
});

describe('sim edu: factorial', () => {
  it('is busy for the next 3 status reads, then 0x08 holds n!', () => {
    const { regs } = makeEdu({ factorialBusyUs: Infinity });
    regs.writel(10, FACTORIAL);
    expect([regs.readl(STATUS), regs.readl(STATUS), regs.readl(STATUS)]).toEqual([1, 1, 1]);
    expect(regs.readl(FACTORIAL)).toBe(10); // still the input while computing
    expect(regs.readl(STATUS)).toBe(0);
    expect(regs.readl(FACTORIAL)).toBe(3_628_800);
  });

  it('the number of busy reads is configurable', () => {
    const { regs } = makeEdu({ factorialBusyReads: 0, factorialBusyUs: Infinity });
    regs.writel(5, FACTORIAL);
    expect(regs.readl(STATUS)).toBe(0);
    expect(regs.readl(FACTORIAL)).toBe(120);
  });

  it('ends after factorialBusyUs without any status read', async () => {
    const { regs } = makeEdu({ factorialBusyReads: 1000, factorialBusyUs: 2_000 });
    regs.writel(4, FACTORIAL);
    await sleep(15);
    expect(regs.readl(FACTORIAL)).toBe(24);
    expect(regs.readl(STATUS)).toBe(0);
  });

  it('computes modulo 2^32 as the device does', () => {
    const { regs } = makeEdu({ factorialBusyReads: 0 });
    const cases: [number, number][] = [
      [0, 1],
      [1, 1],
      [12, 479_001_600],
      [13, 6_227_020_800 % 2 ** 32],
      [20, Number(2_432_902_008_176_640_000n % 2n ** 32n)],
      [34, 0],
      [0xffff_ffff, 0],
    ];
    for (const [n, expected] of cases) {
      regs.writel(n, FACTORIAL);
      regs.readl(STATUS);
      expect(regs.readl(FACTORIAL), `${n}!`).toBe(expected);
    }
  });

  it('ignores a new n while computing', () => {
    const { regs } = makeEdu({ factorialBusyUs: Infinity });
    regs.writel(3, FACTORIAL);
    regs.writel(7, FACTORIAL);
    expect(regs.readl(FACTORIAL)).toBe(3);
    while (regs.readl(STATUS) & 1);
    expect(regs.readl(FACTORIAL)).toBe(6);
  });

  it('status bit 0 is read-only; bit 7 is read-write', () => {
    const { regs } = makeEdu();
    regs.writel(0xffff_ffff, STATUS);
    expect(regs.readl(STATUS)).toBe(0x80);
    regs.writel(0, STATUS);
    expect(regs.readl(STATUS)).toBe(0);
  });

  it('raises interrupt status bit 0 when done with status bit 7 set', async () => {
    const { regs, irq } = makeEdu({ factorialBusyUs: 1_000 });
    regs.writel(0x80, STATUS);
    regs.writel(6, FACTORIAL);
    const event = await irq.wait({ timeoutMs: 1000 });
    expect(event).toEqual({ count: 1, missed: 0 });
    expect(regs.readl(IRQ_STATUS)).toBe(0x01);
    expect(regs.readl(FACTORIAL)).toBe(720);
    expect(regs.readl(STATUS)).toBe(0x80);
  });

  it('does not interrupt when bit 7 is clear', () => {
    const { regs, irq } = makeEdu({ factorialBusyReads: 0 });
    regs.writel(6, FACTORIAL);
    regs.readl(STATUS);
    expect(regs.readl(IRQ_STATUS)).toBe(0);
    expect(irq.count).toBe(0);
  });
});

describe('sim edu: interrupts', () => {
  it('0x60 ORs into 0x24 and asserts the line; 0x64 clears bits and deasserts when 0', () => {
    const { regs, irq } = makeEdu();
    irq.mask();
    regs.writel(0x10, IRQ_RAISE);
    regs.writel(0x01, IRQ_RAISE);
    expect(regs.readl(IRQ_STATUS)).toBe(0x11);
    expect(irq.level).toBe(true);
    regs.writel(0x10, IRQ_ACK);
    expect(regs.readl(IRQ_STATUS)).toBe(0x01);
    expect(irq.level).toBe(true);
    regs.writel(0x01, IRQ_ACK);
    expect(regs.readl(IRQ_STATUS)).toBe(0);
    expect(irq.level).toBe(false);
    irq.unmask();
    expect(irq.count).toBe(0);
  });

  it('raising 0 does not assert the line', () => {
    const { regs, irq } = makeEdu();
    regs.writel(0, IRQ_RAISE);
    expect(irq.level).toBe(false);
    expect(irq.count).toBe(0);
  });

  it('0x24 is read-only', () => {
    const { regs } = makeEdu();
    regs.writel(0x5, IRQ_RAISE);
    regs.writel(0, IRQ_STATUS);
    expect(regs.readl(IRQ_STATUS)).toBe(0x5);
  });

  it('unmasking before the acknowledge interrupts again (level-triggered), after it does not', async () => {
    const { regs, irq } = makeEdu();
    regs.writel(0x100, IRQ_RAISE);
    await expect(irq.wait()).resolves.toEqual({ count: 1, missed: 0 });
    irq.unmask();
    await expect(irq.wait({ timeoutMs: 0 })).resolves.toEqual({ count: 2, missed: 0 });
    regs.writel(regs.readl(IRQ_STATUS), IRQ_ACK);
    irq.unmask();
    await expect(irq.wait({ timeoutMs: 5 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });
});

describe('sim edu: reset and close', () => {
  it('reset() restores the registers and deasserts the line', () => {
    const { regs, irq } = makeEdu({ factorialBusyUs: Infinity });
    regs.writel(1, LIVENESS);
    regs.writel(5, FACTORIAL);
    regs.writel(0x80, STATUS);
    irq.mask();
    regs.writel(3, IRQ_RAISE);
    edu!.reset();
    expect([regs.readl(LIVENESS), regs.readl(FACTORIAL), regs.readl(STATUS), regs.readl(IRQ_STATUS)]).toEqual([0, 0, 0, 0]);
    expect(irq.level).toBe(false);
  });

  it('close() unmaps the region and closes the interrupt source, and may be repeated', async () => {
    const sim = makeEdu();
    sim.close();
    expect(sim.regs.mapped).toBe(false);
    expect(() => sim.regs.readl(ID)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    await expect(sim.irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
    expect(() => sim.close()).not.toThrow();
  });

  it('a using block closes it', () => {
    let regs;
    {
      using sim = createSimEdu();
      regs = sim.regs;
      expect(regs.readl(ID)).toBe(SIM_EDU_ID);
    }
    expect(regs.mapped).toBe(false);
  });

  it('close() stops a running factorial: no late interrupt', async () => {
    const sim = makeEdu({ factorialBusyUs: 1_000 });
    sim.regs.writel(0x80, STATUS);
    sim.regs.writel(3, FACTORIAL);
    sim.close();
    await sleep(10);
    expect(sim.irq.count).toBe(0);
    expect(sim.model.get('STATUS')).toBe(0x81);
  });
});
