/**
 * Errors in the shape of Node's fs errors: `code`, `errno`, `syscall`, `path`, plus `hint`, a one-line
 * suggestion of what to do.
 * @module
 */
import { constants as osConstants } from 'node:os';

/** An error from a failing system call (open, mmap, read, write, flock…), shaped like Node's fs errors. */
export interface SystemError extends Error {
  /** The errno name, e.g. `EACCES`. */
  code: string;
  /** The negative errno number, as Node's fs errors carry it (e.g. -13 for EACCES). */
  errno: number;
  /** The failing system call, e.g. `open` or `mmap`. */
  syscall: string;
  /** The file the call was about, when there is one. */
  path?: string;
  /** One line saying what to do about it. */
  hint: string;
}

const errnoNames = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, num]) => [num as number, name]),
);
// Where Linux gives two names one number, use the one the kernel and Node report.
errnoNames.set(osConstants.errno.ENOTSUP, 'ENOTSUP');
errnoNames.set(osConstants.errno.EAGAIN, 'EAGAIN');

/** The errno name for a positive errno number (`13` → `EACCES`), or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  return errnoNames.get(Math.abs(errno)) ?? `E${Math.abs(errno)}`;
}

/** The positive errno number for a name (`EACCES` → 13), or 0 when unknown. */
export function errnoNumber(code: string): number {
  return (osConstants.errno as Record<string, number>)[code] ?? 0;
}

function defaultHint(code: string, syscall: string, path: string | undefined): string {
  const isDevMem = path === '/dev/mem';
  switch (code) {
    case 'EACCES':
      return isDevMem
        ? '/dev/mem needs root (CAP_SYS_RAWIO); use a UIO device or a PCI resourceN file with a udev rule instead.'
        : 'Permission denied: run as a user with access to the file, e.g. add a udev rule that sets its group and mode.';
    case 'EPERM':
      return isDevMem
        ? 'The kernel refused this range (CONFIG_STRICT_DEVMEM / IO_STRICT_DEVMEM): it is RAM or claimed by a driver. Use UIO or the PCI resourceN file, or boot with iomem=relaxed.'
        : 'Operation not permitted: the kernel refused it; check capabilities (CAP_SYS_RAWIO) and lockdown.';
    case 'ENOENT':
      return 'No such file: check the path, that the driver (uio, uio_pci_generic…) is loaded and the device is bound.';
    case 'ENXIO':
      return 'No such device or address: the offset is beyond what the device file maps.';
    case 'EINVAL':
      return syscall === 'mmap'
        ? 'mmap refused the range: the offset or size is not valid for this file (beyond its end, or not a mappable device).'
        : 'Invalid argument for this file or device.';
    case 'ENODEV':
      return 'This file cannot be memory-mapped (it is not a device or regular file that supports mmap).';
    case 'EBUSY':
      return 'Another holder has claimed this range: release it first (release_mem_region) or stop the other process.';
    case 'ENOTSUP':
      return 'This backend cannot provide that mapping type.';
    case 'ETIMEDOUT':
      return 'The condition was not met in time: check the device is alive and the timeout is long enough.';
    case 'ENOSYS':
      return 'The driver does not implement this operation.';
    default:
      return `${syscall} failed with ${code}.`;
  }
}

/**
 * Build a {@link SystemError}.
 * @param errno positive errno number (as from C `errno`)
 * @param syscall the failing call
 * @param path the file involved, if any
 * @param hint overrides the default hint for this code
 */
export function systemError(errno: number, syscall: string, path?: string, hint?: string): SystemError {
  const code = errnoName(errno);
  const text = hint ?? defaultHint(code, syscall, path);
  const where = path === undefined ? '' : ` '${path}'`;
  const err = new Error(`${code}: ${syscall}${where} failed (${text})`) as SystemError;
  err.code = code;
  err.errno = -Math.abs(errno);
  err.syscall = syscall;
  if (path !== undefined) err.path = path;
  err.hint = text;
  return err;
}

/** A {@link SystemError} for an errno given by name (`'ENOTSUP'`). */
export function systemErrorByCode(code: string, syscall: string, path?: string, hint?: string): SystemError {
  return systemError(errnoNumber(code), syscall, path, hint);
}

