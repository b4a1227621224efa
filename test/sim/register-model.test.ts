import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { BusyCountdown, RegisterModel, SimRegion, readsAs, type RegisterDefinition } from '../../lib/sim/index.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

function region(registers: RegisterDefinition[], size = 0x40): { regs: SimRegion; model: RegisterModel } {
  const model = new RegisterModel({ size, registers });
  return { regs: new SimRegion(model), model };
}

describe('RegisterModel reset values', () => {
  it('registers start at their reset values; other space reads 0', () => {
    const { regs } = region([
      { offset: 0x00, width: 4, reset: 0x1234_5678 },
      { offset: 0x04, width: 2, reset: 0xbeef },
      { offset: 0x08, width: 8, reset: 0x1_0000_0002n },
    ]);
    expect(regs.readl(0x00)).toBe(0x1234_5678);
    expect(regs.readw(0x04)).toBe(0xbeef);
    expect(regs.readq(0x08)).toBe(0x1_0000_0002n);
    expect(regs.readl(0x10)).toBe(0);
  });

  it('reset() restores registers, keeps plain memory, and runs onReset', () => {
    const onReset = vi.fn();
    const model = new RegisterModel({ size: 0x20, registers: [{ name: 'CTRL', offset: 0, width: 4, reset: 7 }], onReset });
    const regs = new SimRegion(model);
    regs.writel(0xffff, 0);
    regs.writel(0xabcd, 0x10);
    model.reset();
    expect(regs.readl(0)).toBe(7);
    expect(regs.readl(0x10)).toBe(0xabcd);
    expect(onReset).toHaveBeenCalledWith(model);
  });
});

describe('RegisterModel masks', () => {
  it('read-only bits keep their value on writes', () => {
    const { regs } = region([{ offset: 0, width: 4, reset: 0xa5, readOnlyMask: 0xff }]);
    regs.writel(0x1234_5600, 0);
    expect(regs.readl(0)).toBe(0x1234_56a5);
    regs.writel(0, 0);
    expect(regs.readl(0)).toBe(0xa5);
  });

  it('a fully read-only register ignores writes', () => {
    const { regs } = region([{ offset: 4, width: 4, reset: 0x0100_00ed, readOnlyMask: 0xffff_ffff }]);
    regs.writel(0, 4);
    expect(regs.readl(4)).toBe(0x0100_00ed);
  });

  it('write-1-to-clear bits clear where 1 is written and stay where 0 is written', () => {
    const { regs } = region([{ offset: 0, width: 4, reset: 0x0f, w1cMask: 0x0f }]);
    regs.writel(0x05, 0);
    expect(regs.readl(0)).toBe(0x0a);
    regs.writel(0x00, 0);
    expect(regs.readl(0)).toBe(0x0a);
    // Bits outside the W1C mask are plain read-write.
    regs.writel(0x0000_0f08, 0);
    expect(regs.readl(0)).toBe(0x0000_0f02);
  });

  it('read-to-clear bits are returned once, then read as 0', () => {
    const { regs, model } = region([{ offset: 0, width: 4, rcMask: 0xf0 }]);
    model.set(0, 0xff);
    expect(regs.readl(0)).toBe(0xff);
    expect(regs.readl(0)).toBe(0x0f);
    expect(model.get(0)).toBe(0x0f);
  });

  it('masks work on 64-bit registers with bigints, and on 8- and 16-bit registers', () => {
    const { regs, model } = region([
      { offset: 0, width: 8, reset: 0xffff_0000_0000_0000n, readOnlyMask: 0xffff_0000_0000_0000n, w1cMask: 0xffn },
      { offset: 8, width: 1, reset: 0x81, readOnlyMask: 0x80 },
      { offset: 10, width: 2, reset: 0xf00f, w1cMask: 0xf000 },
    ]);
    regs.writeq(0x0000_1234_0000_00ffn, 0);
    expect(regs.readq(0)).toBe(0xffff_1234_0000_0000n);
    model.set(0, 0xffff_1234_0000_00ffn);
    regs.writeq(0x0000_1234_0000_000fn, 0);
    expect(regs.readq(0)).toBe(0xffff_1234_0000_00f0n);
    regs.writeb(0x00, 8);
    expect(regs.readb(8)).toBe(0x80);
    regs.writew(0x3000, 10);
    expect(regs.readw(10)).toBe(0xc000);
  });
});

