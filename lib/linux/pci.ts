/**
 * PCI devices through sysfs (/sys/bus/pci/devices/<BDF>, Documentation/PCI/sysfs-pci.rst): find a device by
 * BDF or vendor:device, list its BARs from `resource`, and map a BAR through `resourceN` (or `resourceN_wc`
 * for write-combining, where the BAR is prefetchable).
 * @module
 */
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe } from '../core/checks.js';
import { rangeError, systemErrorByCode, typeError } from '../core/errors.js';
import type { IoRegion } from '../core/io-region.js';
import { addon } from './addon.js';
import { mapFile } from './map-file.js';
import { OwnedRegions } from './owned-regions.js';
import { readAttr } from './sysfs.js';

const PCI_DEVICES = '/sys/bus/pci/devices';

// Resource flags (include/linux/ioport.h).
const IORESOURCE_IO = 0x100n;
const IORESOURCE_MEM = 0x200n;
const IORESOURCE_PREFETCH = 0x2000n;
const IORESOURCE_MEM_64 = 0x100000n;

/** One Base Address Register as sysfs `resource` describes it. */
export interface PciBar {
  /** BAR number, 0..5. */
  index: number;
  /** Physical start address. */
  start: bigint;
  /** Length in bytes. */
  size: bigint;
  /** The raw IORESOURCE_* flags. */
  flags: bigint;
  /** `mem` (mappable through resourceN) or `io` (port I/O: use inb/outb). */
  type: 'mem' | 'io';
  /** Prefetchable memory: a `resourceN_wc` file offers write-combining. */
  prefetchable: boolean;
  /** A 64-bit memory BAR. */
  is64: boolean;
}

/** A PCI function as sysfs describes it. */
export interface PciDeviceInfo {
  /** Bus/device/function address with domain, e.g. `0000:00:04.0`. */
  bdf: string;
  /** Vendor ID, e.g. 0x1234. */
  vendor: number;
  /** Device ID, e.g. 0x11e8. */
  device: number;
  /** 24-bit class code, e.g. 0x00ff00. */
  class: number;
  /** The bound driver's name (e.g. `uio_pci_generic`), or undefined when unbound. */
  driver?: string;
  /** The implemented BARs (size > 0). */
  bars: PciBar[];
  /** The sysfs folder. */
  sysfsPath: string;
}

function readBars(sysfsPath: string): PciBar[] {
  const text = readAttr(join(sysfsPath, 'resource')) ?? '';
  return text
    .split('\n')
    .slice(0, 6) // lines 0..5 are the BARs; then the expansion ROM and bridge windows
    .map((line, index) => {
      const [start, end, flags] = line.trim().split(/\s+/).map((v) => BigInt(v));
      const size = end > start || (end === start && start !== 0n) ? end - start + 1n : 0n;
      return {
        index,
        start,
        size,
        flags,
        type: (flags & IORESOURCE_IO) !== 0n ? ('io' as const) : ('mem' as const),
        prefetchable: (flags & IORESOURCE_PREFETCH) !== 0n,
        is64: (flags & IORESOURCE_MEM_64) !== 0n,
      };
    })
    .filter((bar) => bar.size > 0n && (bar.flags & (IORESOURCE_IO | IORESOURCE_MEM)) !== 0n);
}

function readPciDevice(bdf: string): PciDeviceInfo {
  const sysfsPath = join(PCI_DEVICES, bdf);
  const driverLink = join(sysfsPath, 'driver');
  return {
    bdf,
    vendor: Number(readAttr(join(sysfsPath, 'vendor')) ?? 0),
    device: Number(readAttr(join(sysfsPath, 'device')) ?? 0),
    class: Number(readAttr(join(sysfsPath, 'class')) ?? 0),
    driver: existsSync(driverLink) ? basename(readlinkSync(driverLink)) : undefined,
    bars: readBars(sysfsPath),
    sysfsPath,
  };
}

/** Every PCI function on the system, by BDF. Empty where sysfs has no PCI bus. */
export function listPciDevices(): PciDeviceInfo[] {
  if (!existsSync(PCI_DEVICES)) return [];
  return readdirSync(PCI_DEVICES).sort().map(readPciDevice);
}

/** An open PCI function: map its BARs. */
export class PciDevice implements Disposable {
  /** What sysfs said when the device was opened. */
  readonly info: PciDeviceInfo;
  /** The regions mapped through this device and not yet unmapped. */
  readonly #regions: OwnedRegions;

  /** @internal use {@link openPci}. */
  constructor(info: PciDeviceInfo) {
    this.info = info;
    this.#regions = new OwnedRegions(info.bdf, 'openPci');
  }

