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
 *
 * The edu device's map is {@link EDU_REGMAP}; the simulated device of a map's layout, createRegisterModel, is in
 * lib/sim/.
 * @module
 */
export { defineRegisterMap, RegisterMap } from './map.js';
export { RegisterAccess, type UpdateOptions } from './access.js';
export { REGISTER_ACCESS_KINDS, type RegisterAccessKind, type FieldSpec, type RegisterSpec, type RegisterMapSpec } from './spec.js';
export type {
  RegisterName,
  RegistersOf,
  RegisterSpecOf,
  FieldsOf,
  AccessKindOf,
  FieldAccessKindOf,
  RegisterValue,
  RegisterInput,
  FieldName,
  FieldValueName,
  FieldInput,
  FieldValues,
  FieldUpdate,
  FieldMatch,
  DecodedFields,
  ReadFields,
  ReadableRegister,
  WritableRegister,
  FieldedRegister,
  ReadableField,
  WritableField,
} from './types.js';
export type { FieldInfo, RegisterInfo, ResolvedMap } from './resolve.js';
export { EDU_REGMAP, type EduRegmapSpec } from './edu.js';
