/**
 * The regions a device object has mapped and not yet unmapped, unmapped together when it closes: what
 * PciDevice, UioDevice (and every device that maps regions) share.
 * @module
 */
import { deviceClosedError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';

/** See the module description. Internal: not exported from the package. */
export class OwnedRegions {
  /** Mapped and not yet unmapped: a region leaves the set when it is unmapped, by close() or by itself. */
  readonly #regions = new Set<IoRegion>();
  #closed = false;

  /**
   * @param device the device as errors name it (`0000:00:04.0`, `/dev/uio0`)
   * @param opener the call that opens it again (`openPci`), for the hint of `ERR_DEVICE_CLOSED`
   */
  constructor(
    private readonly device: string,
    private readonly opener: string,
  ) {}

  /** True once {@link OwnedRegions.close} has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Map a region and own it.
   * @param map makes the region (after every check of its own), passing `onUnmap` on to mapFile
   * @throws Error `ERR_DEVICE_CLOSED` after {@link OwnedRegions.close}, before `map` runs; whatever `map` throws
   */
  map(map: (onUnmap: () => void) => IoRegion): IoRegion {
    if (this.#closed) throw deviceClosedError(this.device, this.opener);
    const region: IoRegion = map(() => this.#regions.delete(region));
    this.#regions.add(region);
    return region;
  }

  /** Unmap every region still owned; later maps throw `ERR_DEVICE_CLOSED`. A second call does nothing. */
  close(): void {
    this.#closed = true;
    for (const r of [...this.#regions]) r.iounmap();
  }
}
