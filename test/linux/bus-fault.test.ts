import { truncateSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mapFile, pageSize } from '../../lib/index.js';
import { tempFile } from '../helpers/temp-file.js';

/**
 * A bus fault reproduced without hardware: map a file, truncate it under the mapping, and touch a page past
 * its new end; the kernel raises SIGBUS, as an unclocked peripheral does on a board.
 */
describe('bus faults become EFAULT errors and the process lives on', () => {
  const page = pageSize();

  const truncatedRegion = () => {
    const file = tempFile(4 * page);
    const region = mapFile(file.path, 0, 4 * page);
    region.writel(0x1234, 0);
    truncateSync(file.path, page); // pages 1..3 are gone
    return { file, region };
  };

  it.each([
    ['readl', (r: ReturnType<typeof truncatedRegion>['region']) => r.readl(2 * page + 8)],
    ['readb', (r: ReturnType<typeof truncatedRegion>['region']) => r.readb(2 * page + 8)],
    ['readq_relaxed', (r: ReturnType<typeof truncatedRegion>['region']) => r.readq_relaxed(2 * page + 8)],
    ['writel', (r: ReturnType<typeof truncatedRegion>['region']) => r.writel(1, 2 * page + 8)],
    ['ioread32be', (r: ReturnType<typeof truncatedRegion>['region']) => r.ioread32be(2 * page + 8)],
    ['memcpy_fromio', (r: ReturnType<typeof truncatedRegion>['region']) => r.memcpy_fromio(new Uint8Array(64), 2 * page, 64)],
    ['memset_io', (r: ReturnType<typeof truncatedRegion>['region']) => r.memset_io(2 * page, 0, 64)],
    ['ioread32_rep', (r: ReturnType<typeof truncatedRegion>['region']) => r.ioread32_rep(2 * page + 8, new Uint32Array(4), 4)],
    [
      'readl_poll_timeout_atomic',
      (r: ReturnType<typeof truncatedRegion>['region']) => r.readl_poll_timeout_atomic(2 * page + 8, { mask: 1, value: 1 }, 0, 0),
    ],
  ])('%s past the end of a truncated file throws EFAULT with the address', (call, access) => {
    const { file, region } = truncatedRegion();
    try {
      expect(() => access(region)).toThrow(
        expect.objectContaining({
          code: 'EFAULT',
          errno: -14,
          syscall: call,
          signal: 'SIGBUS',
          offset: expect.any(Number),
          address: expect.any(BigInt),
          hint: expect.stringContaining('iounmap'),
        }),
      );
      // The region is poisoned: even the page that is still backed now throws, until it is mapped again.
      expect(() => region.readl(0)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      region.iounmap();
      const again = mapFile(file.path, 0, page);
      expect(again.readl(0)).toBe(0x1234);
      again.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it('reports the offset of the faulting access', () => {
    const { file, region } = truncatedRegion();
    try {
      let caught: { offset?: number; address?: bigint } = {};
      try {
        region.readl(3 * page + 0x40);
      } catch (e) {
        caught = e as typeof caught;
      }
      expect(caught.offset).toBe(3 * page + 0x40);
      expect(caught.address).toBe(BigInt(3 * page + 0x40));
      region.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it('a fault in one region leaves the others working', () => {
    const { file, region } = truncatedRegion();
    const other = tempFile(page);
    try {
      const healthy = mapFile(other.path, 0, page);
      healthy.writel(7, 0);
      expect(() => region.readl(2 * page)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      expect(healthy.readl(0)).toBe(7);
      healthy.iounmap();
      region.iounmap();
    } finally {
      file.cleanup();
      other.cleanup();
    }
  });
});
