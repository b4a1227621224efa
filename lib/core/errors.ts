/**
 * Errors in the shape of Node's fs errors: `code`, `errno`, `syscall`, `path`, plus `hint`, a one-line
 * suggestion of what to do.
 * @module
 */
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';

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

/** libuv's description of each errno, the text Node's fs errors carry (`no such file or directory`). */
const uvMessages = new Map<number, string>([...getSystemErrorMap()].map(([num, [, message]]) => [-num, message]));

/** The description Node's fs errors give a positive errno (`2` → `no such file or directory`). */
export function errnoMessage(errno: number): string {
  return uvMessages.get(Math.abs(errno)) ?? `unknown error ${Math.abs(errno)}`;
}

/** What the failing call was doing, for a hint that fits the case. */
export interface SystemErrorContext {
  /** The file was being opened for reading and writing (a read-only map would not need write access). */
  readWrite?: boolean;
}

type PathKind = 'devmem' | 'uio' | 'pci' | 'gpiomem' | 'sysfs' | 'device' | 'file' | 'none';

function pathKind(path: string | undefined): PathKind {
  if (path === undefined) return 'none';
  if (path === '/dev/mem') return 'devmem';
  if (/^\/dev\/uio\d+$/.test(path)) return 'uio';
  if (/^\/sys\/(bus\/pci\/devices|devices\/pci)/.test(path)) return 'pci';
  if (/^\/dev\/gpiomem\d*$/.test(path)) return 'gpiomem';
  if (path.startsWith('/sys/')) return 'sysfs';
  if (path.startsWith('/dev/')) return 'device';
  return 'file';
}

const UDEV = 'e.g. a udev rule that gives the device a group of yours and mode 0660';

function enoentHint(kind: PathKind): string {
  switch (kind) {
    case 'devmem':
      return 'this system has no /dev/mem (kernel without CONFIG_DEVMEM, or a container it was not passed into): use a UIO device or a PCI resourceN file, or run where /dev/mem exists.';
    case 'uio':
      return 'no such UIO device: load its driver (modprobe uio_pdrv_genirq or uio_pci_generic), bind the device to it, and see listUioDevices().';
    case 'pci':
      return 'no such PCI device or BAR file: check the BDF with listPciDevices(); resourceN exists only for the BARs the device has.';
    case 'gpiomem':
      return 'no GPIO memory device here: /dev/gpiomem comes with Raspberry Pi OS kernels (bcm2835-gpiomem); on a Pi 5 the RP1 banks are /dev/gpiomem0..4.';
    case 'sysfs':
      return 'no such sysfs file: the device or driver is not there (check that it is bound).';
    case 'device':
      return 'no such device file: check the path and that its driver is loaded.';
    default:
      return 'check the path.';
  }
}

function defaultHint(code: string, syscall: string, path: string | undefined, context: SystemErrorContext): string {
  const kind = pathKind(path);
  switch (code) {
    case 'EACCES':
      if (kind === 'devmem') return '/dev/mem needs root (CAP_SYS_RAWIO); use a UIO device or a PCI resourceN file with a udev rule instead.';
      if (kind === 'uio') return 'no access to this UIO device: add a udev rule, e.g. SUBSYSTEM=="uio", GROUP="<your group>", MODE="0660", or run as root.';
      if (context.readWrite) return `no write access: if you only read, map it with { readOnly: true }; to write, run as a user who may (${UDEV}).`;
      return `run as a user who may open it (${UDEV}).`;
    case 'EROFS':
      return 'the file system is read-only: map it with { readOnly: true }.';
    case 'EPERM':
      return kind === 'devmem'
        ? 'The kernel refused this range (CONFIG_STRICT_DEVMEM / IO_STRICT_DEVMEM): it is RAM or claimed by a driver. Use UIO or the PCI resourceN file, or boot with iomem=relaxed.'
        : 'the kernel refused it: check capabilities (CAP_SYS_RAWIO) and kernel lockdown.';
    case 'ENOENT':
      return enoentHint(kind);
    case 'EISDIR':
      return 'this is a folder: pass the device file (/dev/uio0, a PCI BAR\'s resource0, /dev/mem) or a regular file.';
    case 'ENOTDIR':
      return 'a component of the path is not a folder: check the path.';
    case 'ENXIO':
      return 'the offset is beyond what the device file maps.';
    case 'EINVAL':
      return syscall === 'mmap'
        ? 'mmap refused the range: the offset or size is not valid for this file (beyond its end, or not a mappable device).'
        : 'invalid argument for this file or device.';
    case 'ENODEV':
      return 'This file cannot be memory-mapped (it is not a device or regular file that supports mmap).';
    case 'ENOMEM':
      return 'the kernel could not map it (address space or vm.max_map_count exhausted): iounmap regions no longer needed.';
    case 'EMFILE':
    case 'ENFILE':
      return 'too many open files: close devices and iounmap regions no longer needed, or raise the limit (ulimit -n).';
    case 'EBUSY':
      return 'Another holder has claimed this range: release it first (release_mem_region) or stop the other process.';
    case 'ENOTSUP':
      return 'This backend cannot provide that mapping type.';
    case 'ETIMEDOUT':
      return 'The condition was not met in time: check the device is alive and the timeout is long enough.';
    case 'ENOSYS':
      return 'The driver does not implement this operation.';
    default:
      return `${syscall} failed with ${code}; see errno(3).`;
  }
}

/**
 * Build a {@link SystemError}. The message is Node's fs message, `<code>: <description>, <syscall> '<path>'`
 * (`ENOENT: no such file or directory, open '/dev/uio7'`, with libuv's description as fs uses it), then the
 * hint in parentheses.
 * @param errno positive errno number (as from C `errno`)
 * @param syscall the failing call
 * @param path the file involved, if any
 * @param hint overrides the default hint for this code
 * @param context what the call was doing, for the default hint
 */
