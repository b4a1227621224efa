/**
 * A register map's definition as a driver writes it: registers, fields, access kinds (see lib/regmap/map.ts).
 * @module
 */
import type { AccessWidth } from '../core/io-region.js';

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
