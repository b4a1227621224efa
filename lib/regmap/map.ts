/**
 * Declarative register maps: a device's registers (name, offset, width, access kind, reset value) and their
 * named bit fields (bit ranges, access kind, enumerated values) in one object, from which come
 * - typed accessors over any {@link IoRegion} ({@link RegisterMap.attach}): read a register, read or write a
 *   field, update several fields in one read-modify-write (the kernel's regmap: drivers/base/regmap,
 *   `regmap_read`, `regmap_write`, `regmap_update_bits`, `regmap_field_read`, `regmap_field_write`,
 *   `regmap_read_poll_timeout`);
 * - pure helpers (`prep`, `get`, `decode`, `describe`) built on include/linux/bitfield.h's `FIELD_PREP` and
 *   `FIELD_GET` (lib/bits.ts);
 * - a simulated model of the same layout for the simulated backend (lib/regmap/model.ts).
 *
 * ```ts
 * const UART = defineRegisterMap({
 *   name: 'uart',
 *   registers: {
 *     CTRL: { offset: 0x00, fields: { EN: { bits: 0 }, MODE: { bits: [6, 4], values: { IDLE: 0, TX: 1, RX: 2 } } } },
 *     STAT: { offset: 0x04, access: 'ro', fields: { BUSY: { bits: 0 } } },
 *     INT:  { offset: 0x08, access: 'w1c', fields: { RX: { bits: 0 }, TX: { bits: 1 } } },
 *   },
 * });
 * const uart = UART.attach(region);
 * uart.updateFields('CTRL', { EN: 1, MODE: 'TX' });   // one readl, one writel
 * await uart.fieldPollTimeout('STAT', { BUSY: 0 }, 10, 100_000);
 * uart.writeField('INT', 'RX', 1);                     // write-1-to-clear: writes 0x1, no read
 * ```
 *
 * TypeScript infers the register and field names from the definition (a `const` type parameter, no `as const`
 * needed), so a misspelt register or field name, a write to a read-only register or field, a read of a
 * write-only one, or an unknown enumerated value fails to compile. The same mistakes from plain JavaScript throw
 * at run time.
 *
 * Access kinds (of a register, and of a field, which defaults to its register's):
 * - `rw`: read and write.
 * - `ro`: read-only; writes are refused.
 * - `wo`: write-only; reads are refused. Read-modify-writes start from the last value written through this map
 *   to this region (a register cache, as regmap keeps), initially the reset value.
 * - `w1c`: write 1 to clear. Read-modify-writes write 0 to the `w1c` bits they do not target, so they never
 *   clear anything by accident; a `w1c` register whose fields are all `w1c` (or that has no fields) is written
 *   with only the given fields, with no read.
 * - `rc`: read to clear (reading returns the bits, then the device clears them); read-only.
 *
 * Values: registers of width 1, 2 and 4 bytes take and return unsigned `number`s; width 8 returns `bigint`s
 * and takes bigints (or safe-integer numbers). Field masks and values follow their register.
 *
 * Errors:
 * - {@link defineRegisterMap}: RangeError `ERR_INVALID_ARG_VALUE` (overlapping registers or fields, a field's
 *   access kind that contradicts its register's, a bad mask, a duplicate enumerated name), `ERR_OUT_OF_RANGE`
 *   (a field beyond the register's width, a reset or enumerated value that does not fit, a register beyond
 *   `size`), `ERR_UNALIGNED` (an offset not a multiple of the width); TypeError `ERR_INVALID_ARG_TYPE`.
 * - Accessors and helpers: RangeError `ERR_INVALID_ARG_VALUE` for an unknown register, field or enumerated
 *   name; TypeError `ERR_REGMAP_ACCESS` for a read of a write-only or a write of a read-only register or field;
 *   RangeError `ERR_OUT_OF_RANGE` for a field value that does not fit (from `FIELD_PREP`); and the region's own
 *   errors, unchanged (`ERR_IOMEM_UNMAPPED`, `ETIMEDOUT` from polls, ...).
 * @module
 */
import { BIT, BIT_ULL, FIELD_FIT, FIELD_GET, FIELD_PREP, GENMASK, GENMASK_ULL } from './bits.js';
import { checkAccess, describe } from '../core/checks.js';
import { rangeError, typeError, type ArgumentError } from '../core/errors.js';
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from '../core/io-region.js';
import { pollAtomicByWidth, pollByWidth, readByWidth, writeByWidth } from '../core/width-dispatch.js';

/**
 * How a register or field may be accessed: `rw` read-write, `ro` read-only, `wo` write-only, `w1c`
 * write-1-to-clear, `rc` read-to-clear (see the module description).
 */
export type RegisterAccessKind = 'rw' | 'ro' | 'wo' | 'w1c' | 'rc';

/** The access kinds in a list, for validation and documentation. */
export const REGISTER_ACCESS_KINDS: readonly RegisterAccessKind[] = ['rw', 'ro', 'wo', 'w1c', 'rc'];

/**
 * One bit field of a register.
 * - `bits`: a single bit number, or `[msb, lsb]` (high bit first, as `GENMASK(h, l)`), inside the register's width.
 * - `access`: the field's access kind; default the register's. A field of a read-only (`ro`/`rc`) register must
 *   be `ro` or `rc`; a field of a `wo` register must be `wo`.
 * - `values`: names for the field's values (an enumeration), e.g. `{ IDLE: 0, BUSY: 1 }`; each must fit the field.
 *   Writes accept the names; {@link RegisterMap.valueName} turns a value back into its name.
 */