describe('RegisterModel hooks', () => {
  it('onWrite runs after the masked value is stored and may replace it', () => {
    const seen: unknown[] = [];
    const { regs } = region([
      {
        offset: 0,
        width: 4,
        reset: 1,
        onWrite: (value, ctx) => {
          seen.push([value, ctx.previous, ctx.value]);
          ctx.set(~(value as number) >>> 0);
        },
      },
    ]);
    regs.writel(0x0f0f_0f0f, 0);
    expect(seen).toEqual([[0x0f0f_0f0f, 1, 0x0f0f_0f0f]]);
    expect(regs.readl(0)).toBe(0xf0f0_f0f0);
  });

  it('onRead may answer with its own value, leaving the storage alone', () => {
    let reads = 0;
    const { regs, model } = region([{ offset: 0, width: 4, reset: 5, onRead: () => ++reads }]);
    expect(regs.readl(0)).toBe(1);
    expect(regs.readl(0)).toBe(2);
    expect(model.get(0)).toBe(5);
  });

  it('hooks reach other registers through ctx.model', () => {
    const { regs } = region([
      { name: 'DATA', offset: 0, width: 4 },
      {
        name: 'DOORBELL',
        offset: 4,
        width: 4,
        onWrite: (value, ctx) => ctx.model.set('DATA', (ctx.model.get('DATA') as number) + (value as number)),
      },
    ]);
    regs.writel(3, 4);
    regs.writel(4, 4);
    expect(regs.readl(0)).toBe(7);
  });

  it('a busy bit that clears after N reads (BusyCountdown)', () => {
    const STATUS_BUSY = 1;
    let model!: RegisterModel;
    const busy = new BusyCountdown({ reads: 2, timeUs: Infinity, onDone: () => model.set('STATUS', 0) });
    model = new RegisterModel({
      size: 0x10,
      registers: [
        { name: 'CMD', offset: 0, width: 4, onWrite: () => (model.set('STATUS', STATUS_BUSY), busy.start()) },
        { name: 'STATUS', offset: 4, width: 4, readOnlyMask: 0xffff_ffff, onRead: () => void busy.countRead() },
      ],
    });
    const regs = new SimRegion(model);
    regs.writel(1, 0);
    expect([regs.readl(4), regs.readl(4), regs.readl(4), regs.readl(4)]).toEqual([1, 1, 0, 0]);
    expect(busy.busy).toBe(false);
    regs.writel(1, 0);
    expect(regs.readl(4)).toBe(1);
  });

  it('a busy bit that clears after a time, even without reads', async () => {
    let model!: RegisterModel;
    const done = vi.fn(() => model.set('STATUS', 0));
    const busy = new BusyCountdown({ reads: 1_000_000, timeUs: 5_000, onDone: done });
    model = new RegisterModel({
      size: 0x10,
      registers: [{ name: 'STATUS', offset: 4, width: 4, reset: 1, onRead: () => void busy.countRead() }],
    });
    const regs = new SimRegion(model);
    busy.start();
    expect(regs.readl(4)).toBe(1);
    await sleep(20);
    expect(done).toHaveBeenCalledTimes(1);
    expect(regs.readl(4)).toBe(0);
  });

  it('a timed busy bit also ends when polled by a blocking spin (the timer cannot run then)', () => {
    let model!: RegisterModel;
    const busy = new BusyCountdown({ reads: 1_000_000, timeUs: 2_000, onDone: () => model.set('STATUS', 0) });
    model = new RegisterModel({
      size: 0x10,
      registers: [{ name: 'STATUS', offset: 4, width: 4, reset: 1, onRead: () => void busy.countRead() }],
    });
    busy.start();
    const regs = new SimRegion(model);
    expect(regs.readl_poll_timeout_atomic(4, { mask: 1, value: 0 }, 0, 500_000)).toBe(0);
  });

  it('BusyCountdown: cancel drops the operation without onDone; finish runs it once', () => {
    const done = vi.fn();
    const busy = new BusyCountdown({ reads: 5, timeUs: Infinity, onDone: done });
    busy.start();
    busy.cancel();
    expect(busy.busy).toBe(false);
    expect(done).not.toHaveBeenCalled();
    busy.start();
    busy.finish();
    busy.finish();
    expect(done).toHaveBeenCalledTimes(1);
    expect(() => new BusyCountdown({ reads: -1, onDone: done })).toThrow(RangeError);
    expect(() => new BusyCountdown({ timeUs: NaN, onDone: done })).toThrow(RangeError);
  });
});

