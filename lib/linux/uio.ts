/**
 * UIO devices (drivers/uio, /sys/class/uio/uioN): find a device by name or number, list its maps, map one
 * (map M is mmapped at offset M × page size of /dev/uioN; its sub-page `offset` is then applied), and wait
 * for its interrupts.
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from '../core/checks.js';
import { rangeError, systemErrorByCode, typeError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';
import { addon } from './addon.js';
import { mapFile, pageSize } from './map-file.js';
import { OwnedRegions } from './owned-regions.js';
import { readAttr, readBigAttr } from './sysfs.js';
import { UioInterrupts } from './uio-interrupts.js';

const UIO_CLASS = '/sys/class/uio';

/** One memory map of a UIO device (/sys/class/uio/uioN/maps/mapM). */
export interface UioMapInfo {
  /** M in mapM. */
  index: number;
  /** The map's name (sysfs `name`), '' when the driver gave none. */
  name: string;
  /** Physical address (sysfs `addr`). */
  addr: bigint;
  /** Length in bytes (sysfs `size`). */
  size: number;
  /** Offset in bytes of the region within its first page (sysfs `offset`). */
  offset: number;
}

/** A UIO device as sysfs describes it. */
export interface UioDeviceInfo {
  /** N in uioN. */
  number: number;
  /** The driver-given name (sysfs `name`), e.g. `uio_pci_generic`, or a device-tree node name. */
  name: string;
  /** The driver version string (sysfs `version`). */
  version: string;
  /** The interrupt count so far (sysfs `event`). */
  event: number;
  /** The device node, `/dev/uioN`. */
  devicePath: string;
  /** The sysfs folder, `/sys/class/uio/uioN`. */
  sysfsPath: string;
  /** The memory maps. */
  maps: UioMapInfo[];
  /** The PCI address (BDF) when the device is a PCI function (uio_pci_generic), else undefined. */
  pciAddress?: string;
}

function readMaps(sysfsPath: string): UioMapInfo[] {
  const dir = join(sysfsPath, 'maps');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((e) => /^map\d+$/.test(e))
    .map((e) => {
      const base = join(dir, e);
      return {
        index: Number(e.slice(3)),
        name: readAttr(join(base, 'name')) ?? '',
        addr: readBigAttr(join(base, 'addr')) ?? 0n,
        size: Number(readBigAttr(join(base, 'size')) ?? 0n),
        offset: Number(readBigAttr(join(base, 'offset')) ?? 0n),
      };
    })
    .sort((a, b) => a.index - b.index);
}

function readDevice(number: number): UioDeviceInfo | undefined {
  const sysfsPath = join(UIO_CLASS, `uio${number}`);
  const name = readAttr(join(sysfsPath, 'name'));
  if (name === undefined) return undefined;
  const config = join(sysfsPath, 'device', 'config');
  const info: UioDeviceInfo = {
    number,
    name,
    version: readAttr(join(sysfsPath, 'version')) ?? '',
    event: Number(readAttr(join(sysfsPath, 'event')) ?? 0),
    devicePath: `/dev/uio${number}`,
    sysfsPath,
    maps: readMaps(sysfsPath),
  };
  if (existsSync(config) && existsSync(join(sysfsPath, 'device', 'vendor'))) {
    info.pciAddress = readAttr(join(sysfsPath, 'device', 'uevent'))
      ?.split('\n')
      .find((l) => l.startsWith('PCI_SLOT_NAME='))
      ?.slice('PCI_SLOT_NAME='.length);
  }
  return info;
}

/**
 * Every UIO device on the system, by number, from /sys/class/uio. Empty when the uio module is not loaded.
 */
export function listUioDevices(): UioDeviceInfo[] {
  if (!existsSync(UIO_CLASS)) return [];
  return readdirSync(UIO_CLASS)
    .filter((e) => /^uio\d+$/.test(e))
    .map((e) => readDevice(Number(e.slice(3))))
    .filter((d): d is UioDeviceInfo => d !== undefined)
    .sort((a, b) => a.number - b.number);
}

