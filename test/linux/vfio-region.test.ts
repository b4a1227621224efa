/**
 * How a VFIO region is reached, on a regular file standing in for the device descriptor: whole-region mmap,
 * sparse-mmap areas with pread/pwrite elsewhere, and pread/pwrite only (regions without the MMAP flag).
 */
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NativeRegionInfo } from '../../lib/linux/addon.js';
import { mapVfioRegion, mmapAreas } from '../../lib/linux/vfio-region.js';
import { tempFile } from '../helpers/temp-file.js';

const SIZE = 4 * 4096;
let file: { path: string; cleanup(): void };
let fd: number;

beforeEach(() => {
  file = tempFile(SIZE);
  const bytes = new Uint8Array(SIZE);
  for (let i = 0; i < SIZE; i++) bytes[i] = i & 0xff;
  writeFileSync(file.path, bytes);
  fd = openSync(file.path, 'r+');
});
afterEach(() => {
  closeSync(fd);
  file.cleanup();
});

const info = (flags: number, sparse: [bigint, bigint][] | null, offset = 0n): NativeRegionInfo => ({
  index: 0,
  flags,
  size: BigInt(SIZE - Number(offset)),
  offset,
  sparse,
  msixMappable: false,
});

describe('VFIO regions', () => {
  it('mmapAreas: none without MMAP, the whole region without a sparse capability, else the listed areas', () => {
    expect(mmapAreas(info(3, null))).toEqual([]);
    expect(mmapAreas(info(7, null))).toEqual([[0, SIZE]]);
    expect(mmapAreas(info(15, [[0n, 4096n], [8192n, 0n], [12288n, 4096n]]))).toEqual([[0, 4096], [12288, 4096]]);
  });

  it('the whole region mmapped: a native region, the fast path', () => {
    let unmapped = 0;
    const m = mapVfioRegion(fd, info(7, null), 'vfio:test/bar0', 0xfe00_0000n, () => unmapped++);
    expect(m.access).toBe('mmap');
    expect(m.region.readl(4)).toBe(0x07060504);
    expect(m.region.phys).toBe(0xfe00_0000n);
    m.region.iounmap();
    expect(unmapped).toBe(1);
  });

  it('sparse: accesses inside an area go to its mapping, the others to pread/pwrite; iounmap unmaps all', () => {
    let unmapped = 0;
    const m = mapVfioRegion(fd, info(15, [[0n, 4096n], [8192n, 4096n]]), 'vfio:test/bar0', 0n, () => unmapped++);
    expect(m.access).toBe('sparse');
    const r = m.region;
    expect(r.readl(0)).toBe(0x03020100);
    expect(r.readl(4096)).toBe(0x03020100); // pread
    r.writel(0xdeadbeef, 4100); // pwrite
    r.writeq(0x1122334455667788n, 8192); // into the second mapped area
    const onDisk = readFileSync(file.path);
    expect(onDisk.readUInt32LE(4100)).toBe(0xdeadbeef);
    expect(onDisk.readBigUInt64LE(8192)).toBe(0x1122334455667788n);
    expect(r.readq(8192)).toBe(0x1122334455667788n);
    // the routing is real: with the first area's mapping gone, offset 0 fails while pread offsets still work
    (r as unknown as { parts: { iounmap(): void }[] }).parts[0].iounmap();
    expect(() => r.readl(0)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
    expect(r.readl(4096)).toBe(0x03020100);
    r.iounmap();
    expect(unmapped).toBe(1);
    expect(() => r.readl(4096)).toThrow(expect.objectContaining({ code: 'ERR_IOMEM_UNMAPPED' }));
  });

  it('no MMAP flag: pread/pwrite of exactly the access width, at the region offset; read-only regions stay so', () => {
    const m = mapVfioRegion(fd, info(3, null, 4096n), 'vfio:test/config', 0n, () => undefined);
    expect(m.access).toBe('pread');
    expect(m.region.readb(1)).toBe(0x01);
    expect(m.region.readw(2)).toBe(0x0302);
    m.region.writew(0xbeef, 8);
    expect(readFileSync(file.path).readUInt16LE(4096 + 8)).toBe(0xbeef);
    expect(() => m.region.readl(SIZE)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
  });

  it('a descriptor that refuses reads gives the pread error with a hint', () => {
    const wfd = openSync(file.path, 'w');
    try {
      const m = mapVfioRegion(wfd, info(3, null), 'vfio:test/bar0', 0n, () => undefined);
      expect(() => m.region.readl(0)).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'read', path: 'vfio:test/bar0' }));
    } finally {
      closeSync(wfd);
    }
  });
});
