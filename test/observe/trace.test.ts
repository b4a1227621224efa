import { describe, expect, it } from 'vitest';
import type { IoRegion } from '../../lib/core/io-region.js';
import { RegisterModel, SimRegion, createSimEdu } from '../../lib/sim/index.js';
import { collapseRepeats, formatTrace, traceRegion, withoutTime, type TraceEntry } from '../../lib/observe/trace.js';

function memory(size = 64): SimRegion {
  return new SimRegion(new RegisterModel({ size }), { name: 'mem', phys: 0x4000n });
}

const entry = (op: 'read' | 'write', width: 1 | 2 | 4 | 8, offset: number, value: number | bigint, extra: Partial<TraceEntry> = {}): TraceEntry => ({
  op,
  width,
  offset,
  value,
  timeNs: 0n,
  ...extra,
});

describe('traceRegion records single accesses', () => {
  it('records reads and writes of every width with their values', () => {
    const traced = traceRegion(memory());
    traced.writeb(0x12, 1);
    traced.writew(0x3456, 2);
    traced.writel(0x789a_bcde, 4);
    traced.writeq(0x1122_3344_5566_7788n, 8);
    expect(traced.readb(1)).toBe(0x12);
    expect(traced.readw_relaxed(2)).toBe(0x3456);
    expect(traced.ioread32(4)).toBe(0x789a_bcde);
    expect(traced.readq(8)).toBe(0x1122_3344_5566_7788n);
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'write', width: 1, offset: 1, value: 0x12 },
      { op: 'write', width: 2, offset: 2, value: 0x3456 },
      { op: 'write', width: 4, offset: 4, value: 0x789a_bcde },
      { op: 'write', width: 8, offset: 8, value: 0x1122_3344_5566_7788n },
      { op: 'read', width: 1, offset: 1, value: 0x12 },
      { op: 'read', width: 2, offset: 2, value: 0x3456 },
      { op: 'read', width: 4, offset: 4, value: 0x789a_bcde },
      { op: 'read', width: 8, offset: 8, value: 0x1122_3344_5566_7788n },
    ]);
    expect(traced.trace.every((e) => e.via === undefined)).toBe(true);
  });

  it('records writes as the unsigned values stored', () => {
    const traced = traceRegion(memory());
    traced.writel(-1, 0);
    traced.writeb(-1, 4);
    traced.writeq(-2n, 8);
    expect(traced.trace.map((e) => e.value)).toEqual([0xffff_ffff, 0xff, 0xffff_ffff_ffff_fffen]);
  });

  it('records big-endian accessors with the value as it crossed the bus', () => {
    const traced = traceRegion(memory());
    traced.iowrite32be(0x1122_3344, 0);
    expect(traced.ioread32be(0)).toBe(0x1122_3344);
    traced.iowrite16be(0xaabb, 4);
    expect(traced.ioread16be(4)).toBe(0xaabb);
    expect(withoutTime(traced.trace).map((e) => e.value)).toEqual([0x4433_2211, 0x4433_2211, 0xbbaa, 0xbbaa]);
    expect(traced.trace.map((e) => e.via)).toEqual(['iowrite32be', 'ioread32be', 'iowrite16be', 'ioread16be']);
  });

  it('has increasing timestamps', () => {
    const traced = traceRegion(memory());
    traced.readl(0);
    traced.readl(4);
    expect(typeof traced.trace[0].timeNs).toBe('bigint');
    expect(traced.trace[1].timeNs >= traced.trace[0].timeNs).toBe(true);
  });

  it('records nothing for an access that throws, and passes the error through', () => {
    const traced = traceRegion(memory());
    expect(() => traced.readl(2)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => traced.writeb(0x100, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(traced.trace).toEqual([]);
  });
});

