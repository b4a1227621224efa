/**
 * The simulated backend: an {@link IoRegion} whose accesses go to a {@link SimDevice} (usually a
 * {@link RegisterModel}) instead of hardware, with the same argument checks and errors as the native backend.
 * @module
 */
import { DeviceRegion } from '../core/device-region.js';
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
 * accessors of include/asm-generic/io.h): a {@link DeviceRegion} named `sim:<name>`. Every accessor makes exactly
 * one device access of its width; block operations split into the widest naturally aligned accesses (8, 4, 2, 1
 * bytes) judged on the offset, and `_rep` operations make `count` accesses to the same offset, so the device sees
 * what hardware would.
 *
 * Checks run in the native backend's order, so both throw the same error for the same bad call: accessors
 * check mapped (`ERR_IOMEM_UNMAPPED`), then the offset (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`,
 * `ERR_UNALIGNED`), then the value; block and `_rep` operations check the buffer type first, memset_io its
 * value first; polls check mapped and the offset before the condition and times. The poll methods use
 * lib/core/poll.ts (`*_poll_timeout` resolves or rejects, `*_poll_timeout_atomic` busy-waits and throws
 * `ETIMEDOUT` with `.value`).
 */
export class SimRegion extends DeviceRegion {
  /** The simulated device that answers every access. */
  declare readonly device: SimDevice;

  /**
   * @param device the simulated device that answers every access
   * @param options name and pretend physical address
   */
  constructor(device: SimDevice, options: SimRegionOptions = {}) {
    super(device, { path: `sim:${options.name ?? 'region'}`, phys: options.phys ?? 0n });
  }
}
