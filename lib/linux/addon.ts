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
  map(path: string, offset: bigint, size: number, options: { sync: boolean; readOnly: boolean }): NativeMapping;
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
  /** `configPath`: the PCI device's sysfs `config`, for {@link Addon.irqSetIntxDisabled}. */
  irqOpen(path: string, configPath?: string): IrqHandle;
  irqWait(handle: IrqHandle, callback: (errno: number, count: number) => void): void;
  irqCancel(handle: IrqHandle): void;
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
}

/** The package root: the nearest folder above this file that holds binding.gyp. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'binding.gyp'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('mmio: cannot find the package root (binding.gyp) above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}

let loaded: Addon | undefined;

/** The native addon, loaded on first use. @throws Error if no build fits this platform (run `npm rebuild`). */
export function addon(): Addon {
  if (loaded === undefined) {
    const require = createRequire(import.meta.url);
    const load = require('node-gyp-build') as (dir: string) => Addon;
    // A copy: the module's own exports object is in V8's dictionary mode (as is each mapping's accessors
    // object), so every call through it would take a generic property lookup; a copy has fast properties.
    loaded = { ...load(packageRoot()) };
  }
  return loaded;
}
