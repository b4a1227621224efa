/**
 * An IOVA allocator: which bus addresses DMA buffers get (a VFIO container's, lib/linux/vfio-container.ts, and
 * the simulated IOMMU's, lib/sim/sim-iommu.ts). It honours what the IOMMU reports
 * (VFIO_IOMMU_GET_INFO: the usable IOVA ranges, where the MSI window is a hole; the page sizes; DMA_AVAIL, the
 * number of mappings the container still takes) and what each device can address (its DMA mask, as
 * dma_set_mask sets it). First fit from the lowest address, so small masks are served while the space is young.
 * Pure bookkeeping: no system call, so it is tested on any machine.
 * @module
 */
import { rangeError, systemErrorByCode } from '../core/errors.js';

/** What the allocator knows about the IOMMU. */
export interface IovaSpace {
  /** Usable ranges, inclusive [start, end]. Empty: the whole 64-bit space. */
  ranges: readonly (readonly [bigint, bigint])[];
  /** Bitmap of IOVA page sizes (bit n: 2^n bytes); the smallest is the granule. 0: 4 KiB. */
  pageSizes: bigint;
  /** Mappings still available (DMA_AVAIL), or -1 when the kernel does not say. */
  dmaAvail: number;
}

/** One allocated IOVA range. */
export interface IovaRange {
  /** First bus address. */
  start: bigint;
  /** Length in bytes, a multiple of the granule. */
  size: bigint;
}

/** The smallest page size of a bitmap (bit n set: 2^n bytes); 4096 when the bitmap is empty. */
export function smallestPage(pageSizes: bigint): bigint {
  if (pageSizes <= 0n) return 4096n;
  return pageSizes & -pageSizes;
}

/** Allocates IOVA ranges inside an {@link IovaSpace}. */
export class IovaAllocator {
  /** Bytes per IOMMU page (the smallest reported page size). */
  readonly granule: bigint;
  readonly #ranges: (readonly [bigint, bigint])[];
  #avail: number;
  /** Allocated ranges, sorted by start. */
  readonly #used: IovaRange[] = [];

  constructor(space: IovaSpace) {
    this.granule = smallestPage(space.pageSizes);
    this.#ranges = space.ranges.length > 0 ? [...space.ranges].sort((a, b) => (a[0] < b[0] ? -1 : 1)) : [[0n, (1n << 64n) - 1n]];
    this.#avail = space.dmaAvail;
  }

  /** The allocated ranges, lowest first (a copy). */
  get allocated(): IovaRange[] {
    return this.#used.map((r) => ({ ...r }));
  }

  /**
   * Reserve `size` bytes (rounded up to the granule) whose every address is ≤ `mask`, aligned to the granule,
   * never at bus address 0 (a zero dma_handle looks like "no buffer" to many devices and drivers).
   * @throws SystemError `ENOSPC` (syscall `dma_alloc_coherent`) when no free IOVA range below the mask is large
   *   enough, or when the container has no mapping left (DMA_AVAIL); RangeError `ERR_OUT_OF_RANGE` for a size ≤ 0.
   */
  alloc(size: bigint, mask: bigint): IovaRange {
    if (size <= 0n) throw rangeError('ERR_OUT_OF_RANGE', `IOVA size must be > 0, got ${size}`, 'an IOVA range is at least one byte long: pass a positive bigint size.');
    const g = this.granule;
    const length = ((size + g - 1n) / g) * g;
    if (this.#avail === 0) {
      throw systemErrorByCode('ENOSPC', 'dma_alloc_coherent', undefined, 'the IOMMU takes no more DMA mappings (DMA_AVAIL is 0): free buffers, or use fewer and larger ones');
    }
    for (const [lo, hi] of this.#ranges) {
      const top = hi < mask ? hi : mask;
      let at = alignUp(lo > g ? lo : g, g);
      for (const u of this.#used) {
        if (u.start + u.size <= at) continue;
        if (u.start > top) break;
        if (u.start >= at + length) break; // the gap before u fits
        at = alignUp(u.start + u.size, g);
      }
      if (at + length - 1n <= top && at >= lo) return this.#take({ start: at, size: length });
    }
    throw systemErrorByCode(
      'ENOSPC',
      'dma_alloc_coherent',
      undefined,
      `no free IOVA range of ${length} bytes below the DMA mask 0x${mask.toString(16)} inside the IOMMU's ranges: free buffers, or raise the mask (dma_set_mask) if the device can address more`,
    );
  }

  /** Give a range back. Unknown ranges are ignored (a second free does nothing). */
  free(start: bigint): void {
    const i = this.#used.findIndex((u) => u.start === start);
    if (i < 0) return;
    this.#used.splice(i, 1);
    if (this.#avail >= 0) this.#avail++;
  }

  #take(range: IovaRange): IovaRange {
    const i = this.#used.findIndex((u) => u.start > range.start);
    this.#used.splice(i < 0 ? this.#used.length : i, 0, range);
    if (this.#avail > 0) this.#avail--;
    return { ...range };
  }
}

function alignUp(v: bigint, a: bigint): bigint {
  return ((v + a - 1n) / a) * a;
}
