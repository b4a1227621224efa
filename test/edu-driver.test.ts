import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_DMA_SIZE, formatEduDemo, runEduDemo } from '../examples/edu/demo.js';
import {
  EDU_IRQ_TEST,
  EDU_REG_FACTORIAL,
  EDU_REG_ID,
  EDU_REG_IRQ_ACK,
  EDU_REG_IRQ_RAISE,
  EDU_REG_IRQ_STATUS,
  EDU_REG_LIVENESS,
  EDU_REG_STATUS,
  eduDmaRoundTrip,
  eduCheckLiveness,
  eduFactorial,
  eduFactorialAtomic,
  eduFactorialIrq,
  eduIdentify,
  eduInterruptRoundTrip,
} from '../examples/edu/driver.js';
import { RegisterModel, SimInterrupts, SimRegion, createSimEdu, type SimEdu, type SimEduOptions } from '../lib/sim/index.js';
import { collapseRepeats, traceRegion, withoutTime } from '../lib/observe/trace.js';

const opened: SimEdu[] = [];
function makeEdu(options: SimEduOptions = {}): SimEdu {
  const edu = createSimEdu(options);
  opened.push(edu);
  return edu;
}
afterEach(() => {
  for (const edu of opened.splice(0)) edu.close();
});

/** A region of plain zeroed memory: answers, but is not an edu. */
function notAnEdu(): SimRegion {
  return new SimRegion(new RegisterModel({ size: 0x100 }), { name: 'ram' });
}

