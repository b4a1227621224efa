/**
 * Mapping a range of a file into a {@link NativeRegion}, with argument checks and Node-style errors.
 * Shared by ioremap (/dev/mem), the UIO and PCI openers, and plain files.
 * @module
 */
import { addon } from './addon.js';
import { constants as bufferConstants } from 'node:buffer';
import { checkOptions, checkPath, describe } from '../core/checks.js';
import { rangeError, systemError, typeError } from '../core/errors.js';
import { NativeRegion } from './native-region.js';
import { wasmRegionClass } from './wasm-region.js';
import { openWasmWindow, releaseWasmWindow } from './wasm-window.js';

const U64_MAX = (1n << 64n) - 1n;

/**
 * The largest region one mapping can make, in bytes: the largest ArrayBuffer this Node.js holds
 * (`buffer.constants.MAX_LENGTH`: 2^32 on Node.js 20). Larger sizes are refused with `ERR_OUT_OF_RANGE` before
 * anything is opened or mapped; map a large BAR or file as several regions.
 */
export const MAX_REGION_BYTES: number = bufferConstants.MAX_LENGTH;

/** The page size in bytes, from sysconf(_SC_PAGESIZE): 4096 on most systems, 16384 on Raspberry Pi 5 kernels. */
export function pageSize(): number {
  return addon().pageSize;
}

/** Options of {@link mapFile}. */
export interface MapFileOptions {
  /** Open with O_SYNC: on /dev/mem this makes the mapping uncached (the kernel's ioremap). Default true. */
  sync?: boolean;
  /** Open O_RDONLY and map PROT_READ; writes then throw `ERR_IOMEM_READONLY`. Default false. */
  readOnly?: boolean;
  /** The physical address to report as `region.phys` (UIO maps, PCI BARs). Default: the file offset. */
  phys?: bigint;
  /** Called once, right after the region is unmapped (devm-style helpers release their claim here). */
  onUnmap?: () => void;
}

/**
 * Check a physical address or file offset: a bigint in 0..2^64-1 or a non-negative safe integer.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function toAddress(value: bigint | number, what: string): bigint {
  if (typeof value === 'bigint') {
    if (value >= 0n && value <= U64_MAX) return value;
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be in 0..2^64-1, got ${value}n`, `${what} is a bigint in 0n..2n ** 64n - 1n, e.g. 0xfe000000n.`);
  }
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a non-negative safe integer or a bigint, got ${value}`, `${what} is a non-negative safe integer (below 2 ** 53) or a bigint for larger addresses, e.g. 0xfe000000n.`);
  }
  throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a bigint or a number, got ${describe(value)}`, `${what} is a physical address or file offset: a bigint (0xfe000000n) or a non-negative safe integer.`);
}

/**
 * Check a mapping size in bytes: a positive safe integer.
 * @throws TypeError `ERR_INVALID_ARG_TYPE`, RangeError `ERR_OUT_OF_RANGE`.
 */
export function toSize(size: number, what = 'size'): number {
  if (typeof size !== 'number') {
    throw typeError('ERR_INVALID_ARG_TYPE', `${what} must be a number of bytes, got ${describe(size)}`, `${what} is a number of bytes, a positive safe integer, e.g. 4096.`);
  }
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw rangeError('ERR_OUT_OF_RANGE', `${what} must be a positive integer number of bytes, got ${size}`, `${what} is a number of bytes, a positive safe integer, e.g. 4096.`);
  }
  return size;
}

interface NativeSyscallError extends Error {
  mmioSyscallError: true;
  errno: number;
  syscall: string;
  path?: string;
}

function isNativeSyscallError(e: unknown): e is NativeSyscallError {
  return e instanceof Error && (e as Partial<NativeSyscallError>).mmioSyscallError === true;
}

