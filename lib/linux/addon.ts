/**
 * Loads the native addon (a prebuild for this platform, else the local build) with node-gyp-build, and
 * describes what it exports. Internal: the public API wraps it.
 * @module
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Functions bound to one mapping (see native/accessors.cc). Offsets in bytes; 64-bit values are bigint. */
export interface NativeAccessors {
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  read64(offset: number): bigint;
  read8Relaxed(offset: number): number;
  read16Relaxed(offset: number): number;
  read32Relaxed(offset: number): number;
  read64Relaxed(offset: number): bigint;
  read16be(offset: number): number;
  read32be(offset: number): number;
  write8(value: number, offset: number): void;
  write16(value: number, offset: number): void;
  write32(value: number, offset: number): void;
  write64(value: bigint, offset: number): void;
  write8Relaxed(value: number, offset: number): void;
  write16Relaxed(value: number, offset: number): void;
  write32Relaxed(value: number, offset: number): void;
  write64Relaxed(value: bigint, offset: number): void;
  write16be(value: number, offset: number): void;
  write32be(value: number, offset: number): void;
}

/** Opaque handle to a native mapping. */
export type NativeHandle = { readonly __brand: 'NativeHandle' };

/** Opaque handle to an open /dev/uioN watched for interrupts (native/uio_irq.cc). */
export type IrqHandle = { readonly __brand: 'IrqHandle' };

/** What native/map_file.cc `map` returns. */
export interface NativeMapping {
  handle: NativeHandle;
  /** An external ArrayBuffer over exactly the requested bytes; detached on unmap. */
  buffer: ArrayBuffer;
  /** 16 bytes the bus-fault handler writes: Int32 [faulted, offset low, offset high, signal number]. */
  fault: ArrayBuffer;
  pageSize: number;
}

/** VFIO_IOMMU_GET_INFO's answer (native/vfio.cc). */
export interface NativeIommuInfo {
  flags: number;
  /** Bitmap of the IOVA page sizes (bit n set: 2^n bytes). */
  pageSizes: bigint;
  /** The usable IOVA ranges, inclusive [start, end]; empty when the kernel reports none. */
  ranges: [start: bigint, end: bigint][];
  /** How many more DMA mappings the container takes; -1 when not reported. */
  dmaAvail: number;
}

/** VFIO_DEVICE_GET_REGION_INFO's answer, with its capability chain read (native/vfio.cc). */
export interface NativeRegionInfo {
  index: number;
  /** VFIO_REGION_INFO_FLAG_* (READ 1, WRITE 2, MMAP 4, CAPS 8). */
  flags: number;
  size: bigint;
  /** The region's offset in the device file. */
  offset: bigint;
  /** VFIO_REGION_INFO_CAP_SPARSE_MMAP: the areas that may be mmapped, [offset in the region, size]; null if absent. */
  sparse: [offset: bigint, size: bigint][] | null;
  /** VFIO_REGION_INFO_CAP_MSIX_MAPPABLE present. */
  msixMappable: boolean;
}

/** The VFIO ioctls (native/vfio.cc); descriptors are numbers JS opened. Errors: message = the ioctl's name. */
export interface VfioAddon {
  vfioGetApiVersion(fd: number): number;
  vfioCheckExtension(fd: number, extension: number): number;
  vfioGroupGetStatus(groupFd: number): number;
  vfioGroupSetContainer(groupFd: number, containerFd: number): void;
  vfioGroupUnsetContainer(groupFd: number): void;
  vfioSetIommu(containerFd: number, type: number): void;
  vfioIommuGetInfo(containerFd: number): NativeIommuInfo;
  vfioGroupGetDeviceFd(groupFd: number, name: string): number;
  vfioDeviceGetInfo(fd: number): { flags: number; numRegions: number; numIrqs: number };
  vfioDeviceGetRegionInfo(fd: number, index: number): NativeRegionInfo;
  vfioDeviceGetIrqInfo(fd: number, index: number): { flags: number; count: number };
  /** `data`: eventfds (DATA_EVENTFD; -1 unassigns) or a vector count (DATA_NONE). */
  vfioDeviceSetIrqs(fd: number, index: number, start: number, flags: number, data: number[] | number): void;
  vfioDeviceReset(fd: number): void;
  /** Maps the whole DMA buffer `handle` (from dmaAlloc) at `iova`. */
  vfioMapDma(containerFd: number, handle: NativeHandle, iova: bigint, flags: number): void;
  /** Returns the bytes unmapped. */
  vfioUnmapDma(containerFd: number, iova: bigint, size: bigint): bigint;
  /**
   * Page-aligned anonymous memory (MAP_POPULATE, MADV_DONTFORK), whole pages; freed by `unmap(handle)`. `hugetlb`:
   * 2 MiB huge pages (MAP_HUGETLB); `lock`: mlock. `address`: its virtual address.
   */
  dmaAlloc(size: number, options?: { hugetlb?: boolean; lock?: boolean }): { handle: NativeHandle; buffer: ArrayBuffer; address: bigint };
  /** Map part of a descriptor the caller keeps open (a VFIO region); `path` names it in errors. */
  mapFd(fd: number, path: string, offset: bigint, size: number, options: { readOnly: boolean }): NativeMapping;
  /** A new eventfd watched like /dev/uioN; a wait's count is the signals since the last read. */
  irqOpenEventfd(label: string): IrqHandle;
  /** The handle's descriptor number (-1 once closed). */
  irqFd(handle: IrqHandle): number;
}