describe('RegisterModel width handling and unmodelled space', () => {
  it('by default a wrong-width access sees the register bytes as plain memory, without hooks', () => {
    const onRead = vi.fn();
    const { regs } = region([{ offset: 0, width: 4, reset: 0x1122_3344, onRead, readOnlyMask: 0xffff_ffff }]);
    expect(regs.readb(1)).toBe(0x33);
    expect(regs.readw(2)).toBe(0x1122);
    regs.writeb(0xff, 0);
    expect(regs.readl(0)).toBe(0x1122_33ff);
    expect(onRead).toHaveBeenCalledTimes(1);
  });

  it('a mismatched handler decides what wrong-width accesses do', () => {
    const model = new RegisterModel({
      size: 0x10,
      registers: [{ offset: 0, width: 4, reset: 0xabcd }, { offset: 4, width: 4 }],
      mismatched: readsAs((width) => (width < 4 ? 0 : 0xffff_ffff_ffff_ffffn)),
    });
    const regs = new SimRegion(model);
    expect(regs.readb(0)).toBe(0);
    expect(regs.readw(2)).toBe(0);
    expect(regs.readq(0)).toBe(0xffff_ffff_ffff_ffffn);
    regs.writeb(0x12, 0);
    regs.writeq(0n, 0);
    expect(regs.readl(0)).toBe(0xabcd);
    // Space with no register is still plain memory.
    regs.writeb(0x12, 8);
    expect(regs.readb(8)).toBe(0x12);
  });

  it('an unmodelled handler decides what space without registers does', () => {
    const model = new RegisterModel({ size: 0x10, registers: [{ offset: 0, width: 4 }], unmodelled: readsAs(0xdead_beef) });
    const regs = new SimRegion(model);
    regs.writel(1, 8);
    expect(regs.readl(8)).toBe(0xdead_beef);
    expect(regs.readw(12)).toBe(0xbeef);
    expect(regs.readb(4)).toBe(0xef);
    regs.writel(1, 0);
    expect(regs.readl(0)).toBe(1);
  });

  it('plain memory with no registers at all', () => {
    const buffer = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const model = new RegisterModel({ buffer });
    expect(model.size).toBe(8);
    expect(new SimRegion(model).readq(0)).toBe(0x0807_0605_0403_0201n);
    new SimRegion(model).writeb(9, 0);
    expect(buffer[0]).toBe(9);
  });
});

describe('RegisterModel lookups and raw access', () => {
  const model = new RegisterModel({
    size: 0x20,
    registers: [
      { name: 'A', offset: 0x0, width: 4, reset: 1 },
      { name: 'B', offset: 0x8, width: 8, reset: 2n },
    ],
  });

  it('get/set/definition by name or offset', () => {
    expect(model.get('A')).toBe(1);
    expect(model.get(8)).toBe(2n);
    model.set('B', 3n);
    expect(model.get('B')).toBe(3n);
    expect(model.definition('A')?.offset).toBe(0);
    expect(model.definition(0x10)).toBeUndefined();
    expect(codeOf(() => model.get('C'))).toBe('ERR_INVALID_ARG_VALUE');
    expect(codeOf(() => model.set(0x4, 0))).toBe('ERR_INVALID_ARG_VALUE');
  });

  it('peek and poke bypass hooks and check bounds', () => {
    model.poke(0x10, 4, 0xffff_ffff);
    expect(model.peek(0x10, 2)).toBe(0xffff);
    expect(model.bytes[0x13]).toBe(0xff);
    expect(codeOf(() => model.peek(0x20, 1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => model.poke(0x2, 4, 0))).toBe('ERR_UNALIGNED');
  });
});

describe('RegisterModel rejects bad definitions', () => {
  it.each([
    ['overlapping registers', [{ offset: 0, width: 4 }, { offset: 2, width: 2 }], 'ERR_INVALID_ARG_VALUE'],
    ['a repeated name', [{ name: 'X', offset: 0, width: 4 }, { name: 'X', offset: 4, width: 4 }], 'ERR_INVALID_ARG_VALUE'],
    ['an unaligned register', [{ offset: 2, width: 4 }], 'ERR_UNALIGNED'],
    ['a register past the end', [{ offset: 0x40, width: 4 }], 'ERR_OUT_OF_RANGE'],
    ['a bad width', [{ offset: 0, width: 3 }], 'ERR_OUT_OF_RANGE'],
    ['a non-number offset', [{ offset: '0', width: 4 }], 'ERR_INVALID_ARG_TYPE'],
  ])('%s', (_name, registers, code) => {
    expect(codeOf(() => new RegisterModel({ size: 0x40, registers: registers as RegisterDefinition[] }))).toBe(code);
  });

  it('a missing or bad size', () => {
    expect(codeOf(() => new RegisterModel({}))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => new RegisterModel({ size: 0 }))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => new RegisterModel({ size: 16, buffer: new Uint8Array(8) }))).toBe('ERR_OUT_OF_RANGE');
  });
});