/** Options of {@link openUio}. */
export interface OpenUioOptions {
  /** With a name that several devices share, take the n-th of them (0-based, by uio number). Default 0. */
  instance?: number;
}

/** An open UIO device: its maps and its interrupts. Close it with `close()` (or `using`). */
export class UioDevice implements Disposable {
  /** What sysfs said when the device was opened. */
  readonly info: UioDeviceInfo;
  /** The device's interrupts: wait, unmask (irqcontrol), mask. */
  readonly irq: UioInterrupts;
  /** The regions mapped through this device and not yet unmapped. */
  readonly #regions: OwnedRegions;

  /** @internal use {@link openUio}. */
  constructor(info: UioDeviceInfo) {
    this.info = info;
    this.#regions = new OwnedRegions(info.devicePath, 'openUio');
    const config = info.pciAddress === undefined ? undefined : join(info.sysfsPath, 'device', 'config');
    this.irq = new UioInterrupts(info.devicePath, info.event, config);
  }

  /**
   * Map memory map `index` (default 0) of the device: mmap of /dev/uioN at `index` × page size, with the
   * map's sub-page offset applied. The region's `phys` is the map's physical address.
   * @throws RangeError `ERR_OUT_OF_RANGE` when the device has no such map (naming the maps it has);
   *   SystemError from open/mmap (`EACCES`: see the README's udev rule; `EINVAL`); Error `ERR_DEVICE_CLOSED`
   *   after {@link UioDevice.close}.
   */
  map(index = 0): IoRegion {
    return this.#regions.map((onUnmap) => {
      if (typeof index !== 'number') {
        throw typeError('ERR_INVALID_ARG_TYPE', `map index must be a number, got ${describe(index)}`, 'a map index is an integer N for the device\'s mapN (0 for the first); listUioDevices() shows the maps.');
      }
      const map = this.info.maps.find((m) => m.index === index);
      if (map === undefined) {
        const have = this.info.maps.map((m) => `map${m.index}`).join(', ') || 'none';
        throw rangeError('ERR_OUT_OF_RANGE', `${this.info.devicePath} (${this.info.name}) has no map${index}; it has: ${have}`, `map one of the maps this device has (${have}); listUioDevices() shows them.`);
      }
      return mapFile(this.info.devicePath, BigInt(index * pageSize() + map.offset), map.size, { phys: map.addr, onUnmap });
    });
  }

  /** Unmap every region mapped through this device and close its interrupt source. A second call does nothing. */
  close(): void {
    this.#regions.close();
    this.irq.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Open a UIO device by name (sysfs `name`, e.g. `uio_pci_generic` or `pl061`), by number (`0` or `'uio0'`), or by
 * device path (`'/dev/uio0'`).
 * @throws SystemError `ENOENT` when no such device exists (listing the devices there are), `EACCES` from opening
 *   /dev/uioN; TypeError `ERR_INVALID_ARG_TYPE`.
 */
export function openUio(device: string | number, options: OpenUioOptions = {}): UioDevice {
  addon(); // without the addon, fail with its hint (ERR_MMIO_NATIVE_UNAVAILABLE), not with ENOENT from sysfs
  const all = listUioDevices();
  let found: UioDeviceInfo | undefined;
  if (typeof device === 'number') {
    found = all.find((d) => d.number === device);
  } else if (typeof device === 'string') {
    const m = /^(?:\/dev\/)?uio(\d+)$/.exec(device);
    found = m ? all.find((d) => d.number === Number(m[1])) : all.filter((d) => d.name === device)[options.instance ?? 0];
  } else {
    throw typeError('ERR_INVALID_ARG_TYPE', `device must be a name, a number or /dev/uioN, got ${describe(device)}`, 'pass the UIO device\'s name (its sysfs name), its number (0 for /dev/uio0) or its path \'/dev/uio0\'.');
  }
  if (found === undefined) {
    const have = all.map((d) => `uio${d.number} (${d.name})`).join(', ') || 'none (is the uio module loaded?)';
    throw systemErrorByCode('ENOENT', 'open', typeof device === 'number' ? `/dev/uio${device}` : device, `no such UIO device; devices: ${have}`);
  }
  return new UioDevice(found);
}
