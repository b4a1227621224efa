import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { IovaAllocator, smallestPage } from '../../lib/core/iova-allocator.js';
import { DMA_BIT_MASK } from '../../lib/core/dma.js';

// What the rig's Intel IOMMU reports (shared/notes/vfio-dma.md): 4K/2M/1G pages, the MSI window a hole.
const RIG = { ranges: [[0n, 0xfedf_ffffn], [0xfef0_0000n, 0x7f_ffff_ffffn]] as [bigint, bigint][], pageSizes: 0x4020_1000n, dmaAvail: 65535 };

describe('IovaAllocator', () => {
  it('takes the smallest reported page size as its granule', () => {
    expect(smallestPage(0x4020_1000n)).toBe(4096n);
    expect(smallestPage(0n)).toBe(4096n);
    expect(new IovaAllocator({ ...RIG, pageSizes: 0x20_0000n | 0x4000_0000n }).granule).toBe(0x20_0000n);
  });

  it('never hands out bus address 0, rounds sizes up to pages, and packs first fit from the bottom', () => {
    const a = new IovaAllocator(RIG);
    const x = a.alloc(1n, DMA_BIT_MASK(32));
    const y = a.alloc(5000n, DMA_BIT_MASK(32));
    expect(x).toEqual({ start: 0x1000n, size: 0x1000n });
    expect(y).toEqual({ start: 0x2000n, size: 0x2000n });
    a.free(x.start);
    expect(a.alloc(4096n, DMA_BIT_MASK(32)).start).toBe(0x1000n); // the hole is reused
  });

  it('skips the MSI window: a range that would cross 0xfee00000 goes above it', () => {
    const a = new IovaAllocator({ ...RIG, ranges: [[0x1000n, 0xfedf_ffffn], [0xfef0_0000n, 0x7f_ffff_ffffn]] });
    const big = a.alloc(0xfed0_0000n, DMA_BIT_MASK(40)); // fills nearly all of the low range
    const next = a.alloc(0x20_0000n, DMA_BIT_MASK(40));
    expect(big.start).toBe(0x1000n);
    expect(next.start).toBe(0xfef0_0000n);
  });

  it('honours the mask: everything below it, ENOSPC when nothing fits, with the mask in the hint', () => {
    const a = new IovaAllocator(RIG);
    const mask = DMA_BIT_MASK(16);
    const got = [];
    for (let i = 0; i < 15; i++) got.push(a.alloc(4096n, mask));
    expect(got.every((r) => r.start + r.size - 1n <= mask)).toBe(true);
    expect(() => a.alloc(4096n, mask)).toThrow(expect.objectContaining({ code: 'ENOSPC', hint: expect.stringContaining('0xffff') }));
    expect(a.alloc(4096n, DMA_BIT_MASK(32)).start).toBe(0x10000n); // a wider mask still gets space
  });

  it('counts DMA_AVAIL down and back up; at 0 it refuses with ENOSPC', () => {
    const a = new IovaAllocator({ ...RIG, dmaAvail: 2 });
    const x = a.alloc(1n, DMA_BIT_MASK(32));
    a.alloc(1n, DMA_BIT_MASK(32));
    expect(() => a.alloc(1n, DMA_BIT_MASK(32))).toThrow(expect.objectContaining({ code: 'ENOSPC', hint: expect.stringMatching(/DMA_AVAIL/) }));
    a.free(x.start);
    a.free(x.start); // a second free does nothing (and gives back nothing more)
    a.alloc(1n, DMA_BIT_MASK(32));
    expect(() => a.alloc(1n, DMA_BIT_MASK(32))).toThrow(expect.objectContaining({ code: 'ENOSPC' }));
  });

  it('refuses a size of 0', () => {
    expect(() => new IovaAllocator(RIG).alloc(0n, DMA_BIT_MASK(32))).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('property: live ranges never overlap, stay inside the ranges and under each mask, for any alloc/free sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ size: fc.integer({ min: 1, max: 5 << 20 }), bits: fc.integer({ min: 22, max: 40 }) }), fc.nat({ max: 50 })), { maxLength: 120 }),
        (ops) => {
          const a = new IovaAllocator(RIG);
          const live: { start: bigint; size: bigint; mask: bigint }[] = [];
          for (const op of ops) {
            if (typeof op === 'number') {
              if (live.length === 0) continue;
              const [r] = live.splice(op % live.length, 1);
              a.free(r.start);
              continue;
            }
            const mask = DMA_BIT_MASK(op.bits);
            try {
              const r = a.alloc(BigInt(op.size), mask);
              live.push({ ...r, mask });
            } catch (e) {
              expect((e as { code: string }).code).toBe('ENOSPC');
            }
          }
          const sorted = [...live].sort((x, y) => (x.start < y.start ? -1 : 1));
          for (let i = 0; i < sorted.length; i++) {
            const r = sorted[i];
            expect(r.start % 4096n).toBe(0n);
            expect(r.start).toBeGreaterThan(0n);
            expect(r.start + r.size - 1n).toBeLessThanOrEqual(r.mask);
            expect(RIG.ranges.some(([lo, hi]) => r.start >= lo && r.start + r.size - 1n <= hi)).toBe(true);
            if (i > 0) expect(sorted[i - 1].start + sorted[i - 1].size).toBeLessThanOrEqual(r.start);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
