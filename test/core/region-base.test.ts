/**
 * lib/core/region-base.ts: a backend that implements only the primitives gets the whole kernel-named family,
 * each call reaching exactly one primitive access of the right width, told which accessor asked; the family
 * list is the IoRegion surface as SimRegion has it, so an accessor added to one and not the other fails here.
 */
import { describe, expect, it } from 'vitest';
import type { BusValue } from '../../lib/core/bus-value.js';
import type { AccessWidth } from '../../lib/core/io-region.js';
import { RegionBase, swabFor, type ReadAccessor, type WriteAccessor } from '../../lib/core/region-base.js';
import { NativeRegion } from '../../lib/linux/native-region.js';

type Call = [op: 'read' | 'write' | 'busRead' | 'busWrite', via: string, offset: number, width: AccessWidth, value?: BusValue];

/** The smallest backend: 64 bytes of little-endian memory, every primitive call written down. */
class LoggingRegion extends RegionBase {
  readonly size = 64;
  readonly phys = 0x1000n;
  readonly path = 'test:logging';
  mapped = true;
  readonly calls: Call[] = [];
  readonly bytes = new DataView(new ArrayBuffer(64));

  private get(offset: number, width: AccessWidth): BusValue {
    const v = this.bytes;
    return width === 1 ? v.getUint8(offset) : width === 2 ? v.getUint16(offset, true) : width === 4 ? v.getUint32(offset, true) : v.getBigUint64(offset, true);
  }
  private set(offset: number, width: AccessWidth, value: BusValue): void {
    const v = this.bytes;
    if (width === 1) v.setUint8(offset, value as number);
    else if (width === 2) v.setUint16(offset, value as number, true);
    else if (width === 4) v.setUint32(offset, value as number, true);
    else v.setBigUint64(offset, value as bigint, true);
  }
  protected read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue {
    this.checkAccess(offset, width);
    this.calls.push(['read', via, offset, width]);
    const value = this.get(offset, width);
    return width === 8 ? value : swabFor(via, value as number, width);
  }
  protected write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void {
    this.checkAccess(offset, width);
    const bus = this.checkWriteValue(value, width);
    this.calls.push(['write', via, offset, width, bus]);
    this.set(offset, width, width === 8 ? bus : swabFor(via, bus as number, width));
  }
  protected busRead(offset: number, width: AccessWidth): BusValue {
    this.calls.push(['busRead', '', offset, width]);
    return this.get(offset, width);
  }
  protected busWrite(offset: number, width: AccessWidth, value: BusValue): void {
    this.calls.push(['busWrite', '', offset, width, value]);
    this.set(offset, width, value);
  }
  iounmap(): void {
    this.mapped = false;
  }
}

/** Every public method of the region surface, read off a real backend so none can be left out. */
const PRIMITIVES = ['read', 'write', 'busRead', 'busWrite', 'checkAccess', 'checkWriteValue', 'pollSync', 'pollAsync'];
const surface = Object.getOwnPropertyNames(RegionBase.prototype).filter((name) => name !== 'constructor' && !PRIMITIVES.includes(name));

const widthOf = (name: string): AccessWidth => (/(^|[^0-9])(8|b)(_|$|\b)|readb|writeb|ioread8|iowrite8/.test(name) ? 1 : /16|readw|writew/.test(name) ? 2 : /64|readq|writeq/.test(name) ? 8 : 4);

