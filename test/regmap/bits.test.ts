/**
 * BIT / GENMASK / FIELD_* with the kernel's semantics (include/linux/bits.h, include/linux/bitfield.h): 32-bit
 * forms on unsigned numbers, 64-bit forms on bigints, and every wrong mask or value that does not fit throws.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BIT, BIT_ULL, FIELD_FIT, FIELD_GET, FIELD_MAX, FIELD_PREP, GENMASK, GENMASK_ULL } from '../../lib/regmap/bits.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('BIT, BIT_ULL', () => {
  it('set one bit; BIT(31) is unsigned', () => {
    expect(BIT(0)).toBe(1);
    expect(BIT(7)).toBe(0x80);
    expect(BIT(31)).toBe(0x8000_0000);
    expect(BIT_ULL(0)).toBe(1n);
    expect(BIT_ULL(63)).toBe(0x8000_0000_0000_0000n);
  });

  it('refuse bit numbers outside the type', () => {
    expect(() => BIT(32)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => BIT(-1)).toThrow(RangeError);
    expect(() => BIT(1.5)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => BIT_ULL(64)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => BIT('3' as unknown as number)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });
});

describe('GENMASK, GENMASK_ULL', () => {
  it('make h..l inclusive, high bit first', () => {
    expect(GENMASK(7, 4)).toBe(0xf0);
    expect(GENMASK(0, 0)).toBe(1);
    expect(GENMASK(31, 0)).toBe(0xffff_ffff);
    expect(GENMASK(31, 31)).toBe(0x8000_0000);
    expect(GENMASK(30, 1)).toBe(0x7fff_fffe);
    expect(GENMASK_ULL(39, 32)).toBe(0xff_0000_0000n);
    expect(GENMASK_ULL(63, 0)).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('refuse h < l (GENMASK_INPUT_CHECK) and bits beyond the type', () => {
    expect(() => GENMASK(3, 4)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => GENMASK(32, 0)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => GENMASK_ULL(64, 0)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => GENMASK_ULL(0, 1)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => GENMASK(undefined as unknown as number, 0)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });

  it('agree with BIT over every (h, l)', () => {
    for (let h = 0; h < 32; h++) {
      for (let l = 0; l <= h; l++) {
        let sum = 0;
        for (let b = l; b <= h; b++) sum += BIT(b);
        expect(GENMASK(h, l)).toBe(sum);
      }
    }
  });
});

describe('FIELD_GET, FIELD_PREP, FIELD_FIT, FIELD_MAX', () => {
  const MODE = GENMASK(6, 4);

  it('prepare and extract, as in bitfield.h', () => {
    expect(FIELD_PREP(MODE, 5)).toBe(0x50);
    expect(FIELD_GET(MODE, 0x5f)).toBe(5);
    expect(FIELD_GET(GENMASK(31, 24), 0xab00_0000)).toBe(0xab);
    expect(FIELD_PREP(GENMASK(31, 24), 0xff)).toBe(0xff00_0000);
    expect(FIELD_GET(BIT(31), 0x8000_0000)).toBe(1);
    expect(FIELD_MAX(MODE)).toBe(7);
    expect(FIELD_FIT(MODE, 7)).toBe(true);
    expect(FIELD_FIT(MODE, 8)).toBe(false);
  });

  it('accept a signed 32-bit register value as its unsigned bits (a value from ~x)', () => {
    expect(FIELD_GET(GENMASK(31, 28), -1)).toBe(0xf);
    expect(FIELD_GET(GENMASK(31, 0), ~0)).toBe(0xffff_ffff);
  });

  it('64-bit forms on bigints', () => {
    const HI = GENMASK_ULL(63, 32);
    expect(FIELD_PREP(HI, 0xdead_beefn)).toBe(0xdead_beef_0000_0000n);
    expect(FIELD_GET(HI, 0x1234_5678_9abc_def0n)).toBe(0x1234_5678n);
    expect(FIELD_MAX(HI)).toBe(0xffff_ffffn);
    expect(FIELD_FIT(HI, 0x1_0000_0000n)).toBe(false);
    expect(FIELD_GET(BIT_ULL(63), -1n)).toBe(1n);
  });

  it('throw for a value that does not fit, even a variable one (the kernel checks only constants)', () => {
    expect(() => FIELD_PREP(MODE, 8)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_PREP(MODE, -1)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_PREP(MODE, 1.5)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_PREP(GENMASK_ULL(3, 0), 16n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_PREP(GENMASK_ULL(3, 0), -1n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_PREP(MODE, 8)).toThrow(/does not fit the field 0x70 \(0\.\.0x7\)/);
  });

  it('FIELD_FIT answers false for what FIELD_PREP refuses', () => {
    expect(FIELD_FIT(MODE, -1)).toBe(false);
    expect(FIELD_FIT(MODE, 0.5)).toBe(false);
    expect(FIELD_FIT(GENMASK_ULL(3, 0), -1n)).toBe(false);
  });

  it('throw for wrong masks: zero, not contiguous, beyond the type', () => {
    for (const f of [() => FIELD_GET(0, 1), () => FIELD_PREP(0, 0), () => FIELD_FIT(0, 0), () => FIELD_MAX(0), () => FIELD_GET(0n, 1n)]) {
      expect(f).toThrow(code('ERR_INVALID_ARG_VALUE'));
      expect(f).toThrow(/mask is zero/);
    }
    expect(() => FIELD_GET(0b1010, 0)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => FIELD_PREP(0x8000_0001, 0)).toThrow(/not one contiguous run/);
    expect(() => FIELD_PREP(0x1_0000_0000, 0)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_GET(0x0f0fn, 0n)).toThrow(code('ERR_INVALID_ARG_VALUE'));
    expect(() => FIELD_GET(1n << 64n, 0n)).toThrow(code('ERR_OUT_OF_RANGE'));
  });

  it('throw for a register value beyond the mask type, and for mixed number/bigint', () => {
    expect(() => FIELD_GET(MODE, 0x1_0000_0000)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_GET(GENMASK_ULL(3, 0), 1n << 64n)).toThrow(code('ERR_OUT_OF_RANGE'));
    expect(() => FIELD_GET(MODE as never, 1n as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => FIELD_PREP(1n as never, 1 as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
    expect(() => FIELD_FIT('1' as never, 1 as never)).toThrow(code('ERR_INVALID_ARG_TYPE'));
  });

  it('FIELD_GET(m, FIELD_PREP(m, v)) === v, and PREP stays inside the mask (property)', () => {
    const field = fc
      .tuple(fc.integer({ min: 0, max: 31 }), fc.integer({ min: 0, max: 31 }))
      .map(([a, b]) => GENMASK(Math.max(a, b), Math.min(a, b)));
    fc.assert(
      fc.property(fc.oneof(field, fc.constant(BIT(31)), fc.constant(GENMASK(31, 0))), fc.nat(), fc.integer({ min: 0, max: 0xffff_ffff }), (mask, seed, reg) => {
        const value = seed % (FIELD_MAX(mask) + 1);
        const prepared = FIELD_PREP(mask, value);
        expect(FIELD_GET(mask, prepared)).toBe(value);
        expect((prepared & ~mask) >>> 0).toBe(0);
        expect(prepared).toBeGreaterThanOrEqual(0);
        let shift = 0n;
        while (((BigInt(mask) >> shift) & 1n) === 0n) shift++;
        expect(FIELD_GET(mask, reg)).toBe(Number((BigInt(reg) & BigInt(mask)) >> shift));
      }),
    );
    const field64 = fc
      .tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }))
      .map(([a, b]) => GENMASK_ULL(Math.max(a, b), Math.min(a, b)));
    fc.assert(
      fc.property(field64, fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (mask, v) => {
        const value = v % (FIELD_MAX(mask) + 1n);
        expect(FIELD_GET(mask, FIELD_PREP(mask, value))).toBe(value);
        expect(FIELD_PREP(mask, value) & ~mask).toBe(0n);
      }),
    );
  });
});
