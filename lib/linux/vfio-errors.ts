/**
 * Errors of the VFIO backend: failing ioctls as Node-style system errors (`code` the errno name, `syscall`
 * `ioctl`, `ioctl` the request's name, `path`, `hint`), and the set-up problems that are no failing system call
 * (no IOMMU group, a device bound to the wrong driver, a group that is not viable) with their own `ERR_VFIO_*`
 * codes. Every hint says what to do.
 * @module
 */
import { systemError, type SystemError } from '../core/errors.js';

/** A failing VFIO ioctl: a {@link SystemError} with `syscall` `ioctl` and the request's name. */
export interface VfioIoctlError extends SystemError {
  /** The ioctl request, e.g. `VFIO_SET_IOMMU`. */
  ioctl: string;
}

/** A VFIO set-up problem that is not one failing system call. */
export interface VfioSetupError extends Error {
  /**
   * `ERR_VFIO_NO_IOMMU` (the device has no IOMMU group, or the kernel offers no type1 IOMMU),
   * `ERR_VFIO_UNBOUND` (no driver), `ERR_VFIO_WRONG_DRIVER` (bound to another driver),
   * `ERR_VFIO_GROUP_NOT_VIABLE` (another device of its group is not bound to vfio), `ERR_VFIO_API` (an
   * unknown VFIO API version).
   */
  code: string;
  /** The file or device concerned. */
  path: string;
  /** One line saying what to do. */
  hint: string;
}

/** Build a {@link VfioSetupError}. */
export function vfioSetupError(code: string, path: string, message: string, hint: string): VfioSetupError {
  const err = new Error(`${code}: ${message} '${path}' (${hint})`) as VfioSetupError;
  err.code = code;
  err.path = path;
  err.hint = hint;
  return err;
}

interface NativeSyscallError extends Error {
  mmioSyscallError: true;
  errno: number;
  syscall: string;
}

/** True for an error thrown by native/syscall_error.h. */
export function isNativeSyscallError(e: unknown): e is NativeSyscallError {
  return e instanceof Error && (e as Partial<NativeSyscallError>).mmioSyscallError === true;
}

/** The default hint of a failing VFIO ioctl, by request and errno name. */
function ioctlHint(request: string, code: string): string | undefined {
  if (request === 'VFIO_SET_IOMMU' && code === 'EPERM') {
    return 'the IOMMU has no interrupt remapping, so VFIO refuses it: enable interrupt remapping (intremap) in the firmware/kernel, or accept the risk with `echo Y > /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts` (root)';
  }
  if (request === 'VFIO_IOMMU_MAP_DMA') {
    if (code === 'ENOMEM') {
      return 'the pinned memory would exceed RLIMIT_MEMLOCK: raise it (ulimit -l, limits.conf memlock, or systemd LimitMEMLOCK=) or run as root';
    }
    if (code === 'EEXIST') return 'the IOVA range overlaps an existing mapping';
    if (code === 'EINVAL') return 'the IOVA is outside the IOMMU\'s usable ranges (the MSI window is a hole) or not aligned to its page size';
    if (code === 'ENOSPC') return 'the container has no mapping left (DMA_AVAIL): free buffers or use fewer, larger ones';
  }
  if (request === 'VFIO_GROUP_GET_DEVICE_FD' && code === 'EBUSY') {
    return 'the device is already open through VFIO (by this or another process): close it there first';
  }
  if (request === 'VFIO_DEVICE_RESET') return 'the device has no reset method VFIO can use (no FLR, PM or bus reset)';
  if (request === 'VFIO_DEVICE_SET_IRQS' && code === 'EINVAL') {
    return 'the device refuses this interrupt set-up: it lacks the mode or that many vectors, or another mode is still enabled';
  }
  return undefined;
}

/**
 * Turn what the addon threw into the backend's error: a native ioctl error becomes a {@link VfioIoctlError} with
 * `path` and a hint; other native syscall errors a {@link SystemError}; anything else is returned unchanged.
 */
export function vfioError(e: unknown, path: string, hint?: string): unknown {
  if (!isNativeSyscallError(e)) return e;
  // The addon's own detail (its message, unless it is the bare "<syscall> failed") is the hint when none is given.
  if (e.syscall !== 'ioctl') return systemError(e.errno, e.syscall, path, hint ?? (e.message.endsWith(' failed') ? undefined : e.message));
  const request = e.message;
  const probe = systemError(e.errno, 'ioctl', path);
  const err = systemError(e.errno, 'ioctl', path, hint ?? ioctlHint(request, probe.code)) as VfioIoctlError;
  err.message = err.message.replace(`, ioctl '`, `, ioctl ${request} '`); // fs's shape, with the request named
  err.ioctl = request;
  return err;
}

/** Run `fn` (one addon call), converting what it throws with {@link vfioError}. */
export function vfioCall<T>(path: string, fn: () => T, hint?: string): T {
  try {
    return fn();
  } catch (e) {
    throw vfioError(e, path, hint);
  }
}

/** A Node fs error (from openSync, readSync…) with our hint, or the error unchanged when it is no fs error. */
export function fsError(e: unknown, syscall: string, path: string, hint?: string): unknown {
  const err = e as { errno?: number; syscall?: string; code?: string };
  if (typeof err?.errno !== 'number') return e;
  return systemError(-err.errno, err.syscall ?? syscall, path, hint);
}