export interface FieldSpec {
  /** Bit number, or `[msb, lsb]`. */
  readonly bits: number | readonly [msb: number, lsb: number];
  /** Access kind; default the register's. */
  readonly access?: RegisterAccessKind;
  /** Enumerated values by name. `number`s (or `bigint`s in 64-bit registers). */
  readonly values?: { readonly [name: string]: number | bigint };
  /** Free text, shown nowhere but in the definition. */
  readonly description?: string;
}

/**
 * One register.
 * - `offset`: byte offset in the region, a multiple of `width`.
 * - `width`: bytes, 1, 2, 4 or 8; default 4. Accessors use the accessor of exactly this width (`readl` for 4).
 * - `access`: default `rw`.
 * - `reset`: the value after reset (used by the simulated model, and as the starting point of a write-only
 *   register's cache); default 0.
 * - `fields`: named bit fields; they may not overlap. Bits of a register that has fields but that no field
 *   covers are reserved: accessors leave them as read, and the simulated model keeps them at their reset value.
 */
export interface RegisterSpec {
  /** Byte offset in the region. */
  readonly offset: number;
  /** Width in bytes; default 4. */
  readonly width?: AccessWidth;
  /** Access kind; default `rw`. */
  readonly access?: RegisterAccessKind;
  /** Reset value; default 0. A `bigint` (or safe-integer number) for width 8. */
  readonly reset?: number | bigint;
  /** Named bit fields. */
  readonly fields?: { readonly [name: string]: FieldSpec };
  /** Free text. */
  readonly description?: string;
}

/** A whole register map: a name (for messages), the span in bytes, and the registers by name. */
export interface RegisterMapSpec {
  /** Name used in error messages and descriptions; default `'regmap'`. */
  readonly name?: string;
  /** Bytes the map spans (the simulated model's size); default the end of the last register. */
  readonly size?: number;
  /** The registers, by name. Names are used as given (`'CTRL'`, `'status'`…). */
  readonly registers: { readonly [name: string]: RegisterSpec };
}

// ---------------------------------------------------------------------------------------------------------------
// Types computed from a definition.

/** The `registers` object of a map definition `S`. */
export type RegistersOf<S extends RegisterMapSpec> = S['registers'];
/** The access kind a register or field definition `X` states, `'rw'` when it states none. */
export type AccessKindOf<X> = X extends { readonly access: infer A extends RegisterAccessKind } ? A : 'rw';

/** The register names of a map definition `S` (a union of string literals). */
export type RegisterName<S extends RegisterMapSpec> = keyof RegistersOf<S> & string;

/** The definition of register `R` in map definition `S`. */
export type RegisterSpecOf<S extends RegisterMapSpec, R extends RegisterName<S>> = RegistersOf<S>[R];

/** The value type of register `R`: `bigint` for 8-byte registers, else `number`. */
export type RegisterValue<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterSpecOf<S, R> extends { readonly width: 8 }
  ? bigint
  : number;

/** What a write to register `R` accepts: a `number`, or for 8-byte registers a `bigint` or a safe-integer number. */
export type RegisterInput<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterValue<S, R> extends bigint
  ? bigint | number
  : number;

/** The `fields` of register `R` (`{}` when it has none). */
export type FieldsOf<S extends RegisterMapSpec, R extends RegisterName<S>> = RegisterSpecOf<S, R> extends {
  readonly fields: infer F extends { readonly [name: string]: FieldSpec };
}
  ? F
  : {};

/** The field names of register `R` (`never` if it has none). */
export type FieldName<S extends RegisterMapSpec, R extends RegisterName<S>> = keyof FieldsOf<S, R> & string;

/** The access kind of field `F` of register `R`: its own, else its register's. */
export type FieldAccessKindOf<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> = FieldsOf<S, R>[F] extends {
  readonly access: infer A extends RegisterAccessKind;
}
  ? A
  : AccessKindOf<RegisterSpecOf<S, R>>;

/** Registers that may be read: every access kind but `wo`. */
export type ReadableRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: AccessKindOf<RegisterSpecOf<S, R>> extends 'wo' ? never : R;
}[RegisterName<S>];

/** Registers that may be written: every access kind but `ro` and `rc`. */
export type WritableRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: AccessKindOf<RegisterSpecOf<S, R>> extends 'ro' | 'rc' ? never : R;
}[RegisterName<S>];

/** Registers that have fields. */
export type FieldedRegister<S extends RegisterMapSpec> = {
  [R in RegisterName<S>]: [FieldName<S, R>] extends [never] ? never : R;
}[RegisterName<S>];

/** Fields of `R` that may be read (access kind not `wo`). */
export type ReadableField<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: FieldAccessKindOf<S, R, F> extends 'wo' ? never : F;
}[FieldName<S, R>];

/** Fields of `R` that may be written (access kind not `ro`/`rc`). */
export type WritableField<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: FieldAccessKindOf<S, R, F> extends 'ro' | 'rc' ? never : F;
}[FieldName<S, R>];

/** The enumerated value names of field `F` of register `R` (`never` if it has none). */
export type FieldValueName<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> = FieldsOf<S, R>[F] extends {
  readonly values: infer V;
}
  ? keyof V & string
  : never;