/**
 * Map `size` bytes of `path` starting at byte `offset` (a physical address for /dev/mem).
 * The offset need not be page-aligned: the mapping starts at the page below it (sysconf(_SC_PAGESIZE)).
 * @throws SystemError from open/mmap (`ENOENT`, `EACCES`, `EPERM`, `EINVAL`, `ENXIO` for a range past the end
 *   of a regular file…) with `errno`, `syscall`, `path` and `hint`; nothing is left open or mapped.
 * @throws TypeError/RangeError for bad arguments (`ERR_INVALID_ARG_TYPE`, `ERR_INVALID_ARG_VALUE` for a path
 *   with a NUL byte, `ERR_OUT_OF_RANGE`, also for a size over {@link MAX_REGION_BYTES}).
 * @throws SystemError `ENODEV` (syscall `mmap`) for a file that is neither a regular file nor a device node
 *   (a FIFO, a socket, a directory: opened with O_NONBLOCK, so it never blocks); `ENOMEM` when this process
 *   already holds as many mappings as vm.max_map_count leaves it (native/map_file.cc keeps a reserve for the runtime).
 */
export function mapFile(path: string, offset: bigint | number, size: number, options?: MapFileOptions): NativeRegion {
  checkPath(path);
  const start = toAddress(offset, 'offset');
  const bytes = toSize(size);
  const opts = checkOptions(options);
  if (start + BigInt(bytes) - 1n > U64_MAX) {
    throw rangeError('ERR_OUT_OF_RANGE', `offset 0x${start.toString(16)} + size ${bytes} runs past 2^64`, 'offset + size must stay below 2^64: lower the offset or map fewer bytes.');
  }
  if (bytes > MAX_REGION_BYTES) {
    throw rangeError(
      'ERR_OUT_OF_RANGE',
      `size ${bytes} is more than one region can hold in this Node.js (${MAX_REGION_BYTES} bytes, one ArrayBuffer); map it in parts`,
      `one region is at most ${MAX_REGION_BYTES} bytes (one ArrayBuffer in this Node.js): map the range as several regions.`,
    );
  }
  if (opts.phys !== undefined) toAddress(opts.phys, 'options.phys');
  if (opts.onUnmap !== undefined && typeof opts.onUnmap !== 'function') {
    throw typeError('ERR_INVALID_ARG_TYPE', `options.onUnmap must be a function, got ${describe(opts.onUnmap)}`, 'options.onUnmap is a function () => void called after iounmap, or leave it out.');
  }
  const readOnly = opts.readOnly ?? false;
  const native = addon();
  try {
    const place = { fileOffset: start, phys: opts.phys ?? start, size: bytes, path, readOnly, onUnmap: opts.onUnmap };
    // The Wasm window (x86-64, arm64 for the _relaxed forms; verified V8s): page-aligned, writable mappings up to 1 GiB.
    const window = !readOnly && start % BigInt(native.pageSize) === 0n ? openWasmWindow(bytes, native.windowFaultPage === true) : null;
    let mapping: ReturnType<typeof native.map>;
    try {
      mapping = native.map(path, start, bytes, {
        sync: opts.sync ?? true,
        readOnly,
        into: window?.memory.buffer,
        intoOffset: window !== null && window.deviceOffset !== 0 ? window.deviceOffset : undefined,
      });
    } catch (e) {
      if (window !== null) releaseWasmWindow(window); // the addon put anonymous pages back over it
      throw e;
    }
    try {
      if (window === null) return new NativeRegion(mapping, place, native);
      const Region = wasmRegionClass(bytes);
      return new Region(mapping, place, native, window);
    } catch (e) {
      native.unmap(mapping.handle); // nothing is left mapped, whatever went wrong
      throw e;
    }
  } catch (e) {
    if (isNativeSyscallError(e)) {
      const detail = e.message.endsWith(' failed') ? undefined : `${e.message}; check offset and size.`;
      throw systemError(e.errno, e.syscall, e.path ?? path, detail, { readWrite: !readOnly });
    }
    throw e;
  }
}