describe('edu driver: identify', () => {
  it('reads the ID and decodes version 1.0', () => {
    expect(eduIdentify(makeEdu().regs)).toEqual({ id: 0x0100_00ed, major: 1, minor: 0 });
  });

  it('throws ENODEV when the ID is wrong', () => {
    expect(() => eduIdentify(notAnEdu())).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('decodes another version', () => {
    const model = new RegisterModel({ size: 0x100, registers: [{ offset: 0, width: 4, reset: 0x0203_00ed }] });
    expect(eduIdentify(new SimRegion(model))).toEqual({ id: 0x0203_00ed, major: 2, minor: 3 });
  });
});

describe('edu driver: liveness', () => {
  it('returns the inverted pattern', () => {
    expect(eduCheckLiveness(makeEdu().regs, 0x0f0f_0f0f)).toBe(0xf0f0_f0f0);
    expect(eduCheckLiveness(makeEdu().regs)).toBe(0xedcb_a987);
  });

  it('throws EIO when the device does not invert', () => {
    expect(() => eduCheckLiveness(notAnEdu())).toThrow(expect.objectContaining({ code: 'EIO' }));
  });
});

describe('edu driver: factorial', () => {
  it('polls the status with readl_poll_timeout until done', async () => {
    const traced = traceRegion(makeEdu({ factorialBusyUs: Infinity }).regs);
    await expect(eduFactorial(traced, 10)).resolves.toBe(3_628_800);
    const statusReads = traced.trace.filter((e) => e.offset === EDU_REG_STATUS);
    expect(statusReads.map((e) => e.value)).toEqual([1, 1, 1, 0]);
    expect(statusReads.every((e) => e.via === 'readl_poll_timeout')).toBe(true);
  });

  it('the atomic variant spins with readl_poll_timeout_atomic', () => {
    const traced = traceRegion(makeEdu({ factorialBusyUs: Infinity }).regs);
    expect(eduFactorialAtomic(traced, 12)).toBe(479_001_600);
    expect(traced.trace.filter((e) => e.via === 'readl_poll_timeout_atomic')).toHaveLength(4);
  });

  it('times out with ETIMEDOUT when the device stays busy', async () => {
    const { regs } = makeEdu({ factorialBusyReads: 1e9, factorialBusyUs: Infinity });
    await expect(eduFactorial(regs, 5, { sleepUs: 100, timeoutUs: 3_000 })).rejects.toMatchObject({ code: 'ETIMEDOUT', value: 1 });
    expect(() => eduFactorialAtomic(regs, 5, { timeoutUs: 1_000 })).toThrow(expect.objectContaining({ code: 'ETIMEDOUT' }));
  });

  it('rejects a bad n with the region’s argument error', async () => {
    const { regs } = makeEdu();
    await expect(eduFactorial(regs, -1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
  });

  it('waits for the factorial interrupt instead of polling', async () => {
    const { regs, irq } = makeEdu({ factorialBusyReads: 1e9, factorialBusyUs: 1_000 });
    const traced = traceRegion(regs);
    const result = await eduFactorialIrq(traced, irq, 7);
    expect(result).toMatchObject({ result: 5040, status: 0x01, event: { count: 1, missed: 0 } });
    expect(traced.trace.some((e) => e.offset === EDU_REG_STATUS && e.op === 'read')).toBe(false);
    expect(regs.readl(EDU_REG_STATUS)).toBe(0); // bit 7 cleared again
    expect(regs.readl(EDU_REG_IRQ_STATUS)).toBe(0);
  });
});

describe('edu driver: interrupt round trip', () => {
  it('raises, waits, acknowledges and unmasks', async () => {
    const { regs, irq } = makeEdu();
    const traced = traceRegion(regs);
    const result = await eduInterruptRoundTrip(traced, irq, 0x8000);
    expect(result).toEqual({ event: { count: 1, missed: 0 }, status: 0x8000 });
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'write', width: 4, offset: EDU_REG_IRQ_RAISE, value: 0x8000 },
      { op: 'read', width: 4, offset: EDU_REG_IRQ_STATUS, value: 0x8000 },
      { op: 'write', width: 4, offset: EDU_REG_IRQ_ACK, value: 0x8000 },
    ]);
    expect(irq.level).toBe(false);
    expect(irq.masked).toBe(false);
  });

  it('can be repeated; the second reports count 2', async () => {
    const { regs, irq } = makeEdu();
    await eduInterruptRoundTrip(regs, irq);
    await expect(eduInterruptRoundTrip(regs, irq)).resolves.toEqual({ event: { count: 2, missed: 0 }, status: EDU_IRQ_TEST });
  });

  it('times out with ETIMEDOUT when no interrupt comes', async () => {
    const { regs } = makeEdu();
    const unconnected = new SimInterrupts({ name: 'nothing' });
    await expect(eduInterruptRoundTrip(regs, unconnected, 1, { timeoutMs: 10 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('rejects with ABORT_ERR when aborted', async () => {
    const { regs } = makeEdu();
    const unconnected = new SimInterrupts();
    const signal = AbortSignal.timeout(5);
    await expect(eduInterruptRoundTrip(regs, unconnected, 1, { signal })).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });
});

describe('edu demo (npm start)', () => {
  it('runs every operation and returns the results and the trace', async () => {
    const { regs, irq } = makeEdu({ factorialBusyUs: Infinity });
    const result = await runEduDemo(regs, irq);
    expect(result).toMatchObject({
      path: 'sim:edu',
      identity: { id: 0x0100_00ed, major: 1, minor: 0 },
      liveness: 0xedcb_a987,
      factorial: 3_628_800,
      irq: { event: { count: 1, missed: 0 }, status: EDU_IRQ_TEST },
    });
    const R = (offset: number, value: number) => ({ op: 'read', width: 4, offset, value });
    const W = (offset: number, value: number) => ({ op: 'write', width: 4, offset, value });
    expect(withoutTime(result.trace)).toEqual([
      R(EDU_REG_ID, 0x0100_00ed),
      W(EDU_REG_LIVENESS, 0x1234_5678),
      R(EDU_REG_LIVENESS, 0xedcb_a987),
      W(EDU_REG_FACTORIAL, 10),
      R(EDU_REG_STATUS, 1),
      R(EDU_REG_STATUS, 1),
      R(EDU_REG_STATUS, 1),
      R(EDU_REG_STATUS, 0),
      R(EDU_REG_FACTORIAL, 3_628_800),
      W(EDU_REG_IRQ_RAISE, EDU_IRQ_TEST),
      R(EDU_REG_IRQ_STATUS, EDU_IRQ_TEST),
      W(EDU_REG_IRQ_ACK, EDU_IRQ_TEST),
    ]);
  });

  it('with a DMA-capable device (the simulated edu) adds a DMA round trip: registers in the trace, bytes back', async () => {
    const edu = createSimEdu({ factorialBusyUs: Infinity, dmaDelayMs: 1 });
    try {
      const result = await runEduDemo(edu.regs, edu.irq, edu);
      expect(result.dma).toEqual({ size: DEMO_DMA_SIZE, handles: [0x1000n, 0x2000n], match: true });
      const writes = withoutTime(result.trace).filter((e) => e.op === 'write' && e.offset >= 0x80);
      const W64 = (offset: number, value: bigint) => ({ op: 'write', width: 8, offset, value });
      expect(writes).toEqual([
        W64(0x80, 0x1000n), W64(0x88, 0x40000n), W64(0x90, BigInt(DEMO_DMA_SIZE)), W64(0x98, 1n),
        W64(0x80, 0x40000n), W64(0x88, 0x2000n), W64(0x90, BigInt(DEMO_DMA_SIZE)), W64(0x98, 3n),
      ]);
      // the buffers were freed; the simulated IOMMU saw both transfers and no fault
      expect(edu.iommu.trace.map((e) => e.op)).toEqual(['alloc', 'alloc', 'dma-read', 'dma-write', 'free', 'free']);
      expect(formatEduDemo(result)).toContain('dma:       4000 bytes RAM -> edu -> RAM via bus addresses 0x1000, 0x2000: match');
    } finally {
      edu.close();
    }
  });

  it('eduDmaRoundTrip refuses sizes edu cannot move', async () => {
    const edu = createSimEdu();
    try {
      await expect(eduDmaRoundTrip(edu.regs, edu, new Uint8Array(4096))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
      await expect(eduDmaRoundTrip(edu.regs, edu, new Uint8Array(0))).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    } finally {
      edu.close();
    }
  });

  it('traces of two devices that poll a different number of times line up after collapsing', async () => {
    const a = makeEdu({ factorialBusyReads: 1, factorialBusyUs: Infinity });
    const b = makeEdu({ factorialBusyReads: 5, factorialBusyUs: Infinity });
    const ra = await runEduDemo(a.regs, a.irq);
    const rb = await runEduDemo(b.regs, b.irq);
    expect(ra.trace.length).not.toBe(rb.trace.length);
    expect(withoutTime(collapseRepeats(ra.trace))).toEqual(withoutTime(collapseRepeats(rb.trace)));
  });

  it('formats a report with the results and a named trace', async () => {
    const { regs, irq } = makeEdu({ factorialBusyUs: Infinity });
    const text = formatEduDemo(await runEduDemo(regs, irq));
    expect(text).toContain('edu at sim:edu');
    expect(text).toContain('version 1.0');
    expect(text).toContain('10! = 3628800');
    expect(text).toContain('access trace (12 accesses):');
    expect(text).toContain('W32 +0x004 = 0x12345678  EDU_REG_LIVENESS');
    expect(text).toContain('R32 +0x020 = 0x00000000  EDU_REG_STATUS  [readl_poll_timeout]');
  });
});