/** The addon's exports (native/addon.cc). */
export interface Addon extends VfioAddon {
  /**
   * `into`: a WebAssembly.Memory's buffer to map over, MAP_FIXED at its address (lib/linux/wasm-window.ts);
   * `intoOffset` (bytes, whole pages): map at that offset instead, and put the fault word at byte 0 of `into`
   * (then `fault` is `into` itself), where the window's Wasm functions read it. Only where {@link Addon.windowFaultPage}.
   */
  map(path: string, offset: bigint, size: number, options: { sync: boolean; readOnly: boolean; into?: ArrayBuffer; intoOffset?: number }): NativeMapping;
  unmap(handle: NativeHandle): void;
  /**
   * The mapping's bound accessor functions (native/accessors.cc): 20 functions, each with a finalizer holding the
   * mapping's native state, so a region binds them only if it calls them (not on the x86-64 fast path).
   */
  bindAccessors(handle: NativeHandle): NativeAccessors;
  memcpyFromIo(handle: NativeHandle, offset: number, dst: Uint8Array, count: number): void;
  memcpyToIo(handle: NativeHandle, offset: number, src: Uint8Array, count: number): void;
  memsetIo(handle: NativeHandle, offset: number, value: number, count: number): void;
  readRep(handle: NativeHandle, offset: number, width: number, dst: ArrayBufferView, count: number): void;
  writeRep(handle: NativeHandle, offset: number, width: number, src: ArrayBufferView, count: number): void;
  /**
   * The native { mask, value } spin (native/poll.cc). mask, value and the result are numbers for widths 1, 2
   * and 4, bigints for 8; the result is the last value read, and the condition was met iff
   * `(result & mask) === value`.
   */
  pollAtomic<T extends number | bigint>(
    handle: NativeHandle,
    width: number,
    offset: number,
    mask: T,
    value: T,
    delayUs: number,
    timeoutUs: number,
  ): T;
  /**
   * The sleeping polls' timer (native/poll_timer.cc): `pollSleepInit` once per thread with the function that
   * `pollSleep(ticket, minUs, maxUs)` calls back, `dispatch(ticket)`, between minUs and maxUs µs later (later if
   * the loop is busy); `pollSleepCancel(ticket)` forgets a pending one.
   */
  pollSleepInit(dispatch: (ticket: number) => void): void;
  pollSleep(ticket: number, minUs: number, maxUs: number): void;
  pollSleepCancel(ticket: number): void;
  /** `configPath`: the PCI device's sysfs `config`, for {@link Addon.irqSetIntxDisabled}. */
  irqOpen(path: string, configPath?: string): IrqHandle;
  irqWait(handle: IrqHandle, callback: (errno: number, count: number) => void): void;
  irqCancel(handle: IrqHandle): void;
  /**
   * A wait's fast path: one non-blocking read of the handle (an eventfd's signals, UIO's event count), or -1 when
   * nothing is pending (or the handle is closed, has a wait pending, or the fast path is off). `busyUs` > 0
   * (a checked busyPollUs): repeat the read, spinning, until it succeeds or that many µs have passed.
   */
  irqTryRead(handle: IrqHandle, busyUs?: number): number;
  /** Switch {@link Addon.irqTryRead} on (default) or off, process-wide: for the benches' before/after rows only. */
  irqSetTryRead(enabled: boolean): void;
  /** Returns 0 or an errno (ENOSYS where the driver has no irqcontrol). */
  irqControl(handle: IrqHandle, enable: boolean): number;
  /** Set or clear PCI_COMMAND's Interrupt Disable bit in the `configPath` given to irqOpen (kept open until irqClose). */
  irqSetIntxDisabled(handle: IrqHandle, disabled: boolean): void;
  irqClose(handle: IrqHandle): void;
  portIn(port: number, width: 1 | 2 | 4): number;
  portOut(port: number, width: 1 | 2 | 4, value: number): void;
  /** Returns 0, or the errno (EAGAIN/EACCES on conflict). */
  ofdLock(fd: number, start: bigint, length: bigint): number;
  ofdUnlock(fd: number, start: bigint, length: bigint): number;
  ofdConflict(fd: number, start: bigint, length: bigint): [start: bigint, length: bigint] | null;
  mb(): void;
  rmb(): void;
  wmb(): void;
  /** sysconf(_SC_PAGESIZE), in bytes. */
  pageSize: number;
  /** The architecture the addon was built for. */
  arch: 'x64' | 'arm64' | 'arm';
  /** True where map() takes `intoOffset` (an older binary lacks it: the x86-64 window is then off). */
  windowFaultPage?: boolean;
}