describe('traceRegion records block, rep and poll operations access by access', () => {
  it('memcpy_fromio/toio as the widest aligned accesses', () => {
    const traced = traceRegion(memory());
    traced.memcpy_toio(2, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14), 14);
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'write', width: 2, offset: 2, value: 0x0201 },
      { op: 'write', width: 4, offset: 4, value: 0x0605_0403 },
      { op: 'write', width: 8, offset: 8, value: 0x0e0d_0c0b_0a09_0807n },
    ]);
    traced.trace.length = 0;
    const dst = new Uint8Array(3);
    traced.memcpy_fromio(dst, 3, 3);
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'read', width: 1, offset: 3, value: 0x02 },
      { op: 'read', width: 2, offset: 4, value: 0x0403 },
    ]);
    expect(traced.trace.map((e) => e.via)).toEqual(['memcpy_fromio', 'memcpy_fromio']);
  });

  it('memset_io with the byte replicated', () => {
    const traced = traceRegion(memory());
    traced.memset_io(7, 0xab, 9);
    expect(withoutTime(traced.trace)).toEqual([
      { op: 'write', width: 1, offset: 7, value: 0xab },
      { op: 'write', width: 8, offset: 8, value: 0xabab_abab_abab_ababn },
    ]);
  });

  it('_rep operations as one access per element at the same offset', () => {
    const traced = traceRegion(memory());
    traced.iowrite16_rep(6, Uint16Array.of(1, 2, 3), 2);
    const dst = new Uint32Array(2);
    traced.ioread32_rep(4, dst, 2); // bytes 6..7 hold the last element written: 0x0002_0000
    traced.iowrite8_rep(1, Uint8Array.of(7), 1);
    traced.ioread8_rep(1, new Uint8Array(1), 1);
    traced.iowrite32_rep(12, Uint32Array.of(0xffff_ffff), 1);
    traced.ioread16_rep(6, new Uint16Array(1), 1);
    expect(traced.trace.map((e) => `${e.op} ${e.width}@${e.offset}=${e.value} ${e.via}`)).toEqual([
      'write 2@6=1 iowrite16_rep',
      'write 2@6=2 iowrite16_rep',
      'read 4@4=131072 ioread32_rep',
      'read 4@4=131072 ioread32_rep',
      'write 1@1=7 iowrite8_rep',
      'read 1@1=7 ioread8_rep',
      'write 4@12=4294967295 iowrite32_rep',
      'read 2@6=2 ioread16_rep',
    ]);
  });

  it('polls as their individual reads, sync and async', async () => {
    const edu = createSimEdu({ factorialBusyUs: Infinity });
    const traced = traceRegion(edu.regs);
    traced.writel(3, 0x08);
    expect(traced.readl_poll_timeout_atomic(0x20, { mask: 1, value: 0 }, 0, 100_000)).toBe(0);
    traced.writel(3, 0x08);
    await expect(traced.readl_poll_timeout(0x20, { mask: 1, value: 0 }, 0, 100_000)).resolves.toBe(0);
    const polls = traced.trace.filter((e) => e.op === 'read');
    expect(polls.map((e) => `${e.value} ${e.via}`)).toEqual([
      ...Array(3).fill('1 readl_poll_timeout_atomic'),
      '0 readl_poll_timeout_atomic',
      ...Array(3).fill('1 readl_poll_timeout'),
      '0 readl_poll_timeout',
    ]);
    edu.close();
  });

  it('polls of other widths are traced too, and timeouts keep the error', async () => {
    const traced = traceRegion(memory());
    traced.writeq(5n, 8);
    expect(traced.readb_poll_timeout_atomic(8, (v) => v === 5, 0, 0)).toBe(5);
    expect(traced.readw_poll_timeout_atomic(8, (v) => v === 5, 0, 0)).toBe(5);
    expect(traced.readq_poll_timeout_atomic(8, (v) => v === 5n, 0, 0)).toBe(5n);
    await expect(traced.readb_poll_timeout(8, (v) => v === 5, 0, 0)).resolves.toBe(5);
    await expect(traced.readw_poll_timeout(8, (v) => v === 5, 0, 0)).resolves.toBe(5);
    await expect(traced.readq_poll_timeout(8, (v) => v === 5n, 0, 0)).resolves.toBe(5n);
    expect(traced.trace.slice(1).map((e) => e.width)).toEqual([1, 2, 8, 1, 2, 8]);
    await expect(traced.readl_poll_timeout(8, () => false, 0, 1_000)).rejects.toMatchObject({ code: 'ETIMEDOUT', path: 'sim:mem' });
  });
});

describe('traceRegion errors', () => {
  it('a traced poll fails like the inner region: offset before condition, unmapped first', async () => {
    const inner = memory();
    const traced = traceRegion(inner);
    const codeOf = (call: () => unknown): unknown => {
      try {
        call();
      } catch (e) {
        return (e as { code?: unknown }).code;
      }
    };
    const badAtomic = (r: IoRegion) => r.readl_poll_timeout_atomic(2, 'x' as never, 0, 0);
    expect(codeOf(() => badAtomic(traced))).toBe(codeOf(() => badAtomic(inner)));
    expect(codeOf(() => badAtomic(traced))).toBe('ERR_UNALIGNED');
    await expect(traced.readq_poll_timeout(4, 'x' as never, 0, 0)).rejects.toMatchObject({ code: 'ERR_UNALIGNED' });
    inner.iounmap();
    expect(codeOf(() => badAtomic(traced))).toBe('ERR_IOMEM_UNMAPPED');
    await expect(traced.readb_poll_timeout(0, () => true, 0, 0)).rejects.toMatchObject({ code: 'ERR_IOMEM_UNMAPPED' });
    expect(traced.trace).toEqual([]);
  });
});

