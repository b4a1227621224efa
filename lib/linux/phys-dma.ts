/**
 * DMA without an IOMMU (the way DPDK's uio path works): for a PCI device bound to a UIO driver on a machine with no
 * IOMMU, or with the IOMMU in passthrough (identity) mode. Buffers are pinned memory (mlock, MADV_DONTFORK; 4 KiB
 * pages, or one 2 MiB huge page — physically contiguous — for larger buffers), and their bus address is their
 * physical address, read from /proc/self/pagemap (which shows page frame numbers only to CAP_SYS_ADMIN). Config space
 * and bus mastering go through the device's sysfs `config` file.
 *
 * **Unsafe by nature:** nothing stops the device from writing anywhere in physical memory, so this is root only and
 * refused (`ERR_DMA_IOMMU_TRANSLATING`) where an IOMMU translates for the device: there, physical addresses mean
 * nothing to it and a DMA would silently move nothing (or hit another mapping). Use VFIO there (docs/vfio.md).
 * @module
 */
import { closeSync, existsSync, openSync, readFileSync, readlinkSync, readSync, writeSync } from 'node:fs';
import { basename, join } from 'node:path';
import { addon, type NativeHandle } from './addon.js';
import { checkDmaMask, checkDmaSize, DMA_BIT_MASK, type DmaCoherent, type DmaDevice } from '../core/dma.js';
import { rangeError, systemErrorByCode, typeError } from '../core/errors.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import { findPciDevice, type PciDeviceInfo } from './pci.js';
import { fsError, vfioError } from './vfio-errors.js';

const HUGE_PAGE = 2 << 20;
/** Allocation attempts while looking for memory below the DMA mask (rejected pages are held, then freed). */
const TRIES_BELOW_MASK = 64;

interface Held {
  handle: NativeHandle;
}

/** The physical address of the page holding virtual address `vaddr` (/proc/self/pagemap), or throws. */
export function physicalAddress(vaddr: bigint, pageSize: number): bigint {
  const fd = openSync('/proc/self/pagemap', 'r');
  try {
    const entry = Buffer.alloc(8);
    const n = readSync(fd, entry, 0, 8, Number(vaddr / BigInt(pageSize)) * 8);
    if (n !== 8) throw systemErrorByCode('EIO', 'pread', '/proc/self/pagemap', 'short read of the page map');
    const v = entry.readBigUInt64LE(0);
    const present = (v >> 63n) & 1n;
    const pfn = v & ((1n << 55n) - 1n);
    if (present === 0n) throw systemErrorByCode('EFAULT', 'pread', '/proc/self/pagemap', 'the page is not present (it should have been populated and locked)');
    if (pfn === 0n) throw systemErrorByCode('EPERM', 'pread', '/proc/self/pagemap', 'the kernel hides page frame numbers from processes without CAP_SYS_ADMIN: DMA without an IOMMU needs root');
    return pfn * BigInt(pageSize) + (vaddr % BigInt(pageSize));
  } finally {
    closeSync(fd);
  }
}

/** A PCI device doing DMA to physical addresses (no IOMMU). Make one with {@link openPhysDma}. */
export class PhysDmaDevice implements DmaDevice, PciConfigSpace, Disposable {
  readonly info: PciDeviceInfo;
  readonly #config: number;
  readonly #configPath: string;
  readonly #live = new Map<bigint, Held>();
  #mask = DMA_BIT_MASK(32);
  #closed = false;

