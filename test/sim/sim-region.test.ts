import { describe, expect, it } from 'vitest';
import type { AccessWidth, IoRegion } from '../../lib/core/io-region.js';
import { RegisterModel, SimRegion, type BusValue, type SimDevice } from '../../lib/sim/index.js';

/** A plain-memory device that also logs every access it sees. */
class LoggingDevice implements SimDevice {
  readonly log: { op: 'r' | 'w'; offset: number; width: AccessWidth; value: BusValue }[] = [];
  constructor(readonly memory: RegisterModel) {}
  get size(): number {
    return this.memory.size;
  }
  read(offset: number, width: AccessWidth): BusValue {
    const value = this.memory.read(offset, width);
    this.log.push({ op: 'r', offset, width, value });
    return value;
  }
  write(offset: number, width: AccessWidth, value: BusValue): void {
    this.log.push({ op: 'w', offset, width, value });
    this.memory.write(offset, width, value);
  }
}

function makeRegion(size = 64): { region: SimRegion; device: LoggingDevice } {
  const device = new LoggingDevice(new RegisterModel({ size }));
  return { region: new SimRegion(device, { name: 'test', phys: 0x1000n }), device };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe('SimRegion identity', () => {
  it('reports size, phys, path and mapped', () => {
    const { region } = makeRegion(128);
    expect(region.size).toBe(128);
    expect(region.phys).toBe(0x1000n);
    expect(region.path).toBe('sim:test');
    expect(region.mapped).toBe(true);
  });
});

describe('SimRegion accessors of every width', () => {
  it('round-trips 8, 16, 32 and 64-bit values, with each accessor family', () => {
    const { region } = makeRegion();
    region.writeb(0xab, 1);
    expect(region.readb(1)).toBe(0xab);
    region.writew(0xbeef, 2);
    expect(region.readw(2)).toBe(0xbeef);
    region.writel(0xdeadbeef, 4);
    expect(region.readl(4)).toBe(0xdeadbeef);
    region.writeq(0x0123_4567_89ab_cdefn, 8);
    expect(region.readq(8)).toBe(0x0123_4567_89ab_cdefn);

    region.writeb_relaxed(0x12, 16);
    region.writew_relaxed(0x3456, 18);
    region.writel_relaxed(0x789abcde, 20);
    region.writeq_relaxed(0xffff_0000_ffff_0000n, 24);
    expect([region.readb_relaxed(16), region.readw_relaxed(18), region.readl_relaxed(20)]).toEqual([0x12, 0x3456, 0x789abcde]);
    expect(region.readq_relaxed(24)).toBe(0xffff_0000_ffff_0000n);

    region.iowrite8(0x9a, 32);
    region.iowrite16(0xa5a5, 34);
    region.iowrite32(0xcafef00d, 36);
    region.iowrite64(0xfeed_face_dead_beefn, 40);
    expect([region.ioread8(32), region.ioread16(34), region.ioread32(36)]).toEqual([0x9a, 0xa5a5, 0xcafef00d]);
    expect(region.ioread64(40)).toBe(0xfeed_face_dead_beefn);
  });

  it('makes exactly one device access of the stated width per accessor', () => {
    const { region, device } = makeRegion();
    region.readb(3);
    region.readw(6);
    region.readl(12);
    region.readq(16);
    region.writel(1, 4);
    region.ioread32be(8);
    expect(device.log.map(({ op, offset, width }) => `${op}${width}@${offset}`)).toEqual(['r1@3', 'r2@6', 'r4@12', 'r8@16', 'w4@4', 'r4@8']);
  });

  it('is little-endian: a 32-bit write reads back as bytes low first', () => {
    const { region } = makeRegion();
    region.writel(0x11223344, 0);
    expect([0, 1, 2, 3].map((i) => region.readb(i))).toEqual([0x44, 0x33, 0x22, 0x11]);
    expect(region.readw(2)).toBe(0x1122);
  });

  it('swaps bytes for ioread16be/ioread32be and iowrite16be/iowrite32be', () => {
    const { region } = makeRegion();
    region.writel(0x11223344, 0);
    expect(region.ioread32be(0)).toBe(0x44332211);
    expect(region.ioread16be(0)).toBe(0x4433);
    region.iowrite32be(0xa1b2c3d4, 4);
    expect(region.readl(4)).toBe(0xd4c3b2a1);
    region.iowrite16be(0x1234, 8);
    expect(region.readw(8)).toBe(0x3412);
    region.iowrite32be(0x80000001, 12);
    expect(region.ioread32be(12)).toBe(0x80000001);
  });

  it('accepts signed values that fit and stores them unsigned', () => {
    const { region } = makeRegion();
    region.writel(-1, 0);
    expect(region.readl(0)).toBe(0xffffffff);
    region.writel(~0x0f, 4);
    expect(region.readl(4)).toBe(0xfffffff0);
    region.writeb(-128, 8);
    expect(region.readb(8)).toBe(0x80);
    region.writeq(-1n, 16);
    expect(region.readq(16)).toBe(0xffff_ffff_ffff_ffffn);
    region.writeq(5 as unknown as bigint, 24);
    expect(region.readq(24)).toBe(5n);
  });
});

describe('SimRegion argument checks', () => {
  const { region } = makeRegion(64);

  it('rejects offsets out of the region', () => {
    expect(codeOf(() => region.readl(64))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.readq(60))).toBe('ERR_UNALIGNED');
    expect(codeOf(() => region.readq(64))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.readb(-1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.readw(1.5))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.writel(0, 64))).toBe('ERR_OUT_OF_RANGE');
    expect(region.readl(60)).toBe(0);
  });

  it('rejects unaligned offsets', () => {
    expect(codeOf(() => region.readw(1))).toBe('ERR_UNALIGNED');
    expect(codeOf(() => region.readl(2))).toBe('ERR_UNALIGNED');
    expect(codeOf(() => region.writeq(0n, 4))).toBe('ERR_UNALIGNED');
    expect(codeOf(() => region.ioread32be(6))).toBe('ERR_UNALIGNED');
  });

  it('rejects offsets and values of the wrong type', () => {
    expect(codeOf(() => region.readl('4' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
    expect(() => region.readl(undefined as unknown as number)).toThrow(TypeError);
    expect(codeOf(() => region.writel('1' as unknown as number, 0))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => region.writel(1n as unknown as number, 0))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => region.writeq('1' as unknown as bigint, 0))).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('rejects values that do not fit the width', () => {
    expect(codeOf(() => region.writeb(0x100, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.writew(0x10000, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.writel(0x1_0000_0000, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.writel(1.5, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.writeq(1n << 64n, 0))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.iowrite16be(0x10000, 0))).toBe('ERR_OUT_OF_RANGE');
  });

  it('throws RangeError and TypeError instances', () => {
    expect(() => region.readl(2)).toThrow(RangeError);
    expect(() => region.readl(null as unknown as number)).toThrow(TypeError);
  });
});

describe('SimRegion block operations', () => {
  it('memcpy_fromio splits into the widest naturally aligned accesses and copies the bytes', () => {
    const { region, device } = makeRegion(32);
    for (let i = 0; i < 32; i++) region.writeb(i + 1, i);
    device.log.length = 0;
    const dst = new Uint8Array(20);
    region.memcpy_fromio(dst, 1, 14);
    expect(device.log.map(({ op, offset, width }) => `${op}${width}@${offset}`)).toEqual([
      'r1@1',
      'r2@2',
      'r4@4',
      'r4@8',
      'r2@12',
      'r1@14',
    ]);
    expect([...dst.subarray(0, 14)]).toEqual(Array.from({ length: 14 }, (_, i) => i + 2));
    expect(dst[14]).toBe(0);
  });

  it('memcpy_fromio uses 8-byte reads where aligned', () => {
    const { region, device } = makeRegion(32);
    region.memcpy_fromio(new Uint8Array(24), 0, 24);
    expect(device.log.map((a) => a.width)).toEqual([8, 8, 8]);
  });

  it('memcpy_toio writes the bytes with the same split', () => {
    const { region, device } = makeRegion(32);
    const src = Uint8Array.from({ length: 16 }, (_, i) => 0xa0 + i);
    region.memcpy_toio(3, src, 13);
    expect(device.log.map(({ offset, width }) => `${width}@${offset}`)).toEqual(['1@3', '4@4', '8@8']);
    expect(device.log[2].value).toBe(0xacab_aaa9_a8a7_a6a5n);
    expect([...Array(13).keys()].map((i) => region.readb(3 + i))).toEqual([...src.subarray(0, 13)]);
    expect(region.readb(16)).toBe(0);
  });

  it('memcpy works on a subarray view with a byte offset', () => {
    const { region } = makeRegion(16);
    const backing = new Uint8Array(12);
    const view = backing.subarray(4, 12);
    region.writeq(0x0807_0605_0403_0201n, 0);
    region.memcpy_fromio(view, 0, 8);
    expect([...backing]).toEqual([0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('memset_io fills with the byte replicated in each access', () => {
    const { region, device } = makeRegion(32);
    region.memset_io(2, 0x5a, 14);
    expect(device.log.map(({ offset, width, value }) => `${width}@${offset}=${value.toString(16)}`)).toEqual([
      '2@2=5a5a',
      '4@4=5a5a5a5a',
      '8@8=5a5a5a5a5a5a5a5a',
    ]);
    expect(region.readb(1)).toBe(0);
    expect(region.readb(15)).toBe(0x5a);
    expect(region.readb(16)).toBe(0);
  });

  it('checks counts, buffers and bounds of block operations', () => {
    const { region } = makeRegion(32);
    expect(codeOf(() => region.memcpy_fromio(new Uint8Array(4), 0, 5))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.memcpy_fromio(new Uint8Array(8), 28, 8))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.memcpy_toio(0, [1, 2] as unknown as Uint8Array, 2))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => region.memcpy_toio(0, new Uint8Array(4), -1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.memset_io(0, 0x100, 4))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.memset_io(30, 0, 4))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.memset_io(0, 0, '4' as unknown as number))).toBe('ERR_INVALID_ARG_TYPE');
  });

  it('a zero count makes no access', () => {
    const { region, device } = makeRegion(32);
    region.memcpy_fromio(new Uint8Array(0), 32, 0);
    region.memset_io(5, 1, 0);
    expect(device.log).toEqual([]);
  });
});

describe('SimRegion _rep operations', () => {
  /** A FIFO at offset 0: reads pop the next value, writes are collected. */
  function fifoRegion(values: number[]): { region: SimRegion; written: number[] } {
    const written: number[] = [];
    const device: SimDevice = {
      size: 16,
      read: () => values.shift() ?? 0,
      write: (_offset, _width, value) => void written.push(value as number),
    };
    return { region: new SimRegion(device), written };
  }

  it('ioreadN_rep reads the same register count times', () => {
    const { region } = fifoRegion([1, 2, 3, 4, 5]);
    const dst = new Uint32Array(4);
    region.ioread32_rep(4, dst, 3);
    expect([...dst]).toEqual([1, 2, 3, 0]);
    const dst16 = new Uint16Array(2);
    region.ioread16_rep(2, dst16, 2);
    expect([...dst16]).toEqual([4, 5]);
    const dst8 = new Uint8Array(1);
    region.ioread8_rep(1, dst8, 1);
    expect(dst8[0]).toBe(0);
  });

  it('iowriteN_rep writes each element to the same register', () => {
    const { region, written } = fifoRegion([]);
    region.iowrite32_rep(8, Uint32Array.of(0xffffffff, 7), 2);
    region.iowrite16_rep(2, Uint16Array.of(0xbeef), 1);
    region.iowrite8_rep(3, Uint8Array.of(9, 8, 7), 3);
    expect(written).toEqual([0xffffffff, 7, 0xbeef, 9, 8, 7]);
  });

  it('checks the register offset, the buffer type and the count', () => {
    const { region } = makeRegion(16);
    expect(codeOf(() => region.ioread32_rep(2, new Uint32Array(1), 1))).toBe('ERR_UNALIGNED');
    expect(codeOf(() => region.ioread32_rep(16, new Uint32Array(1), 1))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.ioread32_rep(0, new Uint8Array(4) as unknown as Uint32Array, 1))).toBe('ERR_INVALID_ARG_TYPE');
    expect(codeOf(() => region.iowrite16_rep(0, new Uint16Array(2), 3))).toBe('ERR_OUT_OF_RANGE');
    expect(codeOf(() => region.iowrite8_rep(0, new Uint8Array(2), -1))).toBe('ERR_OUT_OF_RANGE');
    // The count is in elements, not limited by the region's size: 100 reads of one register are fine.
    expect(() => region.ioread8_rep(15, new Uint8Array(100), 100)).not.toThrow();
  });
});

describe('SimRegion polling', () => {
  /** A register at 0 whose bit 0 clears on the fourth read. */
  function busyRegion(readsBusy = 3): SimRegion {
    let reads = 0;
    const device: SimDevice = {
      size: 16,
      read: (_offset, width) => {
        const busy = reads++ < readsBusy ? 1 : 0;
        return width === 8 ? BigInt(busy) : busy;
      },
      write: () => {},
    };
    return new SimRegion(device, { name: 'busy' });
  }

  it('readl_poll_timeout resolves with the value that met the condition', async () => {
    await expect(busyRegion().readl_poll_timeout(0, { mask: 1, value: 0 }, 0, 100_000)).resolves.toBe(0);
    await expect(busyRegion().readb_poll_timeout(0, (v) => v === 0, 10, 100_000)).resolves.toBe(0);
    await expect(busyRegion().readw_poll_timeout(0, (v) => v === 0, 10, 100_000)).resolves.toBe(0);
    await expect(busyRegion().readq_poll_timeout(0, { mask: 1n, value: 0n }, 10, 100_000)).resolves.toBe(0n);
  });

  it('readl_poll_timeout_atomic returns the value that met the condition', () => {
    expect(busyRegion().readl_poll_timeout_atomic(0, { mask: 1, value: 0 }, 0, 100_000)).toBe(0);
    expect(busyRegion().readb_poll_timeout_atomic(0, (v) => v === 0, 1, 100_000)).toBe(0);
    expect(busyRegion().readw_poll_timeout_atomic(0, (v) => v === 0, 1, 100_000)).toBe(0);
    expect(busyRegion().readq_poll_timeout_atomic(0, (v) => v === 0n, 1, 100_000)).toBe(0n);
  });

  it('times out with ETIMEDOUT carrying the last value', async () => {
    const forever = busyRegion(Infinity);
    await expect(forever.readl_poll_timeout(0, { mask: 1, value: 0 }, 100, 2_000)).rejects.toMatchObject({
      code: 'ETIMEDOUT',
      value: 1,
      path: 'sim:busy',
    });
    let caught: unknown;
    try {
      forever.readl_poll_timeout_atomic(0, { mask: 1, value: 0 }, 0, 1_000);
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ code: 'ETIMEDOUT', value: 1, syscall: 'readl_poll_timeout_atomic' });
  });

  it('rejects bad poll arguments like the accessors do', async () => {
    const region = busyRegion();
    await expect(region.readl_poll_timeout(2, { mask: 1, value: 0 }, 0, 1000)).rejects.toMatchObject({ code: 'ERR_UNALIGNED' });
    await expect(region.readl_poll_timeout(0, { mask: 1, value: 0 }, -1, 1000)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    expect(codeOf(() => region.readl_poll_timeout_atomic(0, 'x' as never, 0, 1000))).toBe('ERR_INVALID_ARG_TYPE');
  });
});

describe('SimRegion after iounmap', () => {
  const calls: [string, (r: IoRegion) => unknown][] = [
    ['readb', (r) => r.readb(0)],
    ['readw', (r) => r.readw(0)],
    ['readl', (r) => r.readl(0)],
    ['readq', (r) => r.readq(0)],
    ['readl_relaxed', (r) => r.readl_relaxed(0)],
    ['readq_relaxed', (r) => r.readq_relaxed(0)],
    ['writeb', (r) => r.writeb(0, 0)],
    ['writel', (r) => r.writel(0, 0)],
    ['writeq', (r) => r.writeq(0n, 0)],
    ['writew_relaxed', (r) => r.writew_relaxed(0, 0)],
    ['ioread8', (r) => r.ioread8(0)],
    ['ioread16be', (r) => r.ioread16be(0)],
    ['ioread32be', (r) => r.ioread32be(0)],
    ['ioread64', (r) => r.ioread64(0)],
    ['iowrite32', (r) => r.iowrite32(0, 0)],
    ['iowrite16be', (r) => r.iowrite16be(0, 0)],
    ['iowrite32be', (r) => r.iowrite32be(0, 0)],
    ['memcpy_fromio', (r) => r.memcpy_fromio(new Uint8Array(4), 0, 4)],
    ['memcpy_toio', (r) => r.memcpy_toio(0, new Uint8Array(4), 4)],
    ['memset_io', (r) => r.memset_io(0, 0, 4)],
    ['ioread32_rep', (r) => r.ioread32_rep(0, new Uint32Array(1), 1)],
    ['iowrite8_rep', (r) => r.iowrite8_rep(0, new Uint8Array(1), 1)],
    ['readl_poll_timeout_atomic', (r) => r.readl_poll_timeout_atomic(0, () => true, 0, 0)],
    // Even with bad arguments, the unmapped error wins.
    ['readl with a bad offset', (r) => r.readl(3)],
  ];

  it.each(calls)('%s throws ERR_IOMEM_UNMAPPED', (_name, call) => {
    const { region, device } = makeRegion();
    region.iounmap();
    expect(codeOf(() => call(region))).toBe('ERR_IOMEM_UNMAPPED');
    expect(device.log).toEqual([]);
  });

  it('the async poll rejects with ERR_IOMEM_UNMAPPED', async () => {
    const { region } = makeRegion();
    region.iounmap();
    await expect(region.readl_poll_timeout(0, () => true, 0, 0)).rejects.toMatchObject({ code: 'ERR_IOMEM_UNMAPPED' });
  });

  it('reports mapped false, and a second iounmap is harmless', () => {
    const { region } = makeRegion();
    region.iounmap();
    expect(region.mapped).toBe(false);
    expect(() => region.iounmap()).not.toThrow();
    expect(region.mapped).toBe(false);
  });

  it('the error names the region', () => {
    const { region } = makeRegion();
    region.iounmap();
    expect(() => region.readl(0)).toThrow(/sim:test/);
  });
});

describe('SimRegion disposal', () => {
  it('Symbol.dispose unmaps', () => {
    const { region } = makeRegion();
    region[Symbol.dispose]();
    expect(region.mapped).toBe(false);
  });

  it('a using block unmaps at its end', () => {
    const { region } = makeRegion();
    {
      using r = region;
      r.writel(1, 0);
      expect(r.mapped).toBe(true);
    }
    expect(region.mapped).toBe(false);
    expect(codeOf(() => region.readl(0))).toBe('ERR_IOMEM_UNMAPPED');
  });
});
