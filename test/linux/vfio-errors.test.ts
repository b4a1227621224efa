import { describe, expect, it } from 'vitest';
import { vfioError, vfioSetupError } from '../../lib/linux/vfio-errors.js';
import { openVfio } from '../../lib/linux/vfio.js';

/** What native/syscall_error.h throws for a failing ioctl. */
function nativeIoctlError(errno: number, request: string): Error {
  return Object.assign(new Error(request), { errno, syscall: 'ioctl', mmioSyscallError: true });
}

describe('VFIO errors', () => {
  it('VFIO_SET_IOMMU EPERM: the allow_unsafe_interrupts hint', () => {
    const e = vfioError(nativeIoctlError(1, 'VFIO_SET_IOMMU'), '/dev/vfio/vfio') as Record<string, unknown> & Error;
    expect(e).toMatchObject({ code: 'EPERM', errno: -1, syscall: 'ioctl', ioctl: 'VFIO_SET_IOMMU', path: '/dev/vfio/vfio' });
    expect(e.hint).toMatch(/allow_unsafe_interrupts/);
    expect(e.message).toMatch(/^EPERM: operation not permitted, ioctl VFIO_SET_IOMMU '\/dev\/vfio\/vfio' \(/);
  });

  it('VFIO_IOMMU_MAP_DMA: ENOMEM names RLIMIT_MEMLOCK, EEXIST the overlap, EINVAL the ranges', () => {
    expect((vfioError(nativeIoctlError(12, 'VFIO_IOMMU_MAP_DMA'), 'x') as { hint: string }).hint).toMatch(/RLIMIT_MEMLOCK/);
    expect((vfioError(nativeIoctlError(17, 'VFIO_IOMMU_MAP_DMA'), 'x') as { hint: string }).hint).toMatch(/overlaps/);
    expect((vfioError(nativeIoctlError(22, 'VFIO_IOMMU_MAP_DMA'), 'x') as { hint: string }).hint).toMatch(/MSI window/);
  });

  it('leaves other errors alone, and turns native non-ioctl errors into system errors', () => {
    const plain = new TypeError('x');
    expect(vfioError(plain, 'p')).toBe(plain);
    const mmap = vfioError(Object.assign(new Error('mmap failed'), { errno: 12, syscall: 'mmap', mmioSyscallError: true }), 'p') as Record<string, unknown>;
    expect(mmap).toMatchObject({ code: 'ENOMEM', syscall: 'mmap', path: 'p' });
  });

  it('set-up errors have a code, path and hint', () => {
    const e = vfioSetupError('ERR_VFIO_UNBOUND', '/sys/x', 'no driver', 'bind it');
    expect(e).toMatchObject({ code: 'ERR_VFIO_UNBOUND', path: '/sys/x', hint: 'bind it' });
    expect(e.message).toBe("ERR_VFIO_UNBOUND: no driver '/sys/x' (bind it)");
  });

  it('openVfio of a device that is not there: ENODEV; a non-string: ERR_INVALID_ARG_TYPE', () => {
    expect(() => openVfio('0000:ff:1f.7')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(() => openVfio(42 as unknown as string)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });
});