  /** @internal use {@link openPhysDma}. */
  constructor(info: PciDeviceInfo) {
    this.info = info;
    this.#configPath = join(info.sysfsPath, 'config');
    try {
      this.#config = openSync(this.#configPath, 'r+');
    } catch (e) {
      throw fsError(e, 'open', this.#configPath);
    }
  }

  get dmaMask(): bigint {
    return this.#mask;
  }
  setDmaMask(mask: bigint): void {
    this.#mask = checkDmaMask(mask);
  }

  /**
   * Pinned memory at its physical address, below the DMA mask: one 4 KiB page for up to a page, one 2 MiB huge page
   * (hugetlbfs: set /proc/sys/vm/nr_hugepages) up to 2 MiB.
   * @throws SystemError `EPERM` (not root: pagemap hides frame numbers), `ENOMEM` (mmap/mlock; no huge page free),
   *   `ENOSPC` (no memory below the mask found), `ENOTSUP` (more than 2 MiB: not physically contiguous here).
   */
  allocCoherent(size: number): DmaCoherent {
    if (this.#closed) throw systemErrorByCode('EBADF', 'dma_alloc_coherent', this.info.bdf, 'the device is closed');
    checkDmaSize(size);
    const page = addon().pageSize;
    if (size > HUGE_PAGE) {
      throw systemErrorByCode('ENOTSUP', 'dma_alloc_coherent', this.info.bdf, `without an IOMMU a buffer must be physically contiguous: at most one ${HUGE_PAGE >> 20} MiB huge page, not ${size} bytes`);
    }
    const hugetlb = size > page;
    const rejected: NativeHandle[] = [];
    try {
      for (let i = 0; i < TRIES_BELOW_MASK; i++) {
        let r: { handle: NativeHandle; buffer: ArrayBuffer; address: bigint };
        try {
          r = addon().dmaAlloc(size, { hugetlb, lock: true });
        } catch (e) {
          throw vfioError(e, this.info.bdf, hugetlb ? 'no free 2 MiB huge page: reserve some (echo 4 > /proc/sys/vm/nr_hugepages)' : 'could not allocate and lock memory (RLIMIT_MEMLOCK?)');
        }
        let phys: bigint;
        try {
          phys = physicalAddress(r.address, page);
        } catch (e) {
          addon().unmap(r.handle);
          throw e;
        }
        if (phys + BigInt(r.buffer.byteLength) - 1n <= this.#mask) {
          this.#live.set(phys, { handle: r.handle });
          return Object.freeze({ cpu: new Uint8Array(r.buffer, 0, size), dma_handle: phys, size });
        }
        rejected.push(r.handle);
      }
    } finally {
      for (const h of rejected) addon().unmap(h);
    }
    throw systemErrorByCode('ENOSPC', 'dma_alloc_coherent', this.info.bdf, `no memory below the DMA mask 0x${this.#mask.toString(16)} found in ${TRIES_BELOW_MASK} tries`);
  }

  freeCoherent(buffer: DmaCoherent): void {
    const held = this.#live.get(buffer?.dma_handle);
    if (held === undefined) {
      if (typeof buffer?.dma_handle === 'bigint') return;
      throw typeError('ERR_INVALID_ARG_VALUE', `not a DMA buffer of ${this.info.bdf}`, 'pass a buffer that this device\'s dma_alloc_coherent returned, and free it only once.');
    }
    this.#live.delete(buffer.dma_handle);
    addon().unmap(held.handle);
  }

  /** One access of sysfs `config` (the kernel's config space, not virtualised). */
  readConfig(where: number, width: 1 | 2 | 4): number {
    checkWhere(where, width);
    const b = Buffer.alloc(4);
    if (readSync(this.#config, b, 0, width, where) !== width) throw systemErrorByCode('EIO', 'pread', this.#configPath, 'short read of config space (not root? non-root users see only the first 64 bytes)');
    return width === 1 ? b[0] : width === 2 ? b.readUInt16LE(0) : b.readUInt32LE(0);
  }

  writeConfig(where: number, width: 1 | 2 | 4, value: number): void {
    checkWhere(where, width);
    const b = Buffer.alloc(4);
    if (width === 1) b[0] = value & 0xff;
    else if (width === 2) b.writeUInt16LE(value & 0xffff, 0);
    else b.writeUInt32LE(value >>> 0, 0);
    if (writeSync(this.#config, b, 0, width, where) !== width) throw systemErrorByCode('EIO', 'pwrite', this.#configPath);
  }

  /** Free every buffer and close the config file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of this.#live.values()) addon().unmap(h.handle);
    this.#live.clear();
    closeSync(this.#config);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function checkWhere(where: number, width: number): void {
  if (typeof where !== 'number' || !Number.isInteger(where) || where < 0 || where + width > 4096) {
    throw rangeError('ERR_OUT_OF_RANGE', `config offset ${String(where)} is outside config space`, 'a config offset is an integer inside the device\'s config space (0..255, or 0..4095 for PCIe), minus the access width.');
  }
  if (where % width !== 0) throw rangeError('ERR_UNALIGNED', `config offset 0x${where.toString(16)} is not aligned for a ${width * 8}-bit access`, `a ${width * 8}-bit config access needs an offset that is a multiple of ${width}.`);
}

/** Whether an IOMMU translates for the device: it has a group whose type is not `identity` (passthrough). */
export function iommuTranslates(info: PciDeviceInfo): boolean {
  const link = join(info.sysfsPath, 'iommu_group');
  if (!existsSync(link)) return false;
  const group = basename(readlinkSync(link));
  try {
    return readFileSync(`/sys/kernel/iommu_groups/${group}/type`, 'utf8').trim() !== 'identity';
  } catch {
    return true;
  }
}

/**
 * DMA to physical addresses for a PCI device on a UIO driver (uio_pci_generic), without an IOMMU. Root only; unsafe
 * (the device can write anywhere). Selectors as openPci's.
 * @throws Error `ERR_DMA_IOMMU_TRANSLATING` where an IOMMU translates for the device (use openVfio);
 *   SystemError `EPERM` when not root, `ENODEV` for no such device.
 */
export function openPhysDma(selector: string, options: { instance?: number } = {}): PhysDmaDevice {
  const info = findPciDevice(selector, options);
  if (iommuTranslates(info)) {
    const err = new Error(
      `ERR_DMA_IOMMU_TRANSLATING: an IOMMU translates for ${info.bdf}, so physical addresses mean nothing to it and DMA would silently move nothing; bind it to vfio-pci and use openVfio (docs/vfio.md), or boot with the IOMMU off or in passthrough (iommu=pt)`,
    ) as Error & { code: string; path: string; hint: string };
    err.code = 'ERR_DMA_IOMMU_TRANSLATING';
    err.path = info.sysfsPath;
    err.hint = 'bind it to vfio-pci and use openVfio, or boot with the IOMMU off or in passthrough (iommu=pt)';
    throw err;
  }
  if (process.geteuid?.() !== 0) {
    throw systemErrorByCode('EPERM', 'open', '/proc/self/pagemap', 'DMA without an IOMMU needs root: only CAP_SYS_ADMIN sees physical addresses, and the device can write anywhere');
  }
  return new PhysDmaDevice(info);
}
