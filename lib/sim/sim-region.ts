/**
 * The simulated backend: an {@link IoRegion} whose accesses go to a {@link SimDevice} (usually a
 * {@link RegisterModel}) instead of hardware, with the same argument checks and errors as the native backend.
 * @module
 */
import type { BusValue } from '../core/bus-value.js';
import type { AccessWidth } from '../core/io-region.js';
import { RegionBase, swabFor, type ReadAccessor, type WriteAccessor } from '../core/region-base.js';
import type { SimDevice } from './sim-device.js';

/** Options of a {@link SimRegion}. */
export interface SimRegionOptions {
  /** Name shown in `path` (`sim:<name>`) and in errors. Default `'region'`. */
  name?: string;
  /** The `phys` the region reports (a pretend bus address of offset 0). Default `0n`. */
  phys?: bigint;
}

/**
 * An {@link IoRegion} over a simulated device (the simulated counterpart of `ioremap`, mirroring the kernel
 * accessors of include/asm-generic/io.h). Every accessor makes exactly one device access of its width; block
 * operations split into the widest naturally aligned accesses (8, 4, 2, 1 bytes) judged on the offset, and
 * `_rep` operations make `count` accesses to the same offset, so the device sees what hardware would.
 *
 * Checks run in the native backend's order, so both throw the same error for the same bad call: accessors
 * check mapped (`ERR_IOMEM_UNMAPPED`), then the offset (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`,
 * `ERR_UNALIGNED`), then the value; block and `_rep` operations check the buffer type first, memset_io its
 * value first; polls check mapped and the offset before the condition and times. The family of accessors
 * comes from lib/core/region-base.ts; this class supplies the single device access. The polls use
 * lib/core/poll.ts (`*_poll_timeout` resolves or rejects, `*_poll_timeout_atomic` busy-waits and throws
 * `ETIMEDOUT` with `.value`).
 */
export class SimRegion extends RegionBase {
  /** Length of the region in bytes (the device's `size`). */
  readonly size: number;
  /** The pretend bus address of offset 0 (from the options; default `0n`). */
  readonly phys: bigint;
  /** `sim:<name>`. */
  readonly path: string;
  private isMapped = true;

  /**
   * @param device the simulated device that answers every access
   * @param options name and pretend physical address
   */
  constructor(
    readonly device: SimDevice,
    options: SimRegionOptions = {},
  ) {
    super();
    this.size = device.size;
    this.phys = options.phys ?? 0n;
    this.path = `sim:${options.name ?? 'region'}`;
  }

  /** False once {@link SimRegion.iounmap} has run. */
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
