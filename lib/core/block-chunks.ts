/**
 * How memcpy_fromio / memcpy_toio / memset_io split a byte range into single device accesses.
 * @module
 */
import type { AccessWidth } from './io-region.js';

/**
 * Split `count` bytes from `offset` into the accesses memcpy_fromio/toio make: at each position the largest of
 * 8, 4, 2, 1 bytes that the position is aligned to and that fits in what is left. `index` is the byte index
 * into the caller's buffer. The native backend splits the same way,
 * and the access wrappers (traceRegion, recordRegion) record block operations with it.
 */
export function forEachChunk(offset: number, count: number, visit: (at: number, width: AccessWidth, index: number) => void): void {
  const end = offset + count;
  let at = offset;
  while (at < end) {
    const left = end - at;
    const width: AccessWidth = at % 8 === 0 && left >= 8 ? 8 : at % 4 === 0 && left >= 4 ? 4 : at % 2 === 0 && left >= 2 ? 2 : 1;
    visit(at, width, at - offset);
    at += width;
  }
}

/** Read a `width`-byte little-endian value at byte `index` of `view` (`bigint` for width 8). */
export function getLittleEndian(view: DataView, index: number, width: AccessWidth): number | bigint {
  switch (width) {
    case 1:
      return view.getUint8(index);
    case 2:
      return view.getUint16(index, true);
    case 4:
      return view.getUint32(index, true);
    default:
      return view.getBigUint64(index, true);
  }
}

/** Write a `width`-byte little-endian value at byte `index` of `view` (`bigint` for width 8). */
export function setLittleEndian(view: DataView, index: number, width: AccessWidth, value: number | bigint): void {
  switch (width) {
    case 1:
      return view.setUint8(index, value as number);
    case 2:
      return view.setUint16(index, value as number, true);
    case 4:
      return view.setUint32(index, value as number, true);
    default:
      return view.setBigUint64(index, value as bigint, true);
  }
}
