import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eduFactorial, eduFactorialAtomic, EDU_REG_FACTORIAL, EDU_REG_STATUS } from '../../examples/edu/driver.js';
import { openPci, type IoRegion } from '../../lib/index.js';
import { findEduHardware } from './edu-hw.js';

const factorial = (n: number) => {
  let f = 1n;
  for (let i = 2n; i <= BigInt(n); i++) f *= i;
  return Number(f & 0xffffffffn);
};

let regs: IoRegion;
beforeAll(() => {
  regs = openPci(findEduHardware().uioEdu.bdf).map(0, { size: 0x1000 });
});
afterAll(() => regs?.iounmap());

describe('the factorial on the real edu', () => {
  it('through readl_poll_timeout (async, sleeping)', async () => {
    for (const n of [0, 1, 5, 10, 12, 13, 20]) {
      expect(await eduFactorial(regs, n)).toBe(factorial(n));
    }
  });

  it('through readl_poll_timeout_atomic with a { mask, value } condition (native spin)', () => {
    for (const n of [3, 10, 12]) {
      expect(eduFactorialAtomic(regs, n)).toBe(factorial(n));
    }
  });

  it('through readl_poll_timeout_atomic with a predicate and a delay between reads', () => {
    regs.writel(11, EDU_REG_FACTORIAL);
    const status = regs.readl_poll_timeout_atomic(EDU_REG_STATUS, (v) => (v & 1) === 0, 5, 1_000_000);
    expect(status & 1).toBe(0);
    expect(regs.readl(EDU_REG_FACTORIAL)).toBe(factorial(11));
  });

  it('times out with ETIMEDOUT and the last value read when the condition never holds', async () => {
    expect(() => regs.readl_poll_timeout_atomic(0x00, { mask: 0xffffffff, value: 0 }, 0, 2000)).toThrow(
      expect.objectContaining({ code: 'ETIMEDOUT', value: 0x010000ed }),
    );
    await expect(regs.readl_poll_timeout(0x00, (v) => v === 0, 100, 5000)).rejects.toMatchObject({ code: 'ETIMEDOUT', value: 0x010000ed });
  });
});
