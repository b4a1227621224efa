/**
 * PCI devices through VFIO (drivers/vfio, Documentation/driver-api/vfio.rst, include/uapi/linux/vfio.h): a device
 * bound to vfio-pci, isolated by the IOMMU, with its BARs as {@link IoRegion}s, its config space with the kernel's
 * accessors, DMA buffers at bus addresses the IOMMU translates ({@link DmaDevice}), and INTx/MSI/MSI-X through
 * eventfds ({@link VfioInterrupts}). Works for a non-root user who owns /dev/vfio/N and whose RLIMIT_MEMLOCK
 * covers the DMA memory.
 * @module
 */
import { closeSync, existsSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { addon, type NativeRegionInfo } from './addon.js';
import { describe } from '../core/checks.js';
import type { DmaCoherent, DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import { deviceClosedError, rangeError, systemErrorByCode, typeError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';
import { findPciDevice, listPciDevices, type PciDeviceInfo } from './pci.js';
import { vfioContainer, type VfioContainer, type VfioIommuInfo } from './vfio-container.js';
import { VfioDmaPool } from './vfio-dma.js';
import { vfioCall, vfioSetupError } from './vfio-errors.js';
import { VfioIrqs, type VfioIrqMode } from './vfio-irqs.js';
import type { VfioInterrupts } from './vfio-irq.js';
import { OwnedRegions } from './owned-regions.js';
import { mapVfioRegion, PreadDevice, type VfioRegionMapping } from './vfio-region.js';

/** VFIO_PCI_CONFIG_REGION_INDEX: config space. BARs are regions 0..5, the ROM 6, VGA 8. */
export const VFIO_PCI_CONFIG_REGION_INDEX = 7;
const VFIO_DEVICE_FLAGS_RESET = 1;

/** What VFIO said about the device when it was opened. */
export interface VfioDeviceInfo {
  /** The PCI function as sysfs describes it. */
  pci: PciDeviceInfo;
  /** Its IOMMU group number (/dev/vfio/N). */
  group: number;
  /** VFIO_DEVICE_GET_INFO flags. */
  flags: number;
  /** True when VFIO_DEVICE_RESET is available (FLR, PM or bus reset). */
  canReset: boolean;
  /** Number of region indexes (BARs 0..5, ROM 6, config 7, VGA 8, device-specific beyond). */
  numRegions: number;
  /** Number of interrupt indexes (INTx 0, MSI 1, MSI-X 2, ERR 3, REQ 4). */
  numIrqs: number;
  /** Vectors per interrupt kind (VFIO_DEVICE_GET_IRQ_INFO count; 0 where absent). */
  irqCounts: { intx: number; msi: number; msix: number; err: number; req: number };
  /** The container's IOMMU. */
  iommu: VfioIommuInfo;
}

/** The group of a PCI function (sysfs `iommu_group` link), or undefined without an IOMMU. */
export function iommuGroupOf(pci: PciDeviceInfo): number | undefined {
  const link = join(pci.sysfsPath, 'iommu_group');
  return existsSync(link) ? Number(basename(readlinkSync(link))) : undefined;
}

/** An open VFIO device. Close it with `close()` (or `using`): regions, DMA buffers, interrupts and the group go. */
export class VfioDevice implements DmaDevice, PciConfigSpace, Disposable {
  readonly info: VfioDeviceInfo;
  /** `vfio:<bdf>`: the device's name in errors. */
  readonly path: string;
  readonly #container: VfioContainer;
  readonly #fd: number;
  readonly #dma: VfioDmaPool;
  readonly #irqs: VfioIrqs;
  /** The BARs mapped through this device and not yet unmapped. */
  readonly #regions: OwnedRegions;
  readonly #regionInfo = new Map<number, NativeRegionInfo>();
  #config: PreadDevice | undefined;
  #closed = false;

  /** @internal use {@link openVfio}. */
  constructor(pci: PciDeviceInfo, group: number, container: VfioContainer, groupFd: number) {
    const native = addon();
    this.path = `vfio:${pci.bdf}`;
    this.#regions = new OwnedRegions(this.path, 'openVfio');
    this.#container = container;
    this.#fd = vfioCall(`/dev/vfio/${group}`, () => native.vfioGroupGetDeviceFd(groupFd, pci.bdf));
    try {
      const d = vfioCall(this.path, () => native.vfioDeviceGetInfo(this.#fd));
      const count = (index: number): number => {
        if (index >= d.numIrqs) return 0;
        try {
          return native.vfioDeviceGetIrqInfo(this.#fd, index).count;
        } catch {
          return 0; // e.g. ERR on a device without AER: EINVAL
        }
      };
      this.info = {
        pci,
        group,
        flags: d.flags,
        canReset: (d.flags & VFIO_DEVICE_FLAGS_RESET) !== 0,
        numRegions: d.numRegions,
        numIrqs: d.numIrqs,
        irqCounts: { intx: count(0), msi: count(1), msix: count(2), err: count(3), req: count(4) },
        iommu: container.iommu as VfioIommuInfo,
      };
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
    this.#dma = new VfioDmaPool(container, pci.bdf);
    this.#irqs = new VfioIrqs(this.#fd, pci.bdf, this.info.irqCounts);
    collected.register(this, { fd: this.#fd, group, container, bdf: pci.bdf }, this);
  }

  /** The device descriptor (for VFIO calls this class does not wrap). */
  get fd(): number {
    return this.#fd;
  }

  /** True once closed. */
  get closed(): boolean {
    return this.#closed;
  }

  #open(): void {
    if (this.#closed) throw deviceClosedError(this.path, 'openVfio');
  }

  /** VFIO_DEVICE_GET_REGION_INFO of region `index` (cached), with its sparse-mmap areas. */
  regionInfo(index: number): NativeRegionInfo {
    this.#open();
    if (!Number.isInteger(index) || index < 0 || index >= this.info.numRegions) {
      throw rangeError('ERR_OUT_OF_RANGE', `${this.path} has regions 0..${this.info.numRegions - 1}, not ${String(index)}`, `a VFIO region index is an integer 0..${this.info.numRegions - 1} (BARs are 0..5, the config space is 7).`);
    }
    let info = this.#regionInfo.get(index);
    if (info === undefined) {
      info = vfioCall(this.path, () => addon().vfioDeviceGetRegionInfo(this.#fd, index));
      this.#regionInfo.set(index, info);
    }
    return info;
  }

  /**
   * Map BAR `bar` (0..5) as an {@link IoRegion}: mmapped where VFIO allows it (only the sparse-mmap areas when the
   * region lists some), pread/pwrite for the rest. `region.phys` is the BAR's bus address from sysfs.
   * @throws RangeError `ERR_OUT_OF_RANGE` (no such BAR, or an empty one); SystemError from mmap; Error
   *   `ERR_DEVICE_CLOSED`.
   */
  mapRegion(bar: number): VfioRegionMapping {
    this.#open();
    if (typeof bar !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `BAR must be a number, got ${describe(bar)}`, 'a BAR index is an integer 0..5, e.g. bar(0) for BAR0.');
    if (!Number.isInteger(bar) || bar < 0 || bar > 5) throw rangeError('ERR_OUT_OF_RANGE', `BAR must be 0..5, got ${bar}`, 'a BAR index is an integer 0..5, e.g. bar(0) for BAR0.');
    const info = this.regionInfo(bar);
    if (info.size === 0n) {
      const have = this.info.pci.bars.map((b) => `BAR${b.index}`).join(', ') || 'none';
      throw rangeError('ERR_OUT_OF_RANGE', `${this.info.pci.bdf} has no BAR${bar}; it has: ${have}`, `map one of the BARs this device has (${have}).`);
    }
    const phys = this.info.pci.bars.find((b) => b.index === bar)?.start ?? 0n;
    let access: VfioRegionMapping['access'] = 'mmap';
    const region = this.#regions.map((onUnmap) => {
      const mapping = mapVfioRegion(this.#fd, info, `${this.path}/bar${bar}`, phys, onUnmap);
      access = mapping.access;
      return mapping.region;
    });
    return { region, access };
  }

  /** {@link VfioDevice.mapRegion}'s region: BAR `bar` as an IoRegion, like every backend's `map`. */
  map(bar: number): IoRegion {
    return this.mapRegion(bar).region;
  }

  #configSpace(): PreadDevice {
    this.#open();
    if (this.#config === undefined) {
      const info = this.regionInfo(VFIO_PCI_CONFIG_REGION_INDEX);
      this.#config = new PreadDevice(this.#fd, Number(info.offset), Number(info.size), `${this.path}/config`);
    }
    return this.#config;
  }

  /**
   * Read `width` bytes of config space at `where` (VFIO's virtualised view: e.g. PCI_COMMAND's INTx-disable bit
   * as VFIO keeps it). Use the kernel-named functions (pci_read_config_dword…) in drivers.
   * @throws RangeError `ERR_OUT_OF_RANGE` / `ERR_UNALIGNED`; SystemError from pread.
   */
  readConfig(where: number, width: 1 | 2 | 4): number {
    const cfg = this.#configSpace();
    checkConfigOffset(where, width, cfg.size, this.path);
    return cfg.read(where, width) as number;
  }

  /** Write config space (see {@link VfioDevice.readConfig}); `value` is truncated to the width. */
  writeConfig(where: number, width: 1 | 2 | 4, value: number): void {
    const cfg = this.#configSpace();
    checkConfigOffset(where, width, cfg.size, this.path);
    if (typeof value !== 'number' || !Number.isInteger(value)) throw typeError('ERR_INVALID_ARG_TYPE', `value must be an integer, got ${describe(value)}`, 'pass an integer value (a number) for the config write.');
    cfg.write(where, width, width === 4 ? value >>> 0 : value & (width === 2 ? 0xffff : 0xff));
  }

  /** Size of config space in bytes (256 for PCI, 4096 for PCI Express). */
  get configSize(): number {
    return this.#configSpace().size;
  }

  /**
   * VFIO_DEVICE_RESET (kernel `pci_reset_function`): FLR, PM or bus reset, whichever VFIO can do.
   * @throws VfioIoctlError `EINVAL`/`ENOTTY` with a hint where the device has no reset ({@link VfioDeviceInfo.canReset}).
   */
  reset(): void {
    this.#open();
    vfioCall(this.path, () => addon().vfioDeviceReset(this.#fd));
  }

  // --- DMA ---------------------------------------------------------------------------------
  get dmaMask(): bigint {
    return this.#dma.dmaMask;
  }
  setDmaMask(mask: bigint): void {
    this.#open();
    this.#dma.setDmaMask(mask);
  }
  allocCoherent(size: number): DmaCoherent {
    this.#open();
    return this.#dma.allocCoherent(size);
  }
  freeCoherent(buffer: DmaCoherent): void {
    if (this.#closed) return; // freed by close()
    this.#dma.freeCoherent(buffer);
  }
  /** DMA buffers allocated and not yet freed. */
  get dmaBuffers(): number {
    return this.#dma.liveCount;
  }

  // --- interrupts --------------------------------------------------------------------------
  /**
   * Set the interrupt mode (kernel `pci_alloc_irq_vectors`): tears the current mode down first (VFIO refuses MSI
   * while INTx is set up), then wires `count` vectors of `mode` (default 1) to new eventfds.
   * @returns one {@link VfioInterrupts} per vector. `'none'` returns [].
   * @throws RangeError `ERR_OUT_OF_RANGE` when the device has fewer vectors of that kind (naming what it has);
   *   VfioIoctlError from VFIO_DEVICE_SET_IRQS.
   */
  enableIrqs(mode: VfioIrqMode, count = 1): VfioInterrupts[] {
    this.#open();
    return this.#irqs.enable(mode, count);
  }

  /** The current mode and its vectors. */
  get irqMode(): VfioIrqMode {
    return this.#irqs.mode;
  }

  /** The vectors of the current mode. */
  get irqVectors(): readonly VfioInterrupts[] {
    return this.#irqs.vectors;
  }

  /**
   * Vector 0 of the current interrupt mode; with no mode set, INTx is enabled first. So a driver written for UIO
   * runs unchanged: wait, acknowledge the device, `unmask()`.
   */
  get irq(): VfioInterrupts {
    this.#open();
    if (this.#irqs.mode === 'none') this.#irqs.enable('intx', 1);
    return this.#irqs.vectors[0];
  }

  /**
   * The REQ notification (VFIO_PCI_REQ_IRQ_INDEX): fires when the kernel wants the device back (an unbind, a
   * hot-unplug); the unbind waits until this process closes the device.
   * @throws RangeError `ERR_OUT_OF_RANGE` when the device has no REQ index.
   */
  requestNotifier(): VfioInterrupts {
    this.#open();
    return this.#irqs.notifier('req');
  }

  /** Release everything: interrupts (torn down, eventfds closed), DMA buffers (unmapped, freed), regions, the device descriptor, the group. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#irqs.closeAll();
    } finally {
      try {
        this.#dma.freeAll();
      } finally {
        this.#regions.close();
        collected.unregister(this);
        closeSync(this.#fd);
        this.#container.releaseGroup(this.info.group);
        forgetOpen(this.info.pci.bdf);
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function checkConfigOffset(where: number, width: number, size: number, path: string): void {
  if (typeof where !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `config offset must be a number, got ${describe(where)}`, `a config offset is an integer number in 0..${size - width}, a multiple of ${width}.`);
  if (!Number.isInteger(where) || where < 0 || where + width > size) {
    throw rangeError('ERR_OUT_OF_RANGE', `config offset ${String(where)} (+${width}) is outside ${path}'s ${size}-byte config space`, `a config offset is an integer number in 0..${size - width}, a multiple of ${width}.`);
  }
  if (where % width !== 0) throw rangeError('ERR_UNALIGNED', `config offset 0x${where.toString(16)} is not aligned for a ${width * 8}-bit access`, `a ${width * 8}-bit config access needs an offset that is a multiple of ${width}.`);
}

/** Options of {@link openVfio}. */
export interface OpenVfioOptions {
  /** With a vendor:device selector that several devices match, the n-th by BDF (0-based). Default 0. */
  instance?: number;
}

/**
 * Open a PCI function bound to vfio-pci, by BDF (`0000:00:06.0`, `00:06.0`) or `vendor:device` (`1234:11e8`:
 * the first match bound to vfio-pci, or with `instance` the n-th match): its group joins this process's one container (opened on first use; type1v2 IOMMU).
 * @throws SystemError `ENODEV` (no such PCI device), `EACCES` (/dev/vfio/N not the user's), `EBUSY`;
 *   VfioSetupError `ERR_VFIO_NO_IOMMU` (no IOMMU group: the IOMMU is off), `ERR_VFIO_UNBOUND`,
 *   `ERR_VFIO_WRONG_DRIVER` (bound to another driver), `ERR_VFIO_GROUP_NOT_VIABLE` (naming the devices);
 *   VfioIoctlError `EPERM` from VFIO_SET_IOMMU (the allow_unsafe_interrupts hint), `EBUSY` from
 *   VFIO_GROUP_GET_DEVICE_FD (open elsewhere); SystemError `EBUSY` (syscall `open`) when this process has it open.
 */
export function openVfio(selector: string, options: OpenVfioOptions = {}): VfioDevice {
  let pci: PciDeviceInfo;
  const ids = typeof selector === 'string' ? /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(selector) : null;
  if (ids !== null && options.instance === undefined) {
    // vendor:device without an instance: the first match bound to vfio-pci, so devices on other drivers are passed over
    const [vendor, device] = [parseInt(ids[1], 16), parseInt(ids[2], 16)];
    pci = listPciDevices().find((d) => d.vendor === vendor && d.device === device && d.driver === 'vfio-pci') ?? findPciDevice(selector);
  } else {
    pci = findPciDevice(selector, options);
  }
  const group = iommuGroupOf(pci);
  const sysfs = pci.sysfsPath;
  if (group === undefined) {
    throw vfioSetupError('ERR_VFIO_NO_IOMMU', sysfs, `${pci.bdf} has no IOMMU group`,
      'no IOMMU is translating for it: enable VT-d/AMD-Vi in the firmware and boot with intel_iommu=on (or amd_iommu=on); without an IOMMU use UIO');
  }
  if (pci.driver === undefined) {
    throw vfioSetupError('ERR_VFIO_UNBOUND', sysfs, `${pci.bdf} is bound to no driver`,
      `bind it to vfio-pci: echo vfio-pci > ${sysfs}/driver_override; echo ${pci.bdf} > /sys/bus/pci/drivers_probe (after modprobe vfio-pci)`);
  }
  if (pci.driver !== 'vfio-pci') {
    throw vfioSetupError('ERR_VFIO_WRONG_DRIVER', sysfs, `${pci.bdf} is bound to ${pci.driver}, not vfio-pci`,
      `unbind it first: echo ${pci.bdf} > ${sysfs}/driver/unbind; echo vfio-pci > ${sysfs}/driver_override; echo ${pci.bdf} > /sys/bus/pci/drivers_probe`);
  }
  if (openHere.has(pci.bdf)) {
    // The kernel lets one process open a device twice, but two owners of one device's interrupts, DMA and
    // config space in one process is a bug: refuse it as another process would be refused.
    throw systemErrorByCode('EBUSY', 'open', `vfio:${pci.bdf}`, 'the device is already open through VFIO in this process: use the VfioDevice you have, or close it first');
  }
  const container = vfioContainer();
  const groupFd = container.attachGroup(group);
  let dev: VfioDevice;
  try {
    dev = new VfioDevice(pci, group, container, groupFd);
  } catch (e) {
    container.releaseGroup(group);
    throw e;
  }
  openHere.add(pci.bdf);
  return dev;
}

/**
 * A device object that became unreachable without close(): close its descriptor (the kernel then unwires its
 * interrupts) and release its group. Its DMA buffers go with their own ArrayBuffers, or with the container.
 */
const collected = new FinalizationRegistry<{ fd: number; group: number; container: VfioContainer; bdf: string }>((held) => {
  try {
    closeSync(held.fd);
    held.container.releaseGroup(held.group);
  } catch {
    // nothing to report to at GC time
  }
  forgetOpen(held.bdf);
});

/** BDFs of the devices open through {@link openVfio} in this process. */
const openHere = new Set<string>();

/** @internal the device's close() calls this. */
function forgetOpen(bdf: string): void {
  openHere.delete(bdf);
}