/** The package root: the nearest folder above this file that holds binding.gyp. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp'))) {
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
  return dir;
}

/** The platforms the package ships a prebuild for (tools/arm/prebuild.sh). */
const PREBUILT = ['linux-x64', 'linux-arm64', 'linux-arm'];

/**
 * What the native entry points throw when no native build loads: `code` `ERR_MMIO_NATIVE_UNAVAILABLE`, a `hint` saying
 * what to install (or that the platform has no such interface), and the loader's own error as `cause`.
 * Thrown by the first call of a native entry point (mapFile, ioremap*, openUio, openPci, port I/O,
 * request_mem_region, mb/rmb/wmb, pageSize), never at import.
 */
export interface NativeUnavailableError extends Error {
  code: 'ERR_MMIO_NATIVE_UNAVAILABLE';
  /** One line saying what to do. */
  hint: string;
  /** `process.platform`-`process.arch`, e.g. `darwin-arm64`. */
  platform: string;
}

function isMusl(): boolean {
  // glibc's Node reports its glibc version; musl builds do not (process.report is in every supported Node).
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header !== undefined && header.glibcVersionRuntime === undefined;
}

function unavailableHint(platform: string): string {
  if (process.platform !== 'linux') {
    return `${platform} has no /dev/mem, UIO or PCI resource files: mmio's hardware backends are Linux-only. The simulator (SimRegion, createRegisterModel, createSimEdu) and replayRegion need no addon.`;
  }
  const build = 'install make, g++ (C++17) and python3, then run `npm rebuild mmio`';
  if (!PREBUILT.includes(platform)) return `no prebuild ships for ${platform}: ${build}.`;
  if (isMusl()) return `the shipped ${platform} prebuild is for glibc and this Node uses musl (Alpine): ${build}.`;
  return `the ${platform} prebuild did not load (prebuilds/${platform} is missing or does not load here): reinstall mmio, or ${build}.`;
}

/** Build the {@link NativeUnavailableError} for a failed load. */
function nativeUnavailable(cause: unknown): NativeUnavailableError {
  const platform = `${process.platform}-${process.arch}`;
  const hint = unavailableHint(platform);
  const why = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  const err = new Error(`mmio's native addon is not available on ${platform} (Node ${process.version}): ${why} (${hint})`, { cause }) as NativeUnavailableError;
  err.code = 'ERR_MMIO_NATIVE_UNAVAILABLE';
  err.hint = hint;
  err.platform = platform;
  return err;
}

let loaded: Addon | undefined;

/**
 * The native addon (a prebuild for this platform, else the local build in build/Release), loaded on first use.
 * @throws {@link NativeUnavailableError} `ERR_MMIO_NATIVE_UNAVAILABLE` if no build loads here; the next call tries again.
 */
export function addon(): Addon {
  if (loaded === undefined) {
    try {
      const root = packageRoot();
      if (root === undefined) throw new Error(`cannot find the package root (binding.gyp) above ${import.meta.url}`);
      const require = createRequire(import.meta.url);
      const load = require('node-gyp-build') as (dir: string) => Addon;
      // A copy: the module's own exports object is in V8's dictionary mode (as is each mapping's accessors
      // object), so every call through it would take a generic property lookup; a copy has fast properties.
      loaded = { ...load(root) };
    } catch (cause) {
      throw nativeUnavailable(cause);
    }
  }
  return loaded;
}

/**
 * Whether the native addon loads on this machine (so mapFile, ioremap, openUio, openPci… can work), without
 * throwing: for choosing between the hardware and the simulated backend. Never throws.
 */
export function nativeAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}
