/**
 * Typed accessors of a register map over an IoRegion: the kernel regmap's read, write, update_bits, field reads
 * and writes and read_poll_timeout, each register access one access of its exact width.
 * @module
 */
import { describe } from '../core/checks.js';
import { rangeError, typeError } from '../core/errors.js';
import type { AccessWidth, IoRegion, PollCondition, PollOptions } from '../core/io-region.js';
import { pollAtomicByWidth, pollByWidth, readByWidth, writeByWidth } from '../core/width-dispatch.js';
import type { FieldInput, FieldMatch, FieldUpdate, ReadFields, ReadableField, ReadableRegister, RegisterInput, RegisterName, RegisterValue, WritableField, WritableRegister } from './types.js';
import { ALL_ONES, accessError, and, fieldGet, isZero, not, or, type RegisterInfo, type ResolvedMap, type Value } from './resolve.js';
import type { RegisterMapSpec } from './spec.js';

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
 * Typed accessors of one register map over one {@link IoRegion} (from `RegisterMap.attach`, whose result has `M` =
 * the map's RegisterMap type). Every
 * register access is one access of the register's exact width (`readl`/`writel` for 4 bytes), through the
 * region, so traces and hardware see exactly what hand-written `readl`/`writel` code would make.
 */
export class RegisterAccess<S extends RegisterMapSpec = RegisterMapSpec, M extends ResolvedMap = ResolvedMap> {
  /** Last values written to write-only registers, by name (regmap's cache, for read-modify-writes). */
  private readonly cache = new Map<string, Value>();

  /** Prefer `RegisterMap.attach`. */
  constructor(
    /** The register map. */
    readonly map: M,
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
      throw typeError('ERR_INVALID_ARG_TYPE', `${what} for ${this.map.name}.${info.name} must be a ${info.width === 8 ? 'bigint' : 'number'}, got ${describe(raw)}`, info.width === 8 ? `${this.map.name}.${info.name} is a 64-bit register: pass a bigint, e.g. 0x1n.` : `${this.map.name}.${info.name} is a ${info.width * 8}-bit register: pass a number, e.g. 0x1.`);
    }
    throw rangeError('ERR_OUT_OF_RANGE', `${what} ${String(raw)} for ${this.map.name}.${info.name} does not fit ${info.width * 8} bits`, `${this.map.name}.${info.name} holds unsigned values of ${info.width * 8} bits: 0..0x${((1n << BigInt(info.width * 8)) - 1n).toString(16)}.`);
  }

  private pollArgs(reg: string, fields: Record<string, unknown>): { offset: number; width: AccessWidth; cond: { mask: Value; value: Value } } {
    const info = this.map.register(reg as RegisterName<S>);
    this.readable(info);
    const { mask, value } = this.map.compose(info, fields, false, true);
    if (isZero(mask)) throw rangeError('ERR_INVALID_ARG_VALUE', `a field poll of ${this.map.name}.${reg} needs at least one field`, `name at least one field of ${this.map.name}.${reg} to poll, e.g. { FIELD: value }.`);
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
