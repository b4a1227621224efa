/**
 * VFIO device regions (VFIO_DEVICE_GET_REGION_INFO) as {@link IoRegion}s: mmapped where the region allows it
 * (flag MMAP; with a sparse-mmap capability only the areas it lists, e.g. around an MSI-X table), read and written
 * with pread/pwrite on the device descriptor everywhere else. pread/pwrite of 1, 2, 4 or 8 bytes is one access of
 * that width (vfio-pci splits nothing that is naturally aligned).
 * @module
 */
import { readSync, writeSync } from 'node:fs';
import { addon, type NativeRegionInfo } from './addon.js';
import { DeviceRegion, type BusDevice } from '../core/device-region.js';
import type { AccessWidth, IoRegion } from '../core/io-region.js';
import { readByWidth, writeByWidth } from '../core/width-dispatch.js';
import type { BusValue } from '../core/bus-value.js';
import { NativeRegion } from './native-region.js';
import { fsError, vfioCall } from './vfio-errors.js';

/** VFIO_REGION_INFO_FLAG_*. */
export const VFIO_REGION_INFO_FLAG_READ = 1;
export const VFIO_REGION_INFO_FLAG_WRITE = 2;
export const VFIO_REGION_INFO_FLAG_MMAP = 4;

/** One area of a region that may be mmapped: [offset in the region, size] in bytes. */
export type MmapArea = readonly [offset: number, size: number];

/** The areas of `info` that may be mmapped: none, the whole region, or the sparse-mmap capability's list. */
export function mmapAreas(info: NativeRegionInfo): MmapArea[] {
  if ((info.flags & VFIO_REGION_INFO_FLAG_MMAP) === 0 || info.size === 0n) return [];
  if (info.sparse === null) return [[0, Number(info.size)]];
  return info.sparse.filter(([, size]) => size > 0n).map(([o, s]) => [Number(o), Number(s)] as const);
}

const scratch = Buffer.alloc(8);

/** pread/pwrite of one width-exact access at `position` of a VFIO device descriptor. */
export class PreadDevice implements BusDevice {
  constructor(
    readonly fd: number,
    /** Where the region starts in the device file. */
    readonly base: number,
    readonly size: number,
    /** Names the region in errors. */
    readonly label: string,
  ) {}

  read(offset: number, width: AccessWidth): BusValue {
    let n: number;
    try {
      n = readSync(this.fd, scratch, 0, width, this.base + offset);
    } catch (e) {
      throw fsError(e, 'pread', this.label, 'the device refused the access: is memory decoding on (PCI_COMMAND bit 1)? VFIO answers EIO then');
    }
    if (n !== width) throw fsError({ errno: -5, syscall: 'pread' }, 'pread', this.label, `short read (${n} of ${width} bytes)`);
    return width === 8 ? scratch.readBigUInt64LE(0) : width === 4 ? scratch.readUInt32LE(0) : width === 2 ? scratch.readUInt16LE(0) : scratch[0];
  }

  write(offset: number, width: AccessWidth, value: BusValue): void {
    if (width === 8) scratch.writeBigUInt64LE(value as bigint, 0);
    else if (width === 4) scratch.writeUInt32LE(value as number, 0);
    else if (width === 2) scratch.writeUInt16LE(value as number, 0);
    else scratch[0] = value as number;
    let n: number;
    try {
      n = writeSync(this.fd, scratch, 0, width, this.base + offset);
    } catch (e) {
      throw fsError(e, 'pwrite', this.label, 'the device refused the access: is memory decoding on (PCI_COMMAND bit 1)? VFIO answers EIO then');
    }
    if (n !== width) throw fsError({ errno: -5, syscall: 'pwrite' }, 'pwrite', this.label, `short write (${n} of ${width} bytes)`);
  }
}

/** Accesses inside an mmapped area go to its mapping, all others to pread/pwrite. */
class SparseDevice implements BusDevice {
  readonly size: number;
  constructor(
    readonly areas: readonly { offset: number; region: IoRegion }[],
    readonly rest: PreadDevice,
  ) {
    this.size = rest.size;
  }
  #area(offset: number, width: number): { offset: number; region: IoRegion } | undefined {
    return this.areas.find((a) => offset >= a.offset && offset + width <= a.offset + a.region.size);
  }
  read(offset: number, width: AccessWidth): BusValue {
    const a = this.#area(offset, width);
    return a === undefined ? this.rest.read(offset, width) : readByWidth(a.region, width, offset - a.offset);
  }
  write(offset: number, width: AccessWidth, value: BusValue): void {
    const a = this.#area(offset, width);
    if (a === undefined) this.rest.write(offset, width, value);
    else writeByWidth(a.region, width, value, offset - a.offset);
  }
}

/** A region mapped from a VFIO device: an {@link IoRegion} plus how it was reached. */
export interface VfioRegionMapping {
  /** The region as every backend's IoRegion. */
  region: IoRegion;
  /** `mmap` (all of it mapped: the fast path), `sparse` (some areas mapped, the rest pread/pwrite), `pread`. */
  access: 'mmap' | 'sparse' | 'pread';
}

/** A region whose iounmap also unmaps the areas mapped under it. */
class CompositeRegion extends DeviceRegion {
  constructor(
    device: BusDevice,
    place: { path: string; phys: bigint },
    readonly parts: readonly IoRegion[],
    readonly onUnmap: () => void,
  ) {
    super(device, place);
  }
  override iounmap(): void {
    if (!this.isMapped) return;
    super.iounmap();
    for (const p of this.parts) p.iounmap();
    this.onUnmap();
  }
}

/**
 * Map region `info` of the device descriptor `fd` (`label` names it in errors and is the region's `path`;
 * `phys` is reported as the region's `phys`, e.g. the BAR's bus address).
 * @throws SystemError from mmap; RangeError `ERR_OUT_OF_RANGE` for an empty region.
 */
export function mapVfioRegion(fd: number, info: NativeRegionInfo, label: string, phys: bigint, onUnmap: () => void): VfioRegionMapping {
  const size = Number(info.size);
  const base = Number(info.offset);
  const readOnly = (info.flags & VFIO_REGION_INFO_FLAG_WRITE) === 0;
  const areas = mmapAreas(info);
  const mapArea = (offset: number, length: number, done?: () => void): NativeRegion =>
    vfioCall(label, () => {
      const mapping = addon().mapFd(fd, label, info.offset + BigInt(offset), length, { readOnly });
      return new NativeRegion(mapping, { fileOffset: info.offset + BigInt(offset), phys: phys + BigInt(offset), size: length, path: label, readOnly, onUnmap: done });
    });
  if (areas.length === 1 && areas[0][0] === 0 && areas[0][1] === size) {
    return { region: mapArea(0, size, onUnmap), access: 'mmap' };
  }
  const rest = new PreadDevice(fd, base, size, label);
  const mapped: { offset: number; region: IoRegion }[] = [];
  try {
    for (const [offset, length] of areas) mapped.push({ offset, region: mapArea(offset, length) });
  } catch (e) {
    for (const m of mapped) m.region.iounmap();
    throw e;
  }
  const device = mapped.length === 0 ? rest : new SparseDevice(mapped, rest);
  return {
    region: new CompositeRegion(device, { path: label, phys }, mapped.map((m) => m.region), onUnmap),
    access: mapped.length === 0 ? 'pread' : 'sparse',
  };
}