/** An ETIMEDOUT error from a poll; `.value` is the last value read. */
export interface PollTimeoutError<T extends number | bigint> extends SystemError {
  /** The last value read before the timeout. */
  value: T;
}

/** Build the ETIMEDOUT error a `*_poll_timeout*` call throws. */
export function pollTimeoutError<T extends number | bigint>(
  call: string,
  offset: number,
  value: T,
  timeoutUs: number,
  path?: string,
): PollTimeoutError<T> {
  const shown = typeof value === 'bigint' ? `0x${value.toString(16)}` : `0x${(value >>> 0).toString(16)}`;
  const err = systemErrorByCode(
    'ETIMEDOUT',
    call,
    path,
    `condition not met at offset 0x${offset.toString(16)} within ${timeoutUs} us; last value read ${shown}.`,
  ) as PollTimeoutError<T>;
  err.value = value;
  return err;
}

/** An argument error (`RangeError` or `TypeError`) with a Node-style `code` such as `ERR_OUT_OF_RANGE`. */
export interface ArgumentError extends Error {
  code: string;
}

/** Build a RangeError with `code` (e.g. `ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`). */
export function rangeError(code: string, message: string): ArgumentError {
  const err = new RangeError(message) as RangeError & ArgumentError;
  err.code = code;
  return err;
}

/** Build a TypeError with `code` (e.g. `ERR_INVALID_ARG_TYPE`). */
export function typeError(code: string, message: string): ArgumentError {
  const err = new TypeError(message) as TypeError & ArgumentError;
  err.code = code;
  return err;
}

/** The error every access to an unmapped region throws: `code` `ERR_IOMEM_UNMAPPED`. */
export function unmappedError(path: string): ArgumentError {
  const err = new Error(`region of ${path} is unmapped (iounmap was called); map it again to access it`) as ArgumentError;
  err.code = 'ERR_IOMEM_UNMAPPED';
  return err;
}

/**
 * The error an interrupt wait rejects with when its AbortSignal fires, shaped like Node's own AbortError
 * (as from `timers/promises`): `name` `AbortError`, `code` `ABORT_ERR`, `cause` = the signal's reason.
 */
export function abortError(reason?: unknown): ArgumentError {
  const err = new Error('The operation was aborted', { cause: reason }) as ArgumentError;
  err.name = 'AbortError';
  err.code = 'ABORT_ERR';
  return err;
}

/** The error waits on a closed interrupt source reject with: `code` `ERR_IRQ_CLOSED`. */
export function irqClosedError(path: string): ArgumentError {
  const err = new Error(`interrupt source ${path} is closed`) as ArgumentError;
  err.code = 'ERR_IRQ_CLOSED';
  return err;
}

/** The error `map()` throws on a UIO or PCI device after its `close()`: `code` `ERR_DEVICE_CLOSED`. */
export function deviceClosedError(device: string, opener: string): ArgumentError {
  const err = new Error(`${device} is closed; open it again with ${opener}() to map it`) as ArgumentError;
  err.code = 'ERR_DEVICE_CLOSED';
  return err;
}

/** The error an access throws after a bus fault (SIGBUS/SIGSEGV) in its mapping: `code` `EFAULT`. */
export interface BusFaultError extends SystemError {
  /** Byte offset in the region of the access that faulted. */
  offset: number;
  /** Physical (or file) address that faulted: the region's `phys` + `offset`. */
  address: bigint;
  /** `SIGBUS` or `SIGSEGV`. */
  signal: string;
}

/** Build the {@link BusFaultError} for a fault at `offset` of a region reported by native/fault_guard.cc. */
export function busFaultError(call: string, path: string, phys: bigint, offset: number, signo: number): BusFaultError {
  const signal = Object.entries(osConstants.signals).find(([, n]) => n === signo)?.[0] ?? `signal ${signo}`;
  const address = phys + BigInt(offset);
  const err = systemErrorByCode(
    'EFAULT',
    call,
    path,
    `${signal} at 0x${address.toString(16)} (offset 0x${offset.toString(16)}): the device did not answer (unclocked, powered down or absent) or the file was truncated under the mapping. The region is poisoned: iounmap it and map it again.`,
  ) as BusFaultError;
  err.offset = offset;
  err.address = address;
  err.signal = signal;
  return err;
}
