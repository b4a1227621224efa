/**
 * Coherent DMA buffers of one VFIO device: memory this process allocates (native/vfio.cc dmaAlloc: anonymous,
 * page-aligned, populated, excluded from fork()), pinned and mapped into the container's IOMMU by
 * VFIO_IOMMU_MAP_DMA at an IOVA from the container's {@link IovaAllocator} below the device's DMA mask.
 *
 * Lifetime, so that nothing is left pinned or mapped:
 * - `free` (dma_free_coherent): UNMAP_DMA first (the device can no longer reach it), then the memory is unmapped
 *   and the CPU view detached (its length becomes 0).
 * - garbage collection: when the CPU view's ArrayBuffer becomes unreachable, a FinalizationRegistry unmaps the IOVA
 *   range and gives it back (the memory itself goes with the ArrayBuffer).
 * - device close: every buffer still live is freed as by `free`.
 * - process exit: closing the container descriptor makes the kernel drop every mapping and unpin the memory.
 * @module
 */
import { addon, type NativeHandle } from './addon.js';
import { checkDmaMask, checkDmaSize, DMA_BIT_MASK, type DmaCoherent, type DmaDevice } from '../core/dma.js';
import { typeError } from '../core/errors.js';
import { vfioError } from './vfio-errors.js';
import { VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_WRITE, type VfioContainer } from './vfio-container.js';

interface Mapping {
  container: VfioContainer;
  handle: NativeHandle;
  iova: bigint;
  length: bigint;
  live: boolean;
}

function release(m: Mapping, freeMemory: boolean): void {
  if (!m.live) return;
  m.live = false;
  try {
    m.container.unmapDma(m.iova, m.length);
  } finally {
    if (!m.container.closed) m.container.iova.free(m.iova);
    if (freeMemory) addon().unmap(m.handle);
  }
}

// The ArrayBuffer under a CPU view went away: unmap its IOVA range (the memory is freed with the buffer).
const collected = new FinalizationRegistry<Mapping>((m) => {
  try {
    release(m, false);
  } catch {
    // nothing to report to at GC time; the container's close drops it anyway
  }
});

/** The coherent DMA buffers of one device, and its DMA mask. */
export class VfioDmaPool implements DmaDevice {
  readonly #container: VfioContainer;
  readonly #label: string;
  readonly #live = new Map<bigint, Mapping>();
  #mask = DMA_BIT_MASK(32);

  /** @param label the device's name in errors (its BDF) */
  constructor(container: VfioContainer, label: string) {
    this.#container = container;
    this.#label = label;
  }

  get dmaMask(): bigint {
    return this.#mask;
  }

  setDmaMask(mask: bigint): void {
    this.#mask = checkDmaMask(mask);
  }

  /** Buffers allocated and not yet freed or collected. */
  get liveCount(): number {
    let n = 0;
    for (const m of this.#live.values()) if (m.live) n++;
    return n;
  }

  /**
   * @throws SystemError `ENOSPC` (no IOVA range below the mask, or DMA_AVAIL exhausted), `ENOMEM` from mmap;
   *   VfioIoctlError from VFIO_IOMMU_MAP_DMA (`ENOMEM`: RLIMIT_MEMLOCK, with the hint); RangeError/TypeError for the size.
   */
  allocCoherent(size: number): DmaCoherent {
    checkDmaSize(size);
    this.#prune();
    const native = addon();
    let region: { handle: NativeHandle; buffer: ArrayBuffer };
    try {
      region = native.dmaAlloc(size);
    } catch (e) {
      throw vfioError(e, this.#label, 'could not allocate DMA memory: out of memory or address space');
    }
    const length = BigInt(region.buffer.byteLength);
    let iova: bigint;
    try {
      iova = this.#container.iova.alloc(length, this.#mask).start;
    } catch (e) {
      native.unmap(region.handle);
      throw e;
    }
    try {
      this.#container.mapDma(region.handle, iova, VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
    } catch (e) {
      this.#container.iova.free(iova);
      native.unmap(region.handle);
      throw e;
    }
    const m: Mapping = { container: this.#container, handle: region.handle, iova, length, live: true };
    this.#live.set(iova, m);
    collected.register(region.buffer, m, m);
    return Object.freeze({ cpu: new Uint8Array(region.buffer, 0, size), dma_handle: iova, size });
  }

  /** @throws TypeError `ERR_INVALID_ARG_VALUE` for a buffer this device did not allocate. */
  freeCoherent(buffer: DmaCoherent): void {
    const m = this.#live.get(buffer?.dma_handle);
    if (m === undefined) {
      if (typeof buffer?.dma_handle === 'bigint' && buffer.cpu?.byteLength === 0) return; // freed already
      throw typeError('ERR_INVALID_ARG_VALUE', `not a DMA buffer of ${this.#label} (dma_handle ${String(buffer?.dma_handle)})`, `pass a buffer that ${this.#label}'s dma_alloc_coherent returned, and free it only once.`);
    }
    this.#live.delete(m.iova);
    collected.unregister(m);
    release(m, true);
  }

  /** Free every live buffer (device close). */
  freeAll(): void {
    for (const m of this.#live.values()) {
      collected.unregister(m);
      release(m, true);
    }
    this.#live.clear();
  }

  /** Forget mappings the registry already released. */
  #prune(): void {
    for (const [k, m] of this.#live) if (!m.live) this.#live.delete(k);
  }
}