describe('traceRegion as an IoRegion', () => {
  it('forwards size, phys, path and mapped; iounmap and dispose unmap the inner region', () => {
    const inner = memory(32);
    const traced = traceRegion(inner);
    expect([traced.size, traced.phys, traced.path, traced.mapped]).toEqual([32, 0x4000n, 'sim:mem', true]);
    expect(traced.inner).toBe(inner);
    traced.iounmap();
    expect(inner.mapped).toBe(false);
    expect(traced.mapped).toBe(false);
    expect(() => traced.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));

    const other = memory();
    traceRegion(other)[Symbol.dispose]();
    expect(other.mapped).toBe(false);
  });

  it('appends to a given array, so two regions can share one trace', () => {
    const shared: TraceEntry[] = [];
    const a = traceRegion(memory(), shared);
    const b = traceRegion(memory(), shared);
    a.writel(1, 0);
    b.writel(2, 4);
    expect(a.trace).toBe(shared);
    expect(shared.map((e) => e.value)).toEqual([1, 2]);
  });
});

describe('formatTrace', () => {
  it('prints one line per access with widths, padded offsets and values', () => {
    const text = formatTrace([
      entry('write', 4, 0x4, 0x1234_5678),
      entry('read', 1, 0x21, 0x7),
      entry('read', 2, 0x22, 0xbeef),
      entry('write', 8, 0x8, 0xffn),
    ]);
    expect(text).toBe(
      ['W32 +0x004 = 0x12345678', 'R8  +0x021 = 0x07', 'R16 +0x022 = 0xbeef', 'W64 +0x008 = 0x00000000000000ff'].join('\n'),
    );
  });

  it('widens the offset column for large offsets', () => {
    expect(formatTrace([entry('read', 4, 0, 0), entry('read', 4, 0xf_fffc, 0)])).toBe(
      'R32 +0x00000 = 0x00000000\nR32 +0xffffc = 0x00000000',
    );
  });

  it('adds register names, via and repeat counts', () => {
    const entries = [entry('read', 4, 0x20, 1, { via: 'readl_poll_timeout', repeat: 3 }), entry('write', 4, 0x64, 2)];
    expect(formatTrace(entries, { names: { 0x20: 'STATUS' } })).toBe(
      'R32 +0x020 = 0x00000001  STATUS  [readl_poll_timeout]  x3\nW32 +0x064 = 0x00000002',
    );
    expect(formatTrace(entries, { names: (offset) => (offset === 0x64 ? 'ACK' : undefined) })).toBe(
      'R32 +0x020 = 0x00000001  [readl_poll_timeout]  x3\nW32 +0x064 = 0x00000002  ACK',
    );
  });

  it('optionally prefixes the time since the first entry in microseconds', () => {
    const lines = formatTrace([entry('read', 4, 0, 0, { timeNs: 1_000n }), entry('read', 4, 4, 0, { timeNs: 13_500n })], { time: true }).split('\n');
    expect(lines[0]).toBe('       0.000 us  R32 +0x000 = 0x00000000');
    expect(lines[1]).toBe('      12.500 us  R32 +0x004 = 0x00000000');
  });

  it('returns an empty string for no entries', () => {
    expect(formatTrace([])).toBe('');
  });
});

describe('collapseRepeats and withoutTime', () => {
  it('merges runs of identical accesses, counting them', () => {
    const collapsed = collapseRepeats([
      entry('read', 4, 0x20, 1, { timeNs: 1n }),
      entry('read', 4, 0x20, 1, { timeNs: 2n }),
      entry('read', 4, 0x20, 1, { timeNs: 3n }),
      entry('read', 4, 0x20, 0),
      entry('write', 4, 0x20, 0),
      entry('read', 4, 0x20, 0),
    ]);
    expect(collapsed.map((e) => [e.op, e.value, e.repeat, e.timeNs])).toEqual([
      ['read', 1, 3, 1n],
      ['read', 0, undefined, 0n],
      ['write', 0, undefined, 0n],
      ['read', 0, undefined, 0n],
    ]);
  });

  it('does not modify its input, and adds up already collapsed entries', () => {
    const input = [entry('read', 4, 0, 1, { repeat: 2 }), entry('read', 4, 0, 1)];
    const collapsed = collapseRepeats(input);
    expect(collapsed[0].repeat).toBe(3);
    expect(input[0].repeat).toBe(2);
  });

  it('withoutTime keeps only op, width, offset and value', () => {
    expect(withoutTime([entry('read', 2, 6, 9, { via: 'x', repeat: 2, timeNs: 5n })])).toEqual([
      { op: 'read', width: 2, offset: 6, value: 9 },
    ]);
  });
});
