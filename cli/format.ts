/**
 * Text and JSON the command line prints: values, hexdumps, and the UIO and PCI listings.
 * @module
 */
import type { PciBar, PciDeviceInfo } from '../lib/linux/pci.js';
import type { UioDeviceInfo } from '../lib/linux/uio.js';
import type { Width } from './targets.js';

/** `0x` and the value in hex, two digits per byte of `width`. */
export function hex(value: number | bigint, width: Width): string {
  return `0x${value.toString(16).padStart(width * 2, '0')}`;
}

/** `0x` and the value in hex, no padding. */
export function hexAddr(value: number | bigint): string {
  return `0x${value.toString(16)}`;
}

/** A size for people: `1 MiB`, `4 KiB`, `24 bytes`. */
export function humanSize(bytes: number | bigint): string {
  const n = BigInt(bytes);
  for (const [unit, shift] of [
    ['GiB', 30n],
    ['MiB', 20n],
    ['KiB', 10n],
  ] as const) {
    const size = 1n << shift;
    if (n >= size && n % size === 0n) return `${n / size} ${unit}`;
  }
  return `${n} bytes`;
}

/** Store `value` (as read: for big-endian reads, already swapped) in `buf` at `index` in memory byte order. */
export function putBytes(buf: Buffer, index: number, value: number | bigint, width: Width, bigEndian: boolean): void {
  switch (width) {
    case 1:
      buf.writeUInt8(value as number, index);
      break;
    case 2:
      if (bigEndian) buf.writeUInt16BE(value as number, index);
      else buf.writeUInt16LE(value as number, index);
      break;
    case 4:
      if (bigEndian) buf.writeUInt32BE(value as number, index);
      else buf.writeUInt32LE(value as number, index);
      break;
    case 8:
      if (bigEndian) buf.writeBigUInt64BE(value as bigint, index);
      else buf.writeBigUInt64LE(value as bigint, index);
      break;
  }
}

/** The value at `index` of `buf` (memory byte order), as read with the given width and endianness. */
export function getValue(buf: Buffer, index: number, width: Width, bigEndian: boolean): number | bigint {
  switch (width) {
    case 1:
      return buf.readUInt8(index);
    case 2:
      return bigEndian ? buf.readUInt16BE(index) : buf.readUInt16LE(index);
    case 4:
      return bigEndian ? buf.readUInt32BE(index) : buf.readUInt32LE(index);
    case 8:
      return bigEndian ? buf.readBigUInt64BE(index) : buf.readBigUInt64LE(index);
  }
}

/** Bytes per hexdump line. */
export const LINE_BYTES = 16;

/**
 * Hexdump lines in memtool's manner: the address, the values of the given width as read, and the bytes as
 * characters (`.` for anything but printable ASCII). `buf` holds whole units; `address` is that of buf[0].
 */
export function hexdumpLines(buf: Buffer, address: bigint, width: Width, bigEndian: boolean, addressDigits: number): string[] {
  const lines: string[] = [];
  for (let line = 0; line < buf.length; line += LINE_BYTES) {
    const end = Math.min(line + LINE_BYTES, buf.length);
    const values: string[] = [];
    for (let i = line; i < end; i += width) values.push(getValue(buf, i, width, bigEndian).toString(16).padStart(width * 2, '0'));
    const full = (LINE_BYTES / width) * (width * 2 + 1) - 1;
    let text = '';
    for (let i = line; i < end; i++) {
      const c = buf[i];
      text += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    const at = (address + BigInt(line)).toString(16).padStart(addressDigits, '0');
    lines.push(`${at}: ${values.join(' ').padEnd(full)}  ${text}`);
  }
  return lines;
}

/** BAR flags for people, as lspci words them: `64-bit, prefetchable`. */
export function barFlags(bar: PciBar): string {
  if (bar.type === 'io') return 'I/O ports';
  return `${bar.is64 ? '64-bit' : '32-bit'}, ${bar.prefetchable ? 'prefetchable' : 'non-prefetchable'}`;
}

/** JSON for one UIO device: bigints as hex strings. */
export function uioJson(d: UioDeviceInfo): Record<string, unknown> {
  return {
    device: `uio${d.number}`,
    number: d.number,
    name: d.name,
    version: d.version,
    events: d.event,
    devicePath: d.devicePath,
    sysfsPath: d.sysfsPath,
    pciAddress: d.pciAddress ?? null,
    maps: d.maps.map((m) => ({ index: m.index, name: m.name, addr: hexAddr(m.addr), size: m.size, offset: m.offset })),
  };
}

/** Text lines for `mmio uio list`. */
export function uioLines(devices: UioDeviceInfo[]): string[] {
  const lines: string[] = [];
  for (const d of devices) {
    const pci = d.pciAddress === undefined ? '' : `  pci ${d.pciAddress}`;
    lines.push(`uio${d.number}  ${d.name}  version ${d.version || '-'}  events ${d.event}  ${d.devicePath}${pci}`);
    if (d.maps.length === 0) lines.push('  (no memory maps)');
    for (const m of d.maps) {
      const name = m.name === '' ? '' : `  ${m.name}`;
      lines.push(
        `  map${m.index}  addr ${hexAddr(m.addr)}  size ${hexAddr(m.size)} (${humanSize(m.size)})  offset ${hexAddr(m.offset)}${name}`,
      );
    }
  }
  return lines;
}

const id4 = (n: number) => n.toString(16).padStart(4, '0');

/** JSON for one PCI function: bigints as hex strings. */
export function pciJson(d: PciDeviceInfo): Record<string, unknown> {
  return {
    bdf: d.bdf,
    vendor: `0x${id4(d.vendor)}`,
    device: `0x${id4(d.device)}`,
    class: `0x${d.class.toString(16).padStart(6, '0')}`,
    driver: d.driver ?? null,
    sysfsPath: d.sysfsPath,
    bars: d.bars.map((b) => ({
      index: b.index,
      type: b.type,
      start: hexAddr(b.start),
      size: hexAddr(b.size),
      flags: hexAddr(b.flags),
      prefetchable: b.prefetchable,
      is64: b.is64,
    })),
  };
}

/** Text lines for `mmio pci list`. */
export function pciLines(devices: PciDeviceInfo[]): string[] {
  const lines: string[] = [];
  for (const d of devices) {
    const cls = d.class.toString(16).padStart(6, '0');
    lines.push(`${d.bdf}  ${id4(d.vendor)}:${id4(d.device)}  class ${cls}  driver ${d.driver ?? '-'}`);
    for (const b of d.bars) {
      lines.push(
        `  bar${b.index}  ${b.type.padEnd(3)}  ${hexAddr(b.start)}  size ${hexAddr(b.size)} (${humanSize(b.size)})  ${barFlags(b)}`,
      );
    }
  }
  return lines;
}

/** JSON.stringify with bigints as hex strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? hexAddr(v) : v), 2);
}
