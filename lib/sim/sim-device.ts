/**
 * What a {@link SimRegion} talks to: a simulated device that answers single, width-exact bus accesses.
 * @module
 */
import type { AccessWidth } from '../core/io-region.js';
import type { BusValue } from '../core/bus-value.js';

/**
 * A simulated device behind a {@link SimRegion}: the counterpart of a device's MMIO read/write handlers
 * (QEMU's `MemoryRegionOps.read/write`). The region has already checked bounds, alignment and value types;
 * the device sees only valid, naturally aligned accesses inside `size`, one call per bus access.
 */
export interface SimDevice {
  /** Size of the device's address space in bytes; the region's `size`. */
  readonly size: number;
  /**
   * One `width`-byte read at byte `offset`.
   * @returns an unsigned `number` for widths 1, 2 and 4; an unsigned `bigint` for width 8.
   */
  read(offset: number, width: AccessWidth): BusValue;
  /**
   * One `width`-byte write at byte `offset`. `value` is already unsigned and truncated to the width: a
   * `number` for widths 1, 2 and 4, a `bigint` for width 8.
   */
  write(offset: number, width: AccessWidth, value: BusValue): void;
}