/** What a field accepts: a number (bigint or number in 8-byte registers) or one of its enumerated names. */
export type FieldInput<S extends RegisterMapSpec, R extends RegisterName<S>, F extends FieldName<S, R>> =
  | RegisterInput<S, R>
  | FieldValueName<S, R, F>;

/** Values for some of `R`'s fields, by name (for {@link RegisterMap.prep}: any field). */
export type FieldValues<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in FieldName<S, R>]?: FieldInput<S, R, F>;
};

/** Values for some of `R`'s writable fields (for writes and updates). */
export type FieldUpdate<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in WritableField<S, R>]?: FieldInput<S, R, F>;
};

/** Values for some of `R`'s readable fields (for field polls). */
export type FieldMatch<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  readonly [F in ReadableField<S, R>]?: FieldInput<S, R, F>;
};

/** Every field of `R` with its value (from {@link RegisterMap.decode}). */
export type DecodedFields<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in FieldName<S, R>]: RegisterValue<S, R>;
};

/** Every readable field of `R` with its value (from {@link RegisterAccess.readFields}). */
export type ReadFields<S extends RegisterMapSpec, R extends RegisterName<S>> = {
  [F in ReadableField<S, R>]: RegisterValue<S, R>;
};

// ---------------------------------------------------------------------------------------------------------------
// Resolved definitions.

type Value = number | bigint;

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

const ALL_ONES: Record<AccessWidth, Value> = { 1: 0xff, 2: 0xffff, 4: 0xffff_ffff, 8: (1n << 64n) - 1n };

// Width-generic bit operations on unsigned values (numbers stay within 32 bits).
const and = (a: Value, b: Value): Value => (typeof a === 'bigint' ? a & (b as bigint) : ((a & (b as number)) >>> 0));
const or = (a: Value, b: Value): Value => (typeof a === 'bigint' ? a | (b as bigint) : ((a | (b as number)) >>> 0));
const not = (a: Value, width: AccessWidth): Value =>
  typeof a === 'bigint' ? ~a & (ALL_ONES[8] as bigint) : ((~a & (ALL_ONES[width] as number)) >>> 0);
const isZero = (a: Value): boolean => a === 0 || a === 0n;
const hexOf = (v: Value, width: number): string => `0x${v.toString(16).padStart(width * 2, '0')}`;

/** A name as messages quote it: `'CTRL'`, or a description of what was passed instead. */
function named(name: unknown): string {
  return typeof name === 'string' ? `'${name}'` : describe(name);
}

function accessError(message: string): ArgumentError {
  return typeError('ERR_REGMAP_ACCESS', message);
}

function checkKind(kind: unknown, where: string): RegisterAccessKind {
  if (!REGISTER_ACCESS_KINDS.includes(kind as RegisterAccessKind)) {
    throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: access must be one of ${REGISTER_ACCESS_KINDS.join(', ')}, got ${describe(kind)}`);
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
    throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be a number${width === 8 ? ' or a bigint' : ''}, got ${describe(value)}`);
  }
  throw rangeError('ERR_OUT_OF_RANGE', `${where} ${String(value)} does not fit a ${width * 8}-bit register (unsigned)`);
}

function resolveField(register: string, width: AccessWidth, regKind: RegisterAccessKind, name: string, spec: FieldSpec): FieldInfo {
  const where = `field ${register}.${name}`;
  if (spec === null || typeof spec !== 'object') throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be an object { bits, ... }`);
  const { bits } = spec;
  let msb: number;
  let lsb: number;
  if (typeof bits === 'number') {
    msb = lsb = bits;
  } else if (Array.isArray(bits) && bits.length === 2) {
    [msb, lsb] = bits as readonly [number, number];
  } else {
    throw typeError('ERR_INVALID_ARG_TYPE', `${where}: bits must be a bit number or [msb, lsb], got ${describe(bits)}`);
  }
  const top = width * 8 - 1;
  for (const bit of [msb, lsb]) {
    if (typeof bit !== 'number' || !Number.isInteger(bit) || bit < 0 || bit > top) {
      throw rangeError('ERR_OUT_OF_RANGE', `${where}: bit ${String(bit)} is outside the ${width * 8}-bit register (0..${top})`);
    }
  }
  if (msb < lsb) throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: bits [${msb}, ${lsb}] must be [msb, lsb], high bit first`);
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
    throw rangeError('ERR_INVALID_ARG_VALUE', `${where}: access '${access}' contradicts its register's '${regKind}'`);
  }
  const values = new Map<string, Value>();
  if (spec.values !== undefined) {
    if (spec.values === null || typeof spec.values !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', `${where}: values must be an object { NAME: value }`);
    }
    for (const [valueName, raw] of Object.entries(spec.values)) {
      const value = specValue(raw, width, `${where}: value ${valueName}`);
      const fits = typeof mask === 'bigint' ? FIELD_FIT(mask, value as bigint) : FIELD_FIT(mask, value as number);
      if (!fits) {
        throw rangeError('ERR_OUT_OF_RANGE', `${where}: value ${valueName} = ${String(value)} does not fit the field's ${msb - lsb + 1} bits`);
      }
      values.set(valueName, value);
    }
  }
  return { name, mask, msb, lsb, access, values };
}