  /** The BAR, or a clear error. */
  bar(index: number): PciBar {
    if (typeof index !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `BAR must be a number, got ${describe(index)}`, 'a BAR index is an integer 0..5, e.g. map(0) for BAR0.');
    const bar = this.info.bars.find((b) => b.index === index);
    if (bar === undefined) {
      const have = this.info.bars.map((b) => `BAR${b.index} (${b.type}, ${b.size} bytes)`).join(', ') || 'none';
      throw rangeError('ERR_OUT_OF_RANGE', `${this.info.bdf} has no BAR${index}; it has: ${have}`, `map one of the BARs this device has (${have}); listPciDevices() shows them.`);
    }
    return bar;
  }

  /**
   * Map BAR `index` through sysfs `resource<index>` (uncached), or `resource<index>_wc` with `{ wc: true }`.
   * `offset`/`size` select part of the BAR (bytes; default the whole BAR). The region's `phys` is the BAR's
   * physical address plus `offset`.
   * @throws RangeError `ERR_OUT_OF_RANGE` (no such BAR, or range beyond it); SystemError `ENOTSUP` for an I/O
   *   BAR (use inb/outb), `ENOENT` for `wc` on a non-prefetchable BAR, `EACCES`/`EPERM` from open/mmap;
   *   Error `ERR_DEVICE_CLOSED` after {@link PciDevice.close}.
   */
  map(index: number, options: { wc?: boolean; offset?: number; size?: number } = {}): IoRegion {
    return this.#regions.map((onUnmap) => {
      const bar = this.bar(index);
      const file = join(this.info.sysfsPath, `resource${index}${options.wc ? '_wc' : ''}`);
      if (bar.type === 'io') {
        throw systemErrorByCode('ENOTSUP', 'mmap', file, `BAR${index} is an I/O port BAR: use inb/outb at port 0x${bar.start.toString(16)}`);
      }
      if (options.wc && !bar.prefetchable) {
        throw systemErrorByCode('ENOENT', 'open', file, `BAR${index} is not prefetchable, so the kernel offers no write-combining mapping`);
      }
      const offset = options.offset ?? 0;
      const size = options.size ?? Number(bar.size) - offset;
      return mapFile(file, offset, size, { phys: bar.start + BigInt(offset), onUnmap });
    });
  }

  /** Unmap every region mapped through this device. A second call does nothing. */
  close(): void {
    this.#regions.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Open a PCI function by BDF (`0000:00:04.0`, or `00:04.0` in domain 0) or by `vendor:device` in hex
 * (`1234:11e8`; with several matches, `options.instance` picks the n-th by BDF).
 * @throws SystemError `ENODEV` when the selector names no PCI device (listing what there is); TypeError
 *   `ERR_INVALID_ARG_TYPE`.
 */
export function openPci(selector: string, options: { instance?: number } = {}): PciDevice {
  return new PciDevice(findPciDevice(selector, options));
}

/**
 * The PCI function a selector names, as {@link openPci} takes it: a BDF (`0000:00:04.0`, or `00:04.0` in domain 0)
 * or `vendor:device` in hex (`1234:11e8`; `options.instance` picks the n-th match by BDF).
 * @throws SystemError `ENODEV` when the selector names no PCI device (listing what there is); TypeError
 *   `ERR_INVALID_ARG_TYPE`.
 */
export function findPciDevice(selector: string, options: { instance?: number } = {}): PciDeviceInfo {
  if (typeof selector !== 'string') {
    throw typeError('ERR_INVALID_ARG_TYPE', `selector must be a BDF or vendor:device string, got ${describe(selector)}`, 'pass a BDF such as \'0000:00:04.0\' (or \'00:04.0\') or a vendor:device ID such as \'1234:11e8\'.');
  }
  addon(); // without the addon, fail with its hint (ERR_MMIO_NATIVE_UNAVAILABLE), not with ENOENT from sysfs
  const all = listPciDevices();
  let found: PciDeviceInfo | undefined;
  const ids = /^([0-9a-f]{4}):([0-9a-f]{4})$/i.exec(selector);
  if (ids) {
    const [vendor, device] = [parseInt(ids[1], 16), parseInt(ids[2], 16)];
    found = all.filter((d) => d.vendor === vendor && d.device === device)[options.instance ?? 0];
  } else {
    const bdf = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/i.test(selector) ? `0000:${selector}` : selector;
    found = all.find((d) => d.bdf === bdf.toLowerCase());
  }
  if (found === undefined) {
    const have = all.map((d) => `${d.bdf} [${d.vendor.toString(16)}:${d.device.toString(16)}]`).join(', ') || 'none';
    throw systemErrorByCode('ENODEV', 'open', selector, `not a PCI device here (a BDF like 0000:00:04.0 or vendor:device like 1234:11e8); devices: ${have}`);
  }
  return found;
}
