/**
 * The process's VFIO container (Documentation/driver-api/vfio.rst): /dev/vfio/vfio, opened when the first group
 * is attached, holding every group this process opens (so all their devices share one IOMMU address space and
 * one {@link IovaAllocator}), and closed when the last group is released — which also drops every DMA mapping
 * left in it. The IOMMU model is type1v2 (else type1), set once the first group is in.
 * @module
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { addon, type NativeHandle, type NativeIommuInfo } from './addon.js';
import { fsError, vfioCall, vfioSetupError } from './vfio-errors.js';
import { internalError } from '../core/errors.js';
import { IovaAllocator } from '../core/iova-allocator.js';
import { fdHolders, groupBusyHint } from './fd-holders.js';

/** /dev/vfio/vfio. */
export const VFIO_CONTAINER_PATH = '/dev/vfio/vfio';

// include/uapi/linux/vfio.h
const VFIO_API_VERSION = 0;
const VFIO_TYPE1_IOMMU = 1;
const VFIO_TYPE1v2_IOMMU = 3;
const VFIO_NOIOMMU_IOMMU = 8;
const VFIO_GROUP_FLAGS_VIABLE = 1;
/** VFIO_DMA_MAP_FLAG_READ: the device may read the memory. */
export const VFIO_DMA_MAP_FLAG_READ = 1;
/** VFIO_DMA_MAP_FLAG_WRITE: the device may write the memory. */
export const VFIO_DMA_MAP_FLAG_WRITE = 2;

/** What the container's IOMMU reported (VFIO_IOMMU_GET_INFO). */
export interface VfioIommuInfo {
  /** `type1v2` or `type1`. */
  type: 'type1v2' | 'type1';
  /** Bitmap of IOVA page sizes (bit n: 2^n bytes). */
  pageSizes: bigint;
  /** Usable IOVA ranges, inclusive [start, end]. */
  ranges: [bigint, bigint][];
  /** Mappings the container took when it was set up (DMA_AVAIL), -1 when not reported. */
  dmaAvail: number;
}

const IOMMU_GROUPS = '/sys/kernel/iommu_groups';
/** Drivers a viable group's devices may be bound to besides none (the kernel's vfio allow list). */
const VIABLE_DRIVERS = new Set(['vfio-pci', 'pci-stub', 'pcieport']);

/** One device of an IOMMU group. */
export interface IommuGroupDevice {
  /** Its PCI address. */
  bdf: string;
  /** The bound driver, or undefined. */
  driver?: string;
  /** Vendor and device IDs (0 where sysfs does not say). */
  vendor: number;
  device: number;
}

/** An IOMMU group as sysfs describes it (/sys/kernel/iommu_groups/N). */
export interface IommuGroupInfo {
  /** N. */
  group: number;
  /** `/dev/vfio/N`, which exists once a device of the group is bound to vfio-pci. */
  devicePath: string;
  /** Whether `devicePath` exists. */
  hasDeviceFile: boolean;
  /** True when every device is bound to vfio-pci (or pci-stub, pcieport, or none): VFIO will take the group. */
  viable: boolean;
  /** Its devices. */
  devices: IommuGroupDevice[];
}

/** The devices of IOMMU group `group` and their drivers (sysfs /sys/kernel/iommu_groups/N/devices). */
export function iommuGroupDevices(group: number): IommuGroupDevice[] {
  const dir = `${IOMMU_GROUPS}/${group}/devices`;
  if (!existsSync(dir)) return [];
  const id = (path: string): number => {
    try {
      return Number(readFileSync(path, 'utf8').trim());
    } catch {
      return 0;
    }
  };
  return readdirSync(dir)
    .sort()
    .map((bdf) => {
      const link = join(dir, bdf, 'driver');
      return {
        bdf,
        driver: existsSync(link) ? basename(readlinkSync(link)) : undefined,
        vendor: id(join(dir, bdf, 'vendor')),
        device: id(join(dir, bdf, 'device')),
      };
    });
}