function resolveRegister(mapName: string, name: string, spec: RegisterSpec): RegisterInfo {
  const where = `register ${mapName}.${name}`;
  if (spec === null || typeof spec !== 'object') throw typeError('ERR_INVALID_ARG_TYPE', `${where} must be an object { offset, ... }`);
  const width = spec.width ?? 4;
  if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
    throw rangeError('ERR_OUT_OF_RANGE', `${where}: width must be 1, 2, 4 or 8 bytes, got ${describe(width)}`);
  }
  checkAccess(spec.offset, width, Number.MAX_SAFE_INTEGER);
  const access = spec.access === undefined ? 'rw' : checkKind(spec.access, where);
  const reset = specValue(spec.reset ?? 0, width, `${where}: reset`);
  const fields = new Map<string, FieldInfo>();
  let fieldBits: Value = width === 8 ? 0n : 0;
  let w1cBits: Value = width === 8 ? 0n : 0;
  if (spec.fields !== undefined) {
    if (spec.fields === null || typeof spec.fields !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', `${where}: fields must be an object { NAME: { bits } }`);
    }
    for (const [fieldName, fieldSpec] of Object.entries(spec.fields)) {
      const field = resolveField(`${mapName}.${name}`, width, access, fieldName, fieldSpec);
      if (!isZero(and(fieldBits, field.mask))) {
        const other = [...fields.values()].find((f) => !isZero(and(f.mask, field.mask)));
        throw rangeError('ERR_INVALID_ARG_VALUE', `field ${mapName}.${name}.${fieldName} overlaps field ${other?.name}`);
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

/**
 * Define a register map (see the module description for the shape and the rules). The definition is checked
 * once, here; the result gives typed accessors ({@link RegisterMap.attach}), pure helpers, and is what
 * {@link createRegisterModel} builds a simulated device from.
 * @param spec the definition; keep it a literal (or `as const`) so the names are inferred
 * @throws RangeError `ERR_INVALID_ARG_VALUE`, `ERR_OUT_OF_RANGE`, `ERR_UNALIGNED`; TypeError `ERR_INVALID_ARG_TYPE`
 *   (see the module description).
 */
export function defineRegisterMap<const S extends RegisterMapSpec>(spec: S): RegisterMap<S> {
  return new RegisterMap(spec);
}

/** Options of the read-modify-write accessors. */
export interface UpdateOptions {
  /**
   * Write even when the new value equals the old one (regmap's `regmap_write_bits` /
   * `regmap_field_force_write`). Default false: as `regmap_update_bits`, an update that changes nothing is not
   * written.
   */
  force?: boolean;
}

/**
 * A checked register map definition (from {@link defineRegisterMap}). `S` is the literal definition type, from
 * which register and field names are inferred.
 */
export class RegisterMap<S extends RegisterMapSpec = RegisterMapSpec> {
  /** The definition as given. */
  readonly spec: S;
  /** The map's name (default `'regmap'`). */
  readonly name: string;
  /** Bytes the map spans: `spec.size`, or the end of the last register. */
  readonly size: number;
  private readonly byName = new Map<string, RegisterInfo>();
  private readonly byOffset = new Map<number, RegisterInfo[]>();
  private readonly accessors = new WeakMap<IoRegion, RegisterAccess<S>>();

  /** Prefer {@link defineRegisterMap}; the same checks and errors. */
  constructor(spec: S) {
    if (spec === null || typeof spec !== 'object' || spec.registers === null || typeof spec.registers !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', 'a register map must be an object { registers: { NAME: { offset, ... } } }');
    }
    this.spec = spec;
    this.name = spec.name ?? 'regmap';
    const sorted: RegisterInfo[] = [];
    for (const [name, registerSpec] of Object.entries(spec.registers)) {
      const info = resolveRegister(this.name, name, registerSpec);
      this.byName.set(name, info);
      sorted.push(info);
      const list = this.byOffset.get(info.offset) ?? [];
      list.push(info);
      this.byOffset.set(info.offset, list);
    }
    sorted.sort((a, b) => a.offset - b.offset);
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1], sorted[i]];
      if (b.offset < a.offset + a.width) {
        throw rangeError('ERR_INVALID_ARG_VALUE', `register ${this.name}.${b.name} (0x${b.offset.toString(16)}) overlaps ${a.name} (0x${a.offset.toString(16)})`);
      }
    }
    const end = sorted.reduce((max, r) => Math.max(max, r.offset + r.width), 0);
    if (spec.size !== undefined && (typeof spec.size !== 'number' || !Number.isInteger(spec.size) || spec.size < end)) {
      throw rangeError('ERR_OUT_OF_RANGE', `${this.name}: size ${describe(spec.size)} must be an integer number of bytes >= ${end} (the end of the last register)`);
    }
    this.size = spec.size ?? end;
  }

  /** The register names, in definition order. */
  get registerNames(): RegisterName<S>[] {
    return [...this.byName.keys()] as RegisterName<S>[];
  }

  /**
   * The resolved definition of a register: offset, width, access, reset, fields with their masks.
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name.
   */
  register(reg: RegisterName<S>): RegisterInfo {
    const info = this.byName.get(reg);
    if (info === undefined) {
      throw rangeError('ERR_INVALID_ARG_VALUE', `no register ${named(reg)} in register map ${this.name} (it has ${[...this.byName.keys()].join(', ')})`);
    }
    return info;
  }

  /**
   * The resolved definition of a field.
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown register or field.
   */
  field<R extends RegisterName<S>>(reg: R, field: FieldName<S, R>): FieldInfo {
    const info = this.register(reg);
    const found = info.fields.get(field);
    if (found === undefined) {
      const known = info.fields.size === 0 ? 'none' : [...info.fields.keys()].join(', ');
      throw rangeError('ERR_INVALID_ARG_VALUE', `no field ${named(field)} in register ${this.name}.${reg} (its fields: ${known})`);
    }
    return found;
  }

  /** Byte offset of a register. @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name. */
  offset(reg: RegisterName<S>): number {
    return this.register(reg).offset;
  }

  /** Width of a register in bytes. @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name. */
  width(reg: RegisterName<S>): AccessWidth {
    return this.register(reg).width;
  }

  /** Reset value of a register. @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown name. */
  reset<R extends RegisterName<S>>(reg: R): RegisterValue<S, R> {
    return this.register(reg).reset as RegisterValue<S, R>;
  }

  /**
   * The mask of a field in its register (`GENMASK(msb, lsb)`; a bigint in 8-byte registers).
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown register or field.
   */
  mask<R extends RegisterName<S>>(reg: R, field: FieldName<S, R>): RegisterValue<S, R> {
    return this.field(reg, field).mask as RegisterValue<S, R>;
  }

  /**
   * A register value with the given fields set and every other bit 0: the OR of `FIELD_PREP(mask, value)` over
   * `fields`. Enumerated names are accepted for fields that have them.
   * @returns the value, unsigned (`bigint` for 8-byte registers)
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown register, field or enumerated name; RangeError
   *   `ERR_OUT_OF_RANGE` for a value that does not fit its field; TypeError `ERR_INVALID_ARG_TYPE`.
   */
  prep<R extends RegisterName<S>>(reg: R, fields: FieldValues<S, R>): RegisterValue<S, R> {
    return this.compose(this.register(reg), fields as Record<string, unknown>, false).value as RegisterValue<S, R>;
  }

  /**
   * One field of a register value: `FIELD_GET(mask, value)`.
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown register or field; the errors of `FIELD_GET` for a
   *   value of the wrong type or size.
   */
  get<R extends RegisterName<S>>(reg: R, field: FieldName<S, R>, value: RegisterValue<S, R>): RegisterValue<S, R> {
    return fieldGet(this.field(reg, field), value) as RegisterValue<S, R>;
  }

  /**
   * Every field of a register value, by name (`{}` for a register without fields).
   * @throws as {@link RegisterMap.get}.
   */
  decode<R extends RegisterName<S>>(reg: R, value: RegisterValue<S, R>): DecodedFields<S, R> {
    const out: Record<string, Value> = {};
    for (const field of this.register(reg).fields.values()) out[field.name] = fieldGet(field, value);
    return out as DecodedFields<S, R>;
  }

  /**
   * The enumerated name of a field's value, or `undefined` when the value has no name.
   * @param value the field's value (as from {@link RegisterMap.get}), not the register's
   * @throws RangeError `ERR_INVALID_ARG_VALUE` for an unknown register or field.
   */
  valueName<R extends RegisterName<S>, F extends FieldName<S, R>>(
    reg: R,
    field: F,
    value: RegisterValue<S, R>,
  ): FieldValueName<S, R, F> | undefined {
    for (const [name, v] of this.field(reg, field).values) if (v === value) return name as FieldValueName<S, R, F>;
    return undefined;
  }

  /**
   * The register at exactly `offset` (and `width`, if given), or `undefined`.
   * @returns its name
   */
  at(offset: number, width?: AccessWidth): RegisterName<S> | undefined {
    const list = this.byOffset.get(offset);
    return list?.find((r) => width === undefined || r.width === width)?.name as RegisterName<S> | undefined;
  }

  /**
   * A `names` function for {@link formatTrace}: the register's name for an access of its exact offset and width.
   */
  get traceNames(): (offset: number, width: AccessWidth) => string | undefined {
    return (offset, width) => this.at(offset, width);
  }

  /**
   * A register value in words: `STATUS = 0x00000081 { COMPUTING: 1, IRQ_FACTORIAL: 1 }`, with enumerated names
   * where a field's value has one (`MODE: TX (1)`).
   * @throws as {@link RegisterMap.get}.
   */
  describe<R extends RegisterName<S>>(reg: R, value: RegisterValue<S, R>): string {
    const info = this.register(reg);
    const parts = [...info.fields.values()].map((field) => {
      const v = fieldGet(field, value);
      const name = [...field.values].find(([, x]) => x === v)?.[0];
      return `${field.name}: ${name === undefined ? String(v) : `${name} (${String(v)})`}`;
    });
    const shown = `${reg} = ${hexOf(value, info.width)}`;
    return parts.length === 0 ? shown : `${shown} { ${parts.join(', ')} }`;
  }

  /**
   * Typed accessors for this map over `region` (any backend). The same region always gives the same accessor
   * object (so write-only registers share one cache). Nothing is accessed here: a register beyond the region's
   * end fails when it is accessed, with the region's own `ERR_OUT_OF_RANGE`.
   * @throws TypeError `ERR_INVALID_ARG_TYPE` if `region` is not a region.
   */
  attach(region: IoRegion): RegisterAccess<S> {
    if (region === null || typeof region !== 'object' || typeof region.readl !== 'function') {
      throw typeError('ERR_INVALID_ARG_TYPE', `attach needs an IoRegion, got ${describe(region)}`);
    }
    let accessor = this.accessors.get(region);
    if (accessor === undefined) {
      accessor = new RegisterAccess(this, region);
      this.accessors.set(region, accessor);
    }
    return accessor;
  }

  /**
   * OR of FIELD_PREP over `fields`; `mask` is the OR of their masks; `w1cSet` tells whether a w1c field gets a 1.
   * With `writing`, read-only fields are refused.
   * @internal
   */
  compose(info: RegisterInfo, fields: Record<string, unknown>, writing: boolean, polling = false): { value: Value; mask: Value; w1cSet: boolean } {
    if (fields === null || typeof fields !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', `fields of ${this.name}.${info.name} must be an object { FIELD: value }, got ${describe(fields)}`);
    }
    let value: Value = info.width === 8 ? 0n : 0;
    let mask: Value = value;
    let w1cSet = false;
    for (const [name, raw] of Object.entries(fields)) {
      if (raw === undefined) continue;
      const field = this.field(info.name as RegisterName<S>, name as never);
      if (writing && (field.access === 'ro' || field.access === 'rc')) {
        throw accessError(`field ${this.name}.${info.name}.${name} is ${field.access === 'ro' ? 'read-only' : 'read-to-clear'}; it cannot be written`);
      }
      if (polling && field.access === 'wo') throw accessError(`field ${this.name}.${info.name}.${name} is write-only; it cannot be polled`);
      const prepared = fieldPrep(field, fieldInput(this.name, info, field, raw));
      value = or(value, prepared);
      mask = or(mask, field.mask);
      if (field.access === 'w1c' && !isZero(prepared)) w1cSet = true;
    }
    return { value, mask, w1cSet };
  }
}

