/**
 * A register map definition checked and resolved: {@link RegisterInfo} and {@link FieldInfo}, the unsigned
 * value helpers of every width, and the field value conversions the map and its accessors share.
 * @module
 */
import { BIT, BIT_ULL, FIELD_FIT, FIELD_GET, FIELD_PREP, GENMASK, GENMASK_ULL } from './bits.js';
import { checkAccess, describe } from '../core/checks.js';
import { rangeError, typeError, type ArgumentError } from '../core/errors.js';
import type { AccessWidth } from '../core/io-region.js';
import { REGISTER_ACCESS_KINDS, type FieldSpec, type RegisterAccessKind, type RegisterSpec } from './spec.js';

// Resolved definitions, and the value helpers the map (map.ts) and its accessors (access.ts) share.

/** A register or field value: an unsigned `number` for widths 1, 2, 4; an unsigned `bigint` for 8. */
export type Value = number | bigint;

/** A field as resolved by {@link defineRegisterMap}. */
export interface FieldInfo {
  /** The field's name. */
  readonly name: string;
  /** Its mask in the register: `number` (unsigned) for registers up to 4 bytes, `bigint` for 8. */
  readonly mask: number | bigint;
  /** Highest bit. */
  readonly msb: number;
  /** Lowest bit (the shift). */
  readonly lsb: number;
  /** Access kind (the register's when the definition gave none). */
  readonly access: RegisterAccessKind;
  /** Enumerated values by name. */
  readonly values: ReadonlyMap<string, number | bigint>;
}

/** A register as resolved by {@link defineRegisterMap}. */
export interface RegisterInfo {
  /** The register's name. */
  readonly name: string;
  /** Byte offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly width: AccessWidth;
  /** Access kind. */
  readonly access: RegisterAccessKind;
  /** Reset value: unsigned `number`, or `bigint` for width 8. */
  readonly reset: number | bigint;
  /** Fields by name, in definition order. */
  readonly fields: ReadonlyMap<string, FieldInfo>;
  /** Bits covered by fields (all ones for a register without fields). */
  readonly fieldBits: number | bigint;
  /** Bits of `w1c` fields (all ones for a `w1c` register without fields, 0 if none). */
  readonly w1cBits: number | bigint;
}

/** All ones of each access width. */
export const ALL_ONES: Record<AccessWidth, Value> = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff, 8: (1n << 64n) - 1n };

// Width-generic bit operations on unsigned values (numbers stay within 32 bits).
export const and = (a: Value, b: Value): Value => (typeof a === 'bigint' ? a & (b as bigint) : ((a & (b as number)) >>> 0));
export const or = (a: Value, b: Value): Value => (typeof a === 'bigint' ? a | (b as bigint) : ((a | (b as number)) >>> 0));
export const not = (a: Value, width: AccessWidth): Value =>
  typeof a === 'bigint' ? ~a & (ALL_ONES[8] as bigint) : ((~a & (ALL_ONES[width] as number)) >>> 0);
export const isZero = (a: Value): boolean => a === 0 || a === 0n;
/** `v` as hex with two digits per byte of `width`. */
export const hexOf = (v: Value, width: number): string => `0x${v.toString(16).padStart(width * 2, '0')}`;

/** A name as messages quote it: `'CTRL'`, or a description of what was passed instead. */
export function named(name: unknown): string {
  return typeof name === 'string' ? `'${name}'` : describe(name);
}

/** The TypeError `ERR_REGMAP_ACCESS` of a read of a write-only or a write of a read-only register or field. */
export function accessError(message: string): ArgumentError {
  const hint =
    "the register map declares this register or field 'ro', 'wo' or 'rc': do only what its access allows, or correct the map if the hardware allows more.";
  return typeError('ERR_REGMAP_ACCESS', message, hint);
}