describe('RegionBase: the family from the primitives', () => {
  it('covers the whole IoRegion surface, as the independently written native backend has it', () => {
    const own = (proto: object) => Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && !PRIMITIVES.includes(n)).sort();
    // `mapped` and `iounmap` are each backend's own (abstract in the base).
    const native = own(NativeRegion.prototype).filter((n) => n !== 'mapped' && n !== 'iounmap' && n !== 'checkOffset'); // checkOffset: protected, for the Wasm window's subclass
    expect(own(RegionBase.prototype)).toEqual(native);
    expect(surface).toHaveLength(45); // 14 reads, 14 writes, 3 block operations, 6 _rep, 8 polls
  });

  for (const name of surface.filter((n) => /^(read|ioread)[a-z0-9]*(_relaxed|be)?$/.test(n) && !n.includes('poll') && !n.includes('rep'))) {
    it(`${name}: one read primitive call, of its width, via '${name}'`, () => {
      const r = new LoggingRegion();
      const width = widthOf(name);
      const value = (r as unknown as Record<string, (o: number) => BusValue>)[name](8);
      expect(r.calls).toEqual([['read', name, 8, width]]);
      expect(value).toBe(width === 8 ? 0n : 0);
    });
  }

  for (const name of surface.filter((n) => /^(write|iowrite)[a-z0-9]*(_relaxed|be)?$/.test(n) && !n.includes('rep'))) {
    it(`${name}: one write primitive call, of its width, via '${name}'`, () => {
      const r = new LoggingRegion();
      const width = widthOf(name);
      (r as unknown as Record<string, (v: number | bigint, o: number) => void>)[name](width === 8 ? 0x0102_0304_0506_0708n : 0x12, 8);
      expect(r.calls).toEqual([['write', name, 8, width, width === 8 ? 0x0102_0304_0506_0708n : 0x12]]);
    });
  }

  it('big-endian accessors swap between the CPU and the bus, one access each', () => {
    const r = new LoggingRegion();
    r.iowrite32be(0x1122_3344, 0);
    expect(r.bytes.getUint32(0, true)).toBe(0x4433_2211);
    expect(r.ioread32be(0)).toBe(0x1122_3344);
    r.iowrite16be(0xabcd, 4);
    expect(r.bytes.getUint16(4, true)).toBe(0xcdab);
    expect(r.ioread16be(4)).toBe(0xabcd);
    expect(r.calls.map((c) => c[0])).toEqual(['write', 'read', 'write', 'read']);
  });

  it('memcpy_fromio/toio and memset_io split into the widest aligned bus accesses, checked once', () => {
    const r = new LoggingRegion();
    r.memcpy_toio(1, Uint8Array.from({ length: 14 }, (_, i) => i + 1), 14);
    expect(r.calls.map(([, , at, w]) => [at, w])).toEqual([[1, 1], [2, 2], [4, 4], [8, 4], [12, 2], [14, 1]]);
    const back = new Uint8Array(14);
    r.calls.length = 0;
    r.memcpy_fromio(back, 1, 14);
    expect([...back]).toEqual(Array.from({ length: 14 }, (_, i) => i + 1));
    expect(r.calls.every(([op]) => op === 'busRead')).toBe(true);
    r.calls.length = 0;
    r.memset_io(0, 0xa5, 16);
    expect(r.calls).toEqual([
      ['busWrite', '', 0, 8, 0xa5a5_a5a5_a5a5_a5a5n],
      ['busWrite', '', 8, 8, 0xa5a5_a5a5_a5a5_a5a5n],
    ]);
  });

  it('_rep operations make count accesses to the one register', () => {
    const r = new LoggingRegion();
    r.iowrite16_rep(6, Uint16Array.of(1, 2, 3), 3);
    expect(r.calls).toEqual([1, 2, 3].map((v) => ['busWrite', '', 6, 2, v]));
    const dst = new Uint32Array(2);
    r.calls.length = 0;
    r.ioread32_rep(4, dst, 2);
    expect(r.calls).toEqual([['busRead', '', 4, 4], ['busRead', '', 4, 4]]);
  });

  it('polls read through the read primitive, named by the poll', async () => {
    const r = new LoggingRegion();
    r.bytes.setUint32(4, 7, true);
    expect(r.readl_poll_timeout_atomic(4, { mask: 7, value: 7 }, 0, 1000)).toBe(7);
    await expect(r.readq_poll_timeout(8, (v) => v === 0n, 0, 1000)).resolves.toBe(0n);
    expect(r.calls).toEqual([
      ['read', 'readl_poll_timeout_atomic', 4, 4],
      ['read', 'readq_poll_timeout', 8, 8],
    ]);
  });

  it('the shared checks: unmapped, range and value errors come from the base, in the native order', () => {
    const r = new LoggingRegion();
    expect(() => r.writel(2 ** 32, 0)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => r.readl(64)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    expect(() => r.readl(2)).toThrow(expect.objectContaining({ code: 'ERR_UNALIGNED' }));
    expect(() => r.memcpy_fromio(new Uint8Array(4), 62, 4)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    r.iounmap();
    expect(() => r.ioread16_rep(0, new Uint16Array(1), 1)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    expect(() => r.readb_poll_timeout_atomic(0, () => true, 0, 0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    expect(r.calls).toEqual([]);
  });
});