/** A field's input (number, bigint or enumerated name) as the register's value type. */
function fieldInput(mapName: string, info: RegisterInfo, field: FieldInfo, raw: unknown): Value {
  if (typeof raw === 'string') {
    const named = field.values.get(raw);
    if (named === undefined) {
      const known = field.values.size === 0 ? 'it has no named values' : `its values: ${[...field.values.keys()].join(', ')}`;
      throw rangeError('ERR_INVALID_ARG_VALUE', `no value '${raw}' for field ${mapName}.${info.name}.${field.name} (${known})`);
    }
    return named;
  }
  if (info.width === 8 && typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
  return raw as Value;
}

function fieldPrep(field: FieldInfo, value: Value): Value {
  return typeof field.mask === 'bigint' ? FIELD_PREP(field.mask, value as bigint) : FIELD_PREP(field.mask, value as number);
}

function fieldGet(field: FieldInfo, value: Value): Value {
  return typeof field.mask === 'bigint' ? FIELD_GET(field.mask, value as bigint) : FIELD_GET(field.mask, value as number);
}

/**
 * Typed accessors of one {@link RegisterMap} over one {@link IoRegion} (from {@link RegisterMap.attach}). Every
 * register access is one access of the register's exact width (`readl`/`writel` for 4 bytes), through the
 * region, so traces and hardware see exactly what hand-written `readl`/`writel` code would make.
 */
export class RegisterAccess<S extends RegisterMapSpec = RegisterMapSpec> {
  /** Last values written to write-only registers, by name (regmap's cache, for read-modify-writes). */
  private readonly cache = new Map<string, Value>();

  /** Prefer {@link RegisterMap.attach}. */
  constructor(
    /** The register map. */
    readonly map: RegisterMap<S>,
    /** The region the registers are in. */
    readonly region: IoRegion,
  ) {}

  private readable(info: RegisterInfo): void {
    if (info.access === 'wo') throw accessError(`register ${this.map.name}.${info.name} is write-only; it cannot be read`);
  }

  private writable(info: RegisterInfo): void {
    if (info.access === 'ro' || info.access === 'rc') {
      throw accessError(`register ${this.map.name}.${info.name} is ${info.access === 'ro' ? 'read-only' : 'read-to-clear'}; it cannot be written`);
    }
  }

  private load(info: RegisterInfo): Value {
    return readByWidth(this.region, info.width, info.offset);
  }

  private store(info: RegisterInfo, value: Value): void {
    const wide = info.width === 8 && typeof value === 'number' && Number.isSafeInteger(value);
    writeByWidth(this.region, info.width, wide ? BigInt(value) : value, info.offset);
    if (info.access === 'wo') this.cache.set(info.name, typeof value === 'number' && info.width === 8 ? BigInt(value) : value);
  }

  /**
   * Read a register (kernel `regmap_read`): one access of its width.
   * @returns the value (unsigned `number`; `bigint` for 8-byte registers)
   * @throws TypeError `ERR_REGMAP_ACCESS` for a write-only register; RangeError `ERR_INVALID_ARG_VALUE` for an
   *   unknown name; the region's errors.
   */
  read<R extends ReadableRegister<S>>(reg: R): RegisterValue<S, R> {
    const info = this.map.register(reg);
    this.readable(info);
    return this.load(info) as RegisterValue<S, R>;
  }

  /**
   * Write a register (kernel `regmap_write`): one access of its width, always made. The value goes to the
   * region's write accessor unchanged, so its checks apply (a value that does not fit the width is a RangeError
   * `ERR_OUT_OF_RANGE` from the region).
   * @throws TypeError `ERR_REGMAP_ACCESS` for a read-only register; RangeError `ERR_INVALID_ARG_VALUE` for an
   *   unknown name; the region's errors.
   */
  write<R extends WritableRegister<S>>(reg: R, value: RegisterInput<S, R>): void {
    const info = this.map.register(reg);
    this.writable(info);
    this.store(info, value);
  }

  /**
   * Read one field (kernel `regmap_field_read`): one read of the register, then `FIELD_GET`.
   * @throws TypeError `ERR_REGMAP_ACCESS` for a write-only register or field; RangeError `ERR_INVALID_ARG_VALUE`
   *   for an unknown name; the region's errors.
   */
  readField<R extends ReadableRegister<S>>(reg: R, field: ReadableField<S, R>): RegisterValue<S, R> {
    const info = this.map.register(reg);
    const f = this.map.field(reg, field);
    this.readable(info);
    if (f.access === 'wo') throw accessError(`field ${this.map.name}.${reg}.${field} is write-only; it cannot be read`);
    return fieldGet(f, this.load(info)) as RegisterValue<S, R>;
  }

  /**
   * Read a register once and decode its readable fields.
   * @returns the fields by name (write-only fields left out)
   * @throws as {@link RegisterAccess.read}.
   */
  readFields<R extends ReadableRegister<S>>(reg: R): ReadFields<S, R> {
    const info = this.map.register(reg);
    this.readable(info);
    const value = this.load(info);
    const out: Record<string, Value> = {};
    for (const field of info.fields.values()) if (field.access !== 'wo') out[field.name] = fieldGet(field, value);
    return out as ReadFields<S, R>;
  }

  /**
   * Write the given fields with one write and no read; every other bit is 0 (`writel(FIELD_PREP(A, a) |
   * FIELD_PREP(B, b), REG)`). For a `w1c` register this clears exactly the fields given as 1.
   * @throws TypeError `ERR_REGMAP_ACCESS` for a read-only register or field; RangeError `ERR_INVALID_ARG_VALUE`
   *   for an unknown name; RangeError `ERR_OUT_OF_RANGE` for a value that does not fit its field; the region's errors.
   */
  writeFields<R extends WritableRegister<S>>(reg: R, fields: FieldUpdate<S, R>): void {
    const info = this.map.register(reg);
    this.writable(info);
    this.store(info, this.map.compose(info, fields as Record<string, unknown>, true).value);
  }

  /**
   * Read-modify-write of some bits (kernel `regmap_update_bits(map, reg, mask, val)`): read the register (a
   * write-only register: its cached value), replace the `mask` bits by `value`'s, write it back if it changed
   * (always with `force`). Bits of `w1c` fields outside `mask` are written as 0. On a `w1c` register there is no
   * read: `value & mask` is written.
   * @param mask the bits to change, of the register's type
   * @param value their new values (bits outside `mask` are ignored)
   * @returns whether a write was made
   * @throws TypeError `ERR_REGMAP_ACCESS` for a read-only register; TypeError `ERR_INVALID_ARG_TYPE` for a mask or
   *   value of the wrong type; the region's errors.
   */
  updateBits<R extends WritableRegister<S>>(reg: R, mask: RegisterInput<S, R>, value: RegisterInput<S, R>, options: UpdateOptions = {}): boolean {
    const info = this.map.register(reg);
    this.writable(info);
    const m = this.asValue(info, mask, 'mask');
    const v = and(this.asValue(info, value, 'value'), m);
    const w1cSet = !isZero(and(v, info.w1cBits));
    return this.modify(info, m, v, w1cSet, options.force === true);
  }

  /**
   * Read-modify-write of one field (kernel `regmap_field_write`; with `force`, `regmap_field_force_write`).
   * Same rules as {@link RegisterAccess.updateFields}.
   * @returns whether a write was made
   */
  writeField<R extends WritableRegister<S>, F extends WritableField<S, R>>(reg: R, field: F, value: FieldInput<S, R, F>, options: UpdateOptions = {}): boolean {
    return this.updateFields(reg, { [field]: value } as FieldUpdate<S, R>, options);
  }

  /**
   * Update several fields with one read-modify-write (one read, at most one write): `regmap_update_bits` with
   * the fields' masks and `FIELD_PREP`ed values. A write-only register starts from its cached value (the last
   * written through this map, or the reset value); bits of `w1c` fields not being set are written as 0; a `w1c`
   * register is not read (the given fields are written, the rest 0). An update that changes nothing is not
   * written unless `force` is set, or a `w1c` field is given a 1.
   * @returns whether a write was made
   * @throws TypeError `ERR_REGMAP_ACCESS` for a read-only register or field; RangeError `ERR_INVALID_ARG_VALUE` for
   *   an unknown name; RangeError `ERR_OUT_OF_RANGE` for a value that does not fit; the region's errors.
   */
  updateFields<R extends WritableRegister<S>>(reg: R, fields: FieldUpdate<S, R>, options: UpdateOptions = {}): boolean {
    const info = this.map.register(reg);
    this.writable(info);
    const { value, mask, w1cSet } = this.map.compose(info, fields as Record<string, unknown>, true);
    return this.modify(info, mask, value, w1cSet, options.force === true);
  }

  private modify(info: RegisterInfo, mask: Value, value: Value, w1cSet: boolean, force: boolean): boolean {
    if (info.access === 'w1c' && info.w1cBits === info.fieldBits) {
      // A write-1-to-clear register (every field w1c): writing back what was read would clear it all, so write
      // only the bits asked for.
      this.store(info, value);
      return true;
    }
    const old = info.access === 'wo' ? this.cached(info) : this.load(info);
    const base = and(old, not(info.w1cBits, info.width));
    const next = or(and(base, not(mask, info.width)), value);
    if (!force && !w1cSet && next === base) return false;
    this.store(info, next);
    return true;
  }

  private cached(info: RegisterInfo): Value {
    return this.cache.get(info.name) ?? info.reset;
  }

  private asValue(info: RegisterInfo, raw: unknown, what: string): Value {
    if (info.width === 8) {
      if (typeof raw === 'number' && Number.isSafeInteger(raw)) raw = BigInt(raw);
      if (typeof raw === 'bigint') return BigInt.asUintN(64, raw);
    } else if (typeof raw === 'number' && Number.isInteger(raw) && raw >= -0x8000_0000 && raw <= 0xffff_ffff) {
      return and(raw >>> 0, ALL_ONES[info.width]);
    }
    if (typeof raw !== 'number' && (typeof raw !== 'bigint' || info.width !== 8)) {
      throw typeError('ERR_INVALID_ARG_TYPE', `${what} for ${this.map.name}.${info.name} must be a ${info.width === 8 ? 'bigint' : 'number'}, got ${describe(raw)}`);
    }
    throw rangeError('ERR_OUT_OF_RANGE', `${what} ${String(raw)} for ${this.map.name}.${info.name} does not fit ${info.width * 8} bits`);
  }

  private pollArgs(reg: string, fields: Record<string, unknown>): { offset: number; width: AccessWidth; cond: { mask: Value; value: Value } } {
    const info = this.map.register(reg as RegisterName<S>);
    this.readable(info);
    const { mask, value } = this.map.compose(info, fields, false, true);
    if (isZero(mask)) throw rangeError('ERR_INVALID_ARG_VALUE', `a field poll of ${this.map.name}.${reg} needs at least one field`);
    return { offset: info.offset, width: info.width, cond: { mask, value } };
  }

  /**
   * Poll a register until `cond` holds, sleeping between reads without blocking the event loop (kernel
   * `regmap_read_poll_timeout`): the region's `readX_poll_timeout` of the register's width.
   * @param cond a predicate on the value read, or `{ mask, value }`
   * @param sleepUs microseconds between reads
   * @param timeoutUs microseconds before giving up (0: never)
   * @param options `{ signal }`: abort the poll (rejects with `AbortError`, code `ABORT_ERR`)
   * @returns a promise of the last value read
   * @throws (rejects) Error `ETIMEDOUT` with `.value`; TypeError `ERR_REGMAP_ACCESS` for a write-only register;
   *   the region's errors.
   */
  async readPollTimeout<R extends ReadableRegister<S>>(
    reg: R,
    cond: PollCondition<RegisterValue<S, R>>,
    sleepUs: number,
    timeoutUs: number,
    options?: PollOptions,
  ): Promise<RegisterValue<S, R>> {
    const info = this.map.register(reg);
    this.readable(info);
    return pollByWidth(this.region, info.width, info.offset, cond as PollCondition<Value>, sleepUs, timeoutUs, options) as Promise<RegisterValue<S, R>>;
  }

  /**
   * {@link RegisterAccess.readPollTimeout} busy-waiting (kernel `regmap_read_poll_timeout_atomic`): the region's
   * `readX_poll_timeout_atomic`; `delayUs` is the spin between reads.
   * @throws Error `ETIMEDOUT` with `.value`; as readPollTimeout.
   */
  readPollTimeoutAtomic<R extends ReadableRegister<S>>(
    reg: R,
    cond: PollCondition<RegisterValue<S, R>>,
    delayUs: number,
    timeoutUs: number,
  ): RegisterValue<S, R> {
    const info = this.map.register(reg);
    this.readable(info);
    return pollAtomicByWidth(this.region, info.width, info.offset, cond as PollCondition<Value>, delayUs, timeoutUs) as RegisterValue<S, R>;
  }

  /**
   * Poll a register until the given fields all have the given values (kernel `regmap_field_read_poll_timeout`,
   * for several fields at once): the region's `readX_poll_timeout` with `{ mask, value }` built from the fields,
   * so a native backend can run it as one mask compare.
   * @returns a promise of the last register value read
   * @throws (rejects) Error `ETIMEDOUT` with `.value`; TypeError `ERR_REGMAP_ACCESS` for a write-only register or
   *   field; RangeError `ERR_INVALID_ARG_VALUE` for an unknown name or no fields; the region's errors.
   */
  async fieldPollTimeout<R extends ReadableRegister<S>>(reg: R, fields: FieldMatch<S, R>, sleepUs: number, timeoutUs: number, options?: PollOptions): Promise<RegisterValue<S, R>> {
    const { offset, width, cond } = this.pollArgs(reg, fields as Record<string, unknown>);
    return pollByWidth(this.region, width, offset, cond, sleepUs, timeoutUs, options) as Promise<RegisterValue<S, R>>;
  }

  /**
   * {@link RegisterAccess.fieldPollTimeout} busy-waiting: the region's `readX_poll_timeout_atomic`.
   * @throws Error `ETIMEDOUT` with `.value`; as fieldPollTimeout.
   */
  fieldPollTimeoutAtomic<R extends ReadableRegister<S>>(reg: R, fields: FieldMatch<S, R>, delayUs: number, timeoutUs: number): RegisterValue<S, R> {
    const { offset, width, cond } = this.pollArgs(reg, fields as Record<string, unknown>);
    return pollAtomicByWidth(this.region, width, offset, cond, delayUs, timeoutUs) as RegisterValue<S, R>;
  }
}