function checkKind(kind: unknown, where: string): RegisterAccessKind {
  if (!REGISTER_ACCESS_KINDS.includes(kind as RegisterAccessKind)) {
    throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: access must be one of ${REGISTER_ACCESS_KINDS.join(', ')}, got ${describe(kind)}`, `access is one of ${REGISTER_ACCESS_KINDS.join(', ')}; leave it out for 'rw'.`);
  }
  return kind as RegisterAccessKind;
}

/** A register value from a definition (reset, enumerated value) as the register's unsigned type. */
function specValue(value: unknown, width: AccessWidth, where: string): Value {
  if (width === 8) {
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
    if (typeof value === 'bigint' && value >= 0n && value <= (ALL_ONES[8] as bigint)) return value;
  } else if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= (ALL_ONES[width] as number)) {
    return value;
  }
  if (typeof value !== 'number' && (typeof value !== 'bigint' || width !== 8)) {
    throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be a number${width === 8 ? ' or a bigint' : ''}, got ${describe(value)}`, width === 8 ? `${where} of a 64-bit register is a bigint (or a safe-integer number), e.g. 0x1n.` : `${where} of a ${width * 8}-bit register is a number, e.g. 0x1.`);
  }
  throw rangeError('ERR_OUT_OF_RANGE', `${where} ${String(value)} does not fit a ${width * 8}-bit register (unsigned)`, `${where} is unsigned and fits ${width * 8} bits: 0..0x${((1n << BigInt(width * 8)) - 1n).toString(16)}.`);
}

function resolveField(register: string, width: AccessWidth, regKind: RegisterAccessKind, name: string, spec: FieldSpec): FieldInfo {
  const where = `field ${register}.${name}`;
  if (spec === null || typeof spec !== 'object') throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be an object { bits, ... }`, "define a field as { bits: [msb, lsb] } or { bits: n }, with optional access and values, e.g. { bits: [7, 4], access: 'rw' }.");
  const { bits } = spec;
  let msb: number;
  let lsb: number;
  if (typeof bits === 'number') {
    msb = lsb = bits;
  } else if (Array.isArray(bits) && bits.length === 2) {
    [msb, lsb] = bits as readonly [number, number];
  } else {
    throw typeError('ERR_INVALID_ARG_TYPE', `${where}: bits must be a bit number or [msb, lsb], got ${describe(bits)}`, 'bits is one bit number (bits: 3) or [msb, lsb] with the high bit first (bits: [7, 4]).');
  }
  const top = width * 8 - 1;
  for (const bit of [msb, lsb]) {
    if (typeof bit !== 'number' || !Number.isInteger(bit) || bit < 0 || bit > top) {
      throw rangeError('ERR_OUT_OF_RANGE', `${where}: bit ${String(bit)} is outside the ${width * 8}-bit register (0..${top})`, `bit numbers of a ${width * 8}-bit register are integers 0..${top}.`);
    }
  }
  if (msb < lsb) throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: bits [${msb}, ${lsb}] must be [msb, lsb], high bit first`, `write the high bit first: bits: [${lsb}, ${msb}].`);
  const mask = width === 8 ? (msb === lsb ? BIT_ULL(msb) : GENMASK_ULL(msb, lsb)) : msb === lsb ? BIT(msb) : GENMASK(msb, lsb);
  const access = spec.access === undefined ? regKind : checkKind(spec.access, where);
  const allowed: Record<RegisterAccessKind, readonly RegisterAccessKind[]> = {
    rw: REGISTER_ACCESS_KINDS,
    w1c: REGISTER_ACCESS_KINDS,
    ro: ['ro', 'rc'],
    rc: ['ro', 'rc'],
    wo: ['wo'],
  };
  if (!allowed[regKind].includes(access)) {
    throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: access '${access}' contradicts its register's '${regKind}'`, `a field may not allow what its register forbids: make the field's access match '${regKind}', or change the register's.`);
  }
  const values = new Map<string, Value>();
  if (spec.values !== undefined) {
    if (spec.values === null || typeof spec.values !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', `${where}: values must be an object { NAME: value }`, 'values names the field\'s values, e.g. values: { OFF: 0, ON: 1 }.');
    }
    for (const [valueName, raw] of Object.entries(spec.values)) {
      const value = specValue(raw, width, `${where}: value ${valueName}`);
      const fits = typeof mask === 'bigint' ? FIELD_FIT(mask, value as bigint) : FIELD_FIT(mask, value as number);
      if (!fits) {
        throw rangeError('ERR_OUT_OF_RANGE', `${where}: value ${valueName} = ${String(value)} does not fit the field's ${msb - lsb + 1} bits`, `a value of this ${msb - lsb + 1}-bit field is 0..${(2n ** BigInt(msb - lsb + 1)) - 1n}.`);
      }
      values.set(valueName, value);
    }
  }
  return { name, mask, msb, lsb, access, values };
}

