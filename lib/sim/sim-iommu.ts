/**
 * A simulated bus memory behind a simulated IOMMU, for one simulated device: the driver side allocates coherent
 * DMA buffers at bus addresses (a {@link DmaDevice}, like a VFIO device), the device side reads and writes bus
 * addresses through the IOMMU's translation. As on the real rig (an Intel IOMMU under VFIO):
 * - a device access to a bus address with no mapping is a fault: a read delivers zeros to the device, a write is
 *   dropped, and the device never hears of it — only the IOMMU's log does (here {@link SimIommu.trace});
 * - freed buffers are unmapped first, so a late DMA to them faults;
 * - the usable IOVA space has the MSI window (0xfee00000..0xfeefffff) as a hole, pages are 4 KiB.
 * The trace records DMA allocations, frees, every device transfer (bus address and length; payloads are not
 * recorded) and every fault.
 * @module
 */
import { checkDmaMask, checkDmaSize, DMA_BIT_MASK, type DmaCoherent, type DmaDevice } from '../core/dma.js';
import { typeError } from '../core/errors.js';
import { IovaAllocator } from '../core/iova-allocator.js';

/** One event on the simulated bus. */
export interface SimDmaEvent {
  /** `alloc`/`free` (driver side), `dma-read`/`dma-write` (the device read or wrote memory), `fault`. */
  op: 'alloc' | 'free' | 'dma-read' | 'dma-write' | 'fault';
  /** The bus address (IOVA). */
  iova: bigint;
  /** Bytes. */
  size: number;
  /** For `fault`: which access faulted and why (as the kernel's DMAR log says it). */
  fault?: { access: 'read' | 'write'; reason: 'unmapped' | 'bus-master-off' };
}

/** Options of a {@link SimIommu}. */
export interface SimIommuOptions {
  /** Usable IOVA ranges, inclusive. Default: the rig's Intel IOMMU, 0..0xfedfffff and 0xfef00000..0x7fffffffff. */
  ranges?: [bigint, bigint][];
  /** Most mappings at once (DMA_AVAIL). Default 65535. */
  dmaAvail?: number;
}

const PAGE = 4096n;

interface Mapping {
  iova: bigint;
  bytes: Uint8Array;
}

/** The simulated IOMMU and bus memory of one device. */
export class SimIommu implements DmaDevice {
  /** Everything that happened on the bus, oldest first. */
  readonly trace: SimDmaEvent[] = [];
  readonly #iova: IovaAllocator;
  /** Live mappings by the bus address of their first page. */
  readonly #maps = new Map<bigint, Mapping>();
  #mask = DMA_BIT_MASK(32);

  constructor(options: SimIommuOptions = {}) {
    this.#iova = new IovaAllocator({
      ranges: options.ranges ?? [[0n, 0xfedf_ffffn], [0xfef0_0000n, 0x7f_ffff_ffffn]],
      pageSizes: PAGE,
      dmaAvail: options.dmaAvail ?? 65535,
    });
  }

  get dmaMask(): bigint {
    return this.#mask;
  }

  setDmaMask(mask: bigint): void {
    this.#mask = checkDmaMask(mask);
  }

  /** DMA buffers allocated and not yet freed: what the simulated IOMMU maps now (a leak check after a driver's close). */
  get liveBuffers(): number {
    return this.#maps.size;
  }

  /** Faults so far (the `fault` events of the trace). */
  get faults(): SimDmaEvent[] {
    return this.trace.filter((e) => e.op === 'fault');
  }

  /** @throws SystemError `ENOSPC` when no IOVA range below the mask fits; RangeError/TypeError for the size. */
  allocCoherent(size: number): DmaCoherent {
    checkDmaSize(size);
    const range = this.#iova.alloc(BigInt(size), this.#mask);
    const bytes = new Uint8Array(Number(range.size));
    this.#maps.set(range.start, { iova: range.start, bytes });
    this.trace.push({ op: 'alloc', iova: range.start, size });
    return Object.freeze({ cpu: bytes.subarray(0, size), dma_handle: range.start, size });
  }

  /** Unmaps it from the IOMMU; the CPU view keeps its bytes (JS memory cannot be taken away). A second free does nothing. */
  freeCoherent(buffer: DmaCoherent): void {
    const m = this.#maps.get(buffer?.dma_handle);
    if (m === undefined) {
      if (typeof buffer?.dma_handle === 'bigint') return;
      throw typeError('ERR_INVALID_ARG_VALUE', 'not a DMA buffer of this simulated device', 'pass a buffer that this simulated device\'s dma_alloc_coherent returned, and free it only once.');
    }
    this.#maps.delete(m.iova);
    this.#iova.free(m.iova);
    this.trace.push({ op: 'free', iova: m.iova, size: buffer.size });
  }

  /** Free every buffer (device close). */
  freeAll(): void {
    for (const m of [...this.#maps.values()]) {
      this.#maps.delete(m.iova);
      this.#iova.free(m.iova);
      this.trace.push({ op: 'free', iova: m.iova, size: m.bytes.byteLength });
    }
  }

  #find(addr: bigint): { m: Mapping; at: number } | undefined {
    for (const m of this.#maps.values()) {
      if (addr >= m.iova && addr < m.iova + BigInt(m.bytes.byteLength)) return { m, at: Number(addr - m.iova) };
    }
    return undefined;
  }

  /** Device side: read `length` bytes at bus address `addr` (unmapped bytes read as 0 and are logged as a fault). */
  deviceRead(addr: bigint, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.trace.push({ op: 'dma-read', iova: addr, size: length });
    this.#walk(addr, length, 'read', (m, at, i, n) => out.set(m.bytes.subarray(at, at + n), i));
    return out;
  }

  /** Device side: write `data` at bus address `addr` (bytes to unmapped addresses are dropped and logged as a fault). */
  deviceWrite(addr: bigint, data: Uint8Array): void {
    this.trace.push({ op: 'dma-write', iova: addr, size: data.byteLength });
    this.#walk(addr, data.byteLength, 'write', (m, at, i, n) => m.bytes.set(data.subarray(i, i + n), at));
  }

  /** Device side: a transfer refused before it reached the bus (bus mastering off): logged, nothing moves. */
  blocked(addr: bigint, length: number, access: 'read' | 'write'): void {
    this.trace.push({ op: 'fault', iova: addr, size: length, fault: { access, reason: 'bus-master-off' } });
  }

  #walk(addr: bigint, length: number, access: 'read' | 'write', move: (m: Mapping, at: number, i: number, n: number) => void): void {
    let i = 0;
    let faultAt: bigint | undefined;
    let faultLen = 0;
    while (i < length) {
      const here = addr + BigInt(i);
      const pageEnd = Number(PAGE - (here % PAGE));
      const n = Math.min(pageEnd, length - i);
      const hit = this.#find(here);
      if (hit === undefined) {
        if (faultAt === undefined) faultAt = here;
        faultLen += n;
      } else {
        move(hit.m, hit.at, i, Math.min(n, hit.m.bytes.byteLength - hit.at));
      }
      i += n;
    }
    if (faultAt !== undefined) this.trace.push({ op: 'fault', iova: faultAt, size: faultLen, fault: { access, reason: 'unmapped' } });
  }
}
