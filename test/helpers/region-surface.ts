/**
 * The accessors of the region surface, read from the classes themselves (RegionBase's prototype, NativeRegion's
 * prototype) and classified by name, so the tests that must cover every accessor (the hostile battery, the
 * access-width test) cannot miss a new one: a method whose name fits no known family fails {@link classify}.
 * @module
 */
import { RegionBase } from '../../lib/core/region-base.js';

/** An accessor of the region surface with what its name says about it. */
export interface Accessor {
  name: string;
  kind: 'read' | 'write' | 'poll' | 'rep-read' | 'rep-write' | 'block';
  width: 1 | 2 | 4 | 8;
  bigEndian: boolean;
  atomic: boolean;
}

const WIDTH_OF_LETTER = { b: 1, w: 2, l: 4, q: 8 } as const;
const WIDTH_OF_BITS = { 8: 1, 16: 2, 32: 4, 64: 8 } as const;

/** Classify one method name of the region surface; undefined for the non-accessors (iounmap, constructor…). */
export function classify(name: string): Accessor | undefined {
  let m = /^(read|write)([bwlq])(_relaxed)?$/.exec(name);
  if (m) return { name, kind: m[1] as 'read' | 'write', width: WIDTH_OF_LETTER[m[2] as 'b'], bigEndian: false, atomic: false };
  m = /^io(read|write)(8|16|32|64)(be)?$/.exec(name);
  if (m) return { name, kind: m[1] as 'read' | 'write', width: WIDTH_OF_BITS[m[2] as '8'], bigEndian: m[3] === 'be', atomic: false };
  m = /^read([bwlq])_poll_timeout(_atomic)?$/.exec(name);
  if (m) return { name, kind: 'poll', width: WIDTH_OF_LETTER[m[1] as 'b'], bigEndian: false, atomic: m[2] !== undefined };
  m = /^io(read|write)(8|16|32)_rep$/.exec(name);
  if (m) return { name, kind: m[1] === 'read' ? 'rep-read' : 'rep-write', width: WIDTH_OF_BITS[m[2] as '8'], bigEndian: false, atomic: false };
  if (/^(memcpy_fromio|memcpy_toio|memset_io)$/.test(name)) return { name, kind: 'block', width: 1, bigEndian: false, atomic: false };
  if (/^(iounmap|constructor|mapped|checkAccess|checkWriteValue|pollSync|pollAsync|read|write|busRead|busWrite|readRep|writeRep|checkOffset)$/.test(name)) return undefined; // primitives and protected helpers
  throw new Error(`region surface: '${name}' fits no accessor family: classify it in test/helpers/region-surface.ts`);
}

/** Every accessor on `proto` (default: RegionBase's prototype, which every backend's surface matches). */
export function accessors(proto: object = RegionBase.prototype): Accessor[] {
  return Object.getOwnPropertyNames(proto)
    .map(classify)
    .filter((a): a is Accessor => a !== undefined);
}