export function resolveRegister(mapName: string, name: string, spec: RegisterSpec): RegisterInfo {
  const where = `register ${mapName}.${name}`;
  if (spec === null || typeof spec !== 'object') throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be an object { offset, ... }`, "define a register as { offset, width?, access?, reset?, fields? }, e.g. { offset: 0x04, width: 4, access: 'rw' }.");
  const width = spec.width ?? 4;
  if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
    throw rangeError('ERR_OUT_OF_RANGE', `${where}: width must be 1, 2, 4 or 8 bytes, got ${describe(width)}`, 'width is the register\'s size in bytes: 1, 2, 4 (the default) or 8.');
  }
  checkAccess(spec.offset, width, Number.MAX_SAFE_INTEGER);
  const access = spec.access === undefined ? 'rw' : checkKind(spec.access, where);
  const reset = specValue(spec.reset ?? 0, width, `${where}: reset`);
  const fields = new Map<string, FieldInfo>();
  let fieldBits: Value = width === 8 ? 0n : 0;
  let w1cBits: Value = width === 8 ? 0n : 0;
  if (spec.fields !== undefined) {
    if (spec.fields === null || typeof spec.fields !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', `${where}: fields must be an object { NAME: { bits } }`, 'fields maps field names to definitions, e.g. fields: { ENABLE: { bits: 0 }, MODE: { bits: [3, 1] } }.');
    }
    for (const [fieldName, fieldSpec] of Object.entries(spec.fields)) {
      const field = resolveField(`${mapName}.${name}`, width, access, fieldName, fieldSpec);
      if (!isZero(and(fieldBits, field.mask))) {
        const other = [...fields.values()].find((f) => !isZero(and(f.mask, field.mask)));
        throw rangeError('ERR_INVALID_ARG_VALUE', `field ${mapName}.${name}.${fieldName} overlaps field ${other?.name}`, 'fields of one register may not share bits: give each its own [msb, lsb] range.');
      }
      fieldBits = or(fieldBits, field.mask);
      if (field.access === 'w1c') w1cBits = or(w1cBits, field.mask);
      fields.set(fieldName, field);
    }
  }
  if (fields.size === 0) {
    fieldBits = ALL_ONES[width];
    if (access === 'w1c') w1cBits = ALL_ONES[width];
  }
  return { name, offset: spec.offset, width, access, reset, fields, fieldBits, w1cBits };
}

/** A field's input (number, bigint or enumerated name) as the register's value type. */
export function fieldInput(mapName: string, info: RegisterInfo, field: FieldInfo, raw: unknown): Value {
  if (typeof raw === 'string') {
    const named = field.values.get(raw);
    if (named === undefined) {
      const known = field.values.size === 0 ? 'it has no named values' : `its values: ${[...field.values.keys()].join(', ')}`;
      throw rangeError('ERR_INVALID_ARG_VALUE', `no value '${raw}' for field ${mapName}.${info.name}.${field.name} (${known})`, `name one of the field's values (${known}), or pass its number.`);
    }
    return named;
  }
  if (info.width === 8 && typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  return raw as Value;
}

/** A field value shifted into its place in the register (FIELD_PREP with the field's mask). */
export function fieldPrep(field: FieldInfo, value: Value): Value {
  return typeof field.mask === 'bigint' ? FIELD_PREP(field.mask, value as bigint) : FIELD_PREP(field.mask, value as number);
}

/** A field's value out of a register value (FIELD_GET with the field's mask). */
export function fieldGet(field: FieldInfo, value: Value): Value {
  return typeof field.mask === 'bigint' ? FIELD_GET(field.mask, value as bigint) : FIELD_GET(field.mask, value as number);
}

/**
 * What a map's typed accessors use of their map: its name, its resolved registers and fields, and the composing
 * of field values into one register value. {@link RegisterMap} (lib/regmap/map.ts) is the one implementation;
 * the accessors (lib/regmap/access.ts) see only this, so the two files do not import each other.
 */
export interface ResolvedMap {
  /** The map's name, for messages. */
  readonly name: string;
  /** A register by name. @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name. */
  register(name: string): RegisterInfo;
  /** A field by register and field name. @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name. */
  field(register: string, field: string): FieldInfo;
  /** Field inputs as one value and the mask of the fields given (see RegisterMap.compose). */
  compose(info: RegisterInfo, fields: Record<string, unknown>, writing: boolean, polling?: boolean): { value: number | bigint; mask: number | bigint; w1cSet: boolean };
}
