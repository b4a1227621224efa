/**
 * The resolved register map ({@link RegisterMap}, from {@link defineRegisterMap}): the definition checked once,
 * names and layout, pure field helpers, and {@link RegisterMap.attach} for typed accessors (lib/regmap/access.ts).
 * The rules of a definition are in lib/regmap/index.ts.
 * @module
 */
import { describe } from '../core/checks.js';
import { rangeError, typeError } from '../core/errors.js';
import type { AccessWidth, IoRegion } from '../core/io-region.js';
import type { DecodedFields, FieldName, FieldValueName, FieldValues, RegisterName, RegisterValue } from './types.js';
import { accessError, fieldGet, fieldInput, fieldPrep, hexOf, isZero, named, or, resolveRegister, type FieldInfo, type RegisterInfo, type ResolvedMap, type Value } from './resolve.js';
import { RegisterAccess } from './access.js';
import type { RegisterMapSpec } from './spec.js';

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

/**
 * A checked register map definition (from {@link defineRegisterMap}). `S` is the literal definition type, from
 * which register and field names are inferred.
 */
export class RegisterMap<S extends RegisterMapSpec = RegisterMapSpec> implements ResolvedMap {
  /** The definition as given. */
  readonly spec: S;
  /** The map's name (default `'regmap'`). */
  readonly name: string;
  /** Bytes the map spans: `spec.size`, or the end of the last register. */
  readonly size: number;
  private readonly byName = new Map<string, RegisterInfo>();
  private readonly byOffset = new Map<number, RegisterInfo[]>();
  private readonly accessors = new WeakMap<IoRegion, RegisterAccess<S, RegisterMap<S>>>();

  /** Prefer {@link defineRegisterMap}; the same checks and errors. */
  constructor(spec: S) {
    if (spec === null || typeof spec !== 'object' || spec.registers === null || typeof spec.registers !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', 'a register map must be an object { registers: { NAME: { offset, ... } } }', "define a map as { name: 'EDU', registers: { ID: { offset: 0x00, width: 4, access: 'ro' } } }.");
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
        throw rangeError('ERR_INVALID_ARG_VALUE', `register ${this.name}.${b.name} (0x${b.offset.toString(16)}) overlaps ${a.name} (0x${a.offset.toString(16)})`, 'registers of a map may not share bytes: give each its own offset (offset + width of one <= offset of the next).');
      }
    }
    const end = sorted.reduce((max, r) => Math.max(max, r.offset + r.width), 0);
    if (spec.size !== undefined && (typeof spec.size !== 'number' || !Number.isInteger(spec.size) || spec.size < end)) {
      throw rangeError('ERR_OUT_OF_RANGE', `${this.name}: size ${describe(spec.size)} must be an integer number of bytes >= ${end} (the end of the last register)`, `size is the bytes the map spans, an integer >= ${end}; leave it out to take the end of the last register.`);
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
      throw rangeError('ERR_INVALID_ARG_VALUE', `no register ${named(reg)} in register map ${this.name} (it has ${[...this.byName.keys()].join(', ')})`, `name one of the registers of ${this.name}: ${[...this.byName.keys()].join(', ')}.`);
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
      throw rangeError('ERR_INVALID_ARG_VALUE', `no field ${named(field)} in register ${this.name}.${reg} (its fields: ${known})`, `name one of the fields of ${this.name}.${reg}: ${known}.`);
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
  attach(region: IoRegion): RegisterAccess<S, RegisterMap<S>> {
    if (region === null || typeof region !== 'object' || typeof region.readl !== 'function') {
      throw typeError('ERR_INVALID_ARG_TYPE', `attach needs an IoRegion, got ${describe(region)}`, 'attach takes the region the registers are in: one that ioremap, mapFile, a UIO/PCI map() or new SimRegion returned.');
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
      throw typeError('ERR_INVALID_ARG_TYPE', `fields of ${this.name}.${info.name} must be an object { FIELD: value }, got ${describe(fields)}`, `pass the fields of ${this.name}.${info.name} as an object of field names and values, e.g. { FIELD: 1 }.`);
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