export function systemError(errno: number, syscall: string, path?: string, hint?: string, context: SystemErrorContext = {}): SystemError {
  const code = errnoName(errno);
  const text = hint ?? defaultHint(code, syscall, path, context);
  const where = path === undefined ? '' : ` '${path}'`;
  const err = new Error(`${code}: ${errnoMessage(errno)}, ${syscall}${where} (${text})`) as SystemError;
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

/**
 * An argument error (`RangeError` or `TypeError`) with a Node-style `code` such as `ERR_OUT_OF_RANGE`, and a
 * `hint`: one line saying what a valid value looks like for this argument. The message is Node's (no hint in
 * it); the CLI prints the hint on a line of its own.
 */
export interface ArgumentError extends Error {
  code: string;
  /** One line saying what a valid value looks like (e.g. the range of offsets of this region and width). */
  hint: string;
}

function withHint<E extends Error>(err: E, code: string, hint: string): E & ArgumentError {
  const e = err as E & ArgumentError;
  e.code = code;
  e.hint = hint;
  return e;
}

/**
 * Build a RangeError with `code` (e.g. `ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`) and `hint` (what a valid value looks
 * like, one line).
 */
export function rangeError(code: string, message: string, hint: string): ArgumentError {
  return withHint(new RangeError(message), code, hint);
}

/** Build a TypeError with `code` (e.g. `ERR_INVALID_ARG_TYPE`) and `hint` (what a valid value looks like). */
export function typeError(code: string, message: string, hint: string): ArgumentError {
  return withHint(new TypeError(message), code, hint);
}

/** Build a plain Error with `code` and `hint`, for a refused call whose arguments were well formed (a state error). */
export function stateError(code: string, message: string, hint: string): ArgumentError {
  return withHint(new Error(message), code, hint);
}

/**
 * An "impossible" state, reached only through a bug in mmio (as Node's own `ERR_INTERNAL_ASSERTION`): code
 * `ERR_INTERNAL_ASSERTION`, the message prefixed `mmio internal error: `, and a hint asking for a report.
 */
export function internalError(what: string): ArgumentError {
  return stateError('ERR_INTERNAL_ASSERTION', `mmio internal error: ${what}`, 'This is a bug in mmio, not in your code: please report it with this stack trace.');
}

/** The error a write to a region mapped `{ readOnly: true }` throws: `code` `ERR_IOMEM_READONLY`, with `path` and `offset`. */
export interface ReadOnlyError extends ArgumentError {
  /** The mapped file. */
  path: string;
  /** Byte offset in the region of the refused write. */
  offset: number;
}

/** Build the {@link ReadOnlyError} for `call` (e.g. `writel`) at `offset` of the region of `path`. */
export function readOnlyError(call: string, path: string, offset: number): ReadOnlyError {
  const where = Number.isInteger(offset) ? `0x${offset.toString(16)}` : String(offset);
  const err = new Error(
    `${call} at offset ${where} of '${path}': region was mapped read-only ({ readOnly: true }); map it again without readOnly to write`,
  ) as ReadOnlyError;
  err.code = 'ERR_IOMEM_READONLY';
  err.hint = 'this region was mapped { readOnly: true }: iounmap it and map it again without readOnly to write.';
  err.path = path;
  err.offset = offset;
  return err;
}

/** The error every access to an unmapped region throws: `code` `ERR_IOMEM_UNMAPPED`. */
export function unmappedError(path: string): ArgumentError {
  return stateError(
    'ERR_IOMEM_UNMAPPED',
    `region of ${path} is unmapped (iounmap was called); map it again to access it`,
    `iounmap was called on this region: map ${path} again (ioremap, mapFile, a UIO or PCI map) and use the new region.`,
  );
}

/**
 * The error an interrupt wait rejects with when its AbortSignal fires, shaped like Node's own AbortError
 * (as from `timers/promises`): `name` `AbortError`, `code` `ABORT_ERR`, `cause` = the signal's reason.
 */
export function abortError(reason?: unknown): ArgumentError {
  const err = withHint(
    new Error('The operation was aborted', { cause: reason }),
    'ABORT_ERR',
    'the AbortSignal passed as { signal } fired (its reason is err.cause); pass a signal that has not fired to wait again.',
  );
  err.name = 'AbortError';
  return err;
}

/** The error waits on a closed interrupt source reject with: `code` `ERR_IRQ_CLOSED`. */
export function irqClosedError(path: string): ArgumentError {
  return stateError(
    'ERR_IRQ_CLOSED',
    `interrupt source ${path} is closed`,
    'close() was called on this interrupt source: open the device again for a new one to wait on.',
  );
}

/** The error a second concurrent interrupt wait rejects with: `code` `ERR_IRQ_WAIT_PENDING`. */
export function waitPendingError(path: string): ArgumentError {
  return stateError(
    'ERR_IRQ_WAIT_PENDING',
    `a wait is already pending on ${path}`,
    'one wait at a time per interrupt source: await (or abort) the pending wait() before starting another.',
  );
}

/** The error `map()` throws on a UIO or PCI device after its `close()`: `code` `ERR_DEVICE_CLOSED`. */
export function deviceClosedError(device: string, opener: string): ArgumentError {
  return stateError(
    'ERR_DEVICE_CLOSED',
    `${device} is closed; open it again with ${opener}() to map it`,
    `close() was called on ${device}: call ${opener}() again and map from the new device.`,
  );
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
