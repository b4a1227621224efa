/**
 * An {@link IoRegion} over anything that answers single, width-exact bus accesses ({@link BusDevice}): the
 * simulated backend's devices (lib/sim) and VFIO regions reached by pread/pwrite on the device descriptor
 * (lib/linux/vfio-region.ts). Every accessor makes exactly one device access of its width; block operations
 * split into the widest naturally aligned accesses (8, 4, 2, 1 bytes) judged on the offset, and `_rep`
 * operations make `count` accesses to the same offset, so the device sees what hardware would.
 * @module
 */
import type { BusValue } from './bus-value.js';
import type { AccessWidth } from './io-region.js';
import { RegionBase, swabFor, type ReadAccessor, type WriteAccessor } from './region-base.js';

/**
 * What a {@link DeviceRegion} talks to: the counterpart of a device's MMIO read/write handlers (QEMU's
 * `MemoryRegionOps.read/write`). The region has already checked bounds, alignment and value types; the device
 * sees only valid, naturally aligned accesses inside `size`, one call per bus access.
 */
export interface BusDevice {
  /** Size of the device's address space in bytes; the region's `size`. */
  readonly size: number;
  /** One `width`-byte read at byte `offset`: an unsigned `number` for widths 1, 2 and 4, a `bigint` for 8. */
  read(offset: number, width: AccessWidth): BusValue;
  /** One `width`-byte write at byte `offset`; `value` is unsigned and truncated to the width (bigint for 8). */
  write(offset: number, width: AccessWidth, value: BusValue): void;
}

/** Where a {@link DeviceRegion} says it is. */
export interface DeviceRegionPlace {
  /** The region's `path` (errors carry it). */
  path: string;
  /** The region's `phys`. Default `0n`. */
  phys?: bigint;
}

/**
 * An {@link IoRegion} over a {@link BusDevice}: the kernel-named family from lib/core/region-base.ts, each access
 * one call of the device, with the same argument checks and errors as the native backend, in the same order:
 * accessors check mapped (`ERR_IOMEM_UNMAPPED`), then the offset (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`,
 * `ERR_UNALIGNED`), then the value; block and `_rep` operations check the buffer type first, memset_io its value
 * first. The polls use lib/core/poll.ts.
 */
export class DeviceRegion extends RegionBase {
  /** Length of the region in bytes (the device's `size`). */
  readonly size: number;
  /** The bus address of offset 0. */
  readonly phys: bigint;
  /** What backs the region. */
  readonly path: string;
  protected isMapped = true;

  /**
   * @param device answers every access
   * @param place the region's path and phys
   */
  constructor(
    readonly device: BusDevice,
    place: DeviceRegionPlace,
  ) {
    super();
    this.size = device.size;
    this.phys = place.phys ?? 0n;
    this.path = place.path;
  }

  /** False once {@link DeviceRegion.iounmap} has run. */
  get mapped(): boolean {
    return this.isMapped;
  }

  protected read(via: ReadAccessor, offset: number, width: AccessWidth): BusValue {
    this.checkAccess(offset, width);
    const value = this.device.read(offset, width);
    return width === 8 ? value : swabFor(via, value as number, width);
  }

  protected write(via: WriteAccessor, value: number | bigint, offset: number, width: AccessWidth): void {
    this.checkAccess(offset, width);
    const bus = this.checkWriteValue(value, width);
    this.device.write(offset, width, width === 8 ? bus : swabFor(via, bus as number, width));
  }

  protected busRead(offset: number, width: AccessWidth): BusValue {
    return this.device.read(offset, width);
  }

  protected busWrite(offset: number, width: AccessWidth, value: BusValue): void {
    this.device.write(offset, width, value);
  }

  /** Unmap (kernel `iounmap`): later accesses throw `ERR_IOMEM_UNMAPPED`; a second call does nothing. */
  iounmap(): void {
    this.isMapped = false;
  }
}