/** Every IOMMU group, by number. Empty where no IOMMU is translating. */
export function listIommuGroups(): IommuGroupInfo[] {
  if (!existsSync(IOMMU_GROUPS)) return [];
  return readdirSync(IOMMU_GROUPS)
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b)
    .map((group) => {
      const devices = iommuGroupDevices(group);
      const devicePath = `/dev/vfio/${group}`;
      return {
        group,
        devicePath,
        hasDeviceFile: existsSync(devicePath),
        viable: devices.every((d) => d.driver === undefined || VIABLE_DRIVERS.has(d.driver)),
        devices,
      };
    });
}

interface AttachedGroup {
  fd: number;
  users: number;
}

/** The one VFIO container of this process. Get it with {@link vfioContainer}. */
export class VfioContainer {
  readonly #fd: number;
  readonly #groups = new Map<number, AttachedGroup>();
  #iommu: VfioIommuInfo | undefined;
  #iova: IovaAllocator | undefined;
  #closed = false;

  /** @internal opens /dev/vfio/vfio and checks the API; use {@link vfioContainer}. */
  constructor() {
    const native = addon();
    try {
      this.#fd = openSync(VFIO_CONTAINER_PATH, 'r+');
    } catch (e) {
      throw fsError(e, 'open', VFIO_CONTAINER_PATH, (e as { code?: string }).code === 'ENOENT'
        ? 'no VFIO here: load the vfio and vfio_pci modules (modprobe vfio-pci) on a kernel with an IOMMU enabled'
        : undefined);
    }
    try {
      const version = vfioCall(VFIO_CONTAINER_PATH, () => native.vfioGetApiVersion(this.#fd));
      if (version !== VFIO_API_VERSION) {
        throw vfioSetupError('ERR_VFIO_API', VFIO_CONTAINER_PATH, `VFIO API version ${version}, expected ${VFIO_API_VERSION}`, 'this kernel speaks another VFIO API than include/uapi/linux/vfio.h version 0');
      }
    } catch (e) {
      closeSync(this.#fd);
      throw e;
    }
  }

  /** The container's descriptor. */
  get fd(): number {
    return this.#fd;
  }

  /** True once the last group left and the container was closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The IOMMU's answer; undefined until the first group is attached. */
  get iommu(): VfioIommuInfo | undefined {
    return this.#iommu;
  }

  /** The IOVA allocator shared by every device in the container (exists once the IOMMU is set). */
  get iova(): IovaAllocator {
    if (this.#iova === undefined) throw internalError('the VFIO container has no IOMMU set yet');
    return this.#iova;
  }

  /**
   * Attach IOMMU group `group` (open /dev/vfio/N, check viability, VFIO_GROUP_SET_CONTAINER, and for the first
   * group VFIO_SET_IOMMU and VFIO_IOMMU_GET_INFO). A group already attached is counted, not reopened.
   * @returns the group's descriptor.
   * @throws SystemError from open (`EACCES`: the user does not own /dev/vfio/N; `ENOENT`; `EBUSY`: the group is
   *   in another container — another thread of this process, e.g. a worker that called openVfio, or another
   *   process: the hint says which, naming the process); VfioSetupError `ERR_VFIO_GROUP_NOT_VIABLE` naming the devices that keep it so,
   *   `ERR_VFIO_NO_IOMMU` when the kernel offers no type1 IOMMU; VfioIoctlError `EPERM` from VFIO_SET_IOMMU
   *   (no interrupt remapping: the allow_unsafe_interrupts hint).
   */
  attachGroup(group: number): number {
    const known = this.#groups.get(group);
    if (known !== undefined) {
      known.users++;
      return known.fd;
    }
    const native = addon();
    const path = `/dev/vfio/${group}`;
    let fd: number;
    try {
      fd = openSync(path, 'r+');
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw fsError(e, 'open', path,
        code === 'EACCES' ? `the group's device file belongs to another user: give it to this user (chown, or a udev rule for vfio groups) and raise RLIMIT_MEMLOCK for the DMA memory`
        : code === 'EBUSY' ? groupBusyHint(path, fdHolders(path))
        : code === 'ENOENT' ? 'no such VFIO group: bind the device to vfio-pci first'
        : undefined);
    }
    try {
      const flags = vfioCall(path, () => native.vfioGroupGetStatus(fd));
      if ((flags & VFIO_GROUP_FLAGS_VIABLE) === 0) {
        const others = iommuGroupDevices(group).filter((d) => d.driver !== undefined && !VIABLE_DRIVERS.has(d.driver));
        const named = others.map((d) => `${d.bdf} (${d.driver ?? 'no driver'})`).join(', ') || 'unknown devices';
        throw vfioSetupError('ERR_VFIO_GROUP_NOT_VIABLE', path, `IOMMU group ${group} is not viable: ${named} not bound to vfio-pci`,
          `every device of the group must be bound to vfio-pci (or to no driver): bind ${others.map((d) => d.bdf).join(', ') || 'them'} to vfio-pci too`);
      }
      vfioCall(path, () => native.vfioGroupSetContainer(fd, this.#fd));
      if (this.#iommu === undefined) this.#setIommu(path, fd);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    this.#groups.set(group, { fd, users: 1 });
    return fd;
  }

  #setIommu(path: string, groupFd: number): void {
    const native = addon();
    const has = (ext: number): boolean => vfioCall(VFIO_CONTAINER_PATH, () => native.vfioCheckExtension(this.#fd, ext)) > 0;
    const type = has(VFIO_TYPE1v2_IOMMU) ? VFIO_TYPE1v2_IOMMU : has(VFIO_TYPE1_IOMMU) ? VFIO_TYPE1_IOMMU : 0;
    if (type === 0) {
      native.vfioGroupUnsetContainer(groupFd);
      const noiommu = has(VFIO_NOIOMMU_IOMMU);
      throw vfioSetupError('ERR_VFIO_NO_IOMMU', path, 'the kernel offers no type1 IOMMU for VFIO',
        noiommu ? 'only VFIO no-IOMMU mode is available, which this library does not use (it gives no isolation)' : 'enable the IOMMU (intel_iommu=on / amd_iommu=on, VT-d or AMD-Vi in the firmware) and load vfio_iommu_type1');
    }
    try {
      vfioCall(VFIO_CONTAINER_PATH, () => native.vfioSetIommu(this.#fd, type));
    } catch (e) {
      try {
        native.vfioGroupUnsetContainer(groupFd);
      } catch {
        // the group is closed next anyway
      }
      throw e;
    }
    const info: NativeIommuInfo = vfioCall(VFIO_CONTAINER_PATH, () => native.vfioIommuGetInfo(this.#fd));
    this.#iommu = { type: type === VFIO_TYPE1v2_IOMMU ? 'type1v2' : 'type1', pageSizes: info.pageSizes, ranges: info.ranges, dmaAvail: info.dmaAvail };
    this.#iova = new IovaAllocator(this.#iommu);
  }

  /** Drop one user of `group`; the last one unsets the container and closes the group, the last group the container. */
  releaseGroup(group: number): void {
    const g = this.#groups.get(group);
    if (g === undefined) return;
    if (--g.users > 0) return;
    this.#groups.delete(group);
    try {
      addon().vfioGroupUnsetContainer(g.fd);
    } catch {
      // closing the group detaches it as well
    }
    closeSync(g.fd);
    if (this.#groups.size === 0) this.#close();
  }

  /**
   * VFIO_IOMMU_MAP_DMA of a whole DMA buffer at `iova` (what dma_alloc_coherent does; exposed for tests that map
   * behind the allocator's back).
   * @internal
   * @throws VfioIoctlError (`ENOMEM`: RLIMIT_MEMLOCK; `EEXIST`; `EINVAL`; `ENOSPC`) with hints.
   */
  mapDma(handle: NativeHandle, iova: bigint, flags: number): void {
    vfioCall(VFIO_CONTAINER_PATH, () => addon().vfioMapDma(this.#fd, handle, iova, flags));
  }

  /** VFIO_IOMMU_UNMAP_DMA; returns the bytes unmapped (0 once the container is closed: closing unmapped all). @internal */
  unmapDma(iova: bigint, size: bigint): bigint {
    if (this.#closed) return 0n;
    return vfioCall(VFIO_CONTAINER_PATH, () => addon().vfioUnmapDma(this.#fd, iova, size));
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
    if (current === this) current = undefined;
  }
}

let current: VfioContainer | undefined;

/** This process's container, opened on first use (and again after the last group left). */
export function vfioContainer(): VfioContainer {
  if (current === undefined || current.closed) current = new VfioContainer();
  return current;
}
