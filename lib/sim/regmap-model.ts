/**
 * A simulated device generated from a {@link RegisterMap}: the same layout the driver uses, so a driver and its
 * device model cannot disagree on offsets, widths, reset values or which bits are writable. Behaviour that a
 * layout cannot say (a busy bit, an interrupt, a register that computes) is added as hooks per register.
 * @module
 */
import type { AccessWidth } from '../core/io-region.js';
import {
  RegisterModel,
  type AccessHandler,
  type RegisterContext,
  type RegisterDefinition,
} from './register-model.js';
import { toBusValue, type BusValue } from '../core/bus-value.js';
import { rangeError } from '../core/errors.js';
import type { RegisterMap } from '../regmap/map.js';
import type { RegisterInfo } from '../regmap/resolve.js';
import type { RegisterMapSpec } from '../regmap/spec.js';
import type { RegisterName } from '../regmap/types.js';

/** Side effects of one register in a generated model (see {@link RegisterDefinition}). */
export interface RegisterHooks {
  /**
   * Runs before a read takes its value; return a value to answer with it instead of the stored one.
   * Replaces the generated read behaviour (write-only registers and fields reading as `writeOnlyReads` / 0).
   */
  onRead?(ctx: RegisterContext): BusValue | void;
  /** Runs after a write was stored with the register's masks; `value` is the value written, unmasked. */
  onWrite?(value: BusValue, ctx: RegisterContext): void;
}

/** Options of {@link createRegisterModel}. */
export interface RegisterModelFromMapOptions<S extends RegisterMapSpec> {
  /** Size of the model's space in bytes. Default: the map's `size`. */
  size?: number;
  /** Backing storage, as {@link RegisterModelOptions.buffer}. */
  buffer?: Uint8Array;
  /** Hooks by register name (typed: a misspelt name fails to compile; at run time it throws). */
  hooks?: { readonly [R in RegisterName<S>]?: RegisterHooks };
  /**
   * What a read of a write-only (`wo`) register returns, as a value or per access width. Default 0. (QEMU's edu
   * answers all ones; many devices answer 0.) Bits of write-only fields in readable registers always read 0.
   */
  writeOnlyReads?: BusValue | ((width: AccessWidth) => BusValue);
  /** Accesses that touch no register. Default: plain memory (see {@link RegisterModelOptions.unmodelled}). */
  unmodelled?: AccessHandler;
  /** Accesses that overlap a register with another offset or width. Default: plain memory. */
  mismatched?: AccessHandler;
  /** Runs after {@link RegisterModel.reset} has put the registers back to their reset values. */
  onReset?(model: RegisterModel): void;
}

/**
 * The {@link RegisterDefinition}s of a register map: per register its name, offset, width, reset value and
 * masks derived from the access kinds:
 * - `ro` register or field: read-only bits; `rc`: read-only and read-to-clear; `w1c`: write-1-to-clear;
 * - `wo` register: writes are stored (hooks see them in `ctx.value`), reads answer `writeOnlyReads`;
 *   `wo` field of a readable register: its bits read as 0;
 * - bits of a register with fields that no field covers are reserved: read-only, holding their reset value.
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for hooks of a register the map does not have.
 */
export function registerDefinitions<S extends RegisterMapSpec>(
  map: RegisterMap<S>,
  options: Pick<RegisterModelFromMapOptions<S>, 'hooks' | 'writeOnlyReads'> = {},
): RegisterDefinition[] {
  const hooks = (options.hooks ?? {}) as Record<string, RegisterHooks | undefined>;
  for (const name of Object.keys(hooks)) map.register(name as RegisterName<S>); // throws for a misspelt name
  const woReads = options.writeOnlyReads ?? 0;
  return map.registerNames.map((name) => definitionOf(map.register(name), hooks[name] ?? {}, woReads));
}

function definitionOf(info: RegisterInfo, hooks: RegisterHooks, woReads: NonNullable<RegisterModelFromMapOptions<RegisterMapSpec>['writeOnlyReads']>): RegisterDefinition {
  const { width } = info;
  const big = width === 8;
  const zero: bigint | number = big ? 0n : 0;
  const all = toBusValue(big ? -1n : 0xffff_ffff, width);
  const or = (a: BusValue, b: BusValue): BusValue => (big ? (a as bigint) | (b as bigint) : ((a as number) | (b as number)) >>> 0);
  const andNot = (a: BusValue, b: BusValue): BusValue =>
    big ? (a as bigint) & ~(b as bigint) & (all as bigint) : ((a as number) & ~(b as number) & (all as number)) >>> 0;

  let readOnly: BusValue = zero;
  let w1c: BusValue = zero;
  let rc: BusValue = zero;
  let writeOnlyBits: BusValue = zero;
  const mark = (kind: string, bits: BusValue): void => {
    if (kind === 'ro') readOnly = or(readOnly, bits);
    if (kind === 'rc') {
      readOnly = or(readOnly, bits);
      rc = or(rc, bits);
    }
    if (kind === 'w1c') w1c = or(w1c, bits);
    if (kind === 'wo') writeOnlyBits = or(writeOnlyBits, bits);
  };
  if (info.fields.size === 0) {
    mark(info.access, all);
  } else {
    readOnly = andNot(all, info.fieldBits); // reserved bits
    for (const field of info.fields.values()) mark(field.access, field.mask);
  }

  const definition: RegisterDefinition = {
    name: info.name,
    offset: info.offset,
    width,
    reset: info.reset,
    readOnlyMask: readOnly,
    w1cMask: w1c,
    rcMask: rc,
  };
  if (hooks.onRead !== undefined) {
    definition.onRead = hooks.onRead;
  } else if (info.access === 'wo') {
    definition.onRead = () => toBusValue(typeof woReads === 'function' ? woReads(width) : woReads, width);
  } else if (writeOnlyBits !== zero) {
    const hide = writeOnlyBits;
    definition.onRead = (ctx) => andNot(ctx.value, hide);
  }
  if (hooks.onWrite !== undefined) definition.onWrite = hooks.onWrite;
  return definition;
}

/**
 * Build a simulated device ({@link RegisterModel}, for a {@link SimRegion}) from a register map: the registers at
 * their offsets and widths with their reset values, and the access kinds as masks (see
 * {@link registerDefinitions}), plus per-register hooks for behaviour.
 *
 * ```ts
 * const model = createRegisterModel(UART, { hooks: { CTRL: { onWrite: (v, ctx) => ... } } });
 * const region = new SimRegion(model, { name: 'uart' });
 * ```
 * @throws RangeError `ERR_INVALID_ARG_VALUE` for hooks of an unknown register; RangeError `ERR_OUT_OF_RANGE` if
 *   `size` is smaller than the map; the errors of {@link RegisterModel}'s constructor.
 */
export function createRegisterModel<S extends RegisterMapSpec>(map: RegisterMap<S>, options: RegisterModelFromMapOptions<S> = {}): RegisterModel {
  const size = options.size ?? options.buffer?.byteLength ?? map.size;
  if (size < map.size && map.registerNames.some((n) => map.offset(n) + map.width(n) > size)) {
    throw rangeError('ERR_OUT_OF_RANGE', `size ${size} is smaller than register map ${map.name} (${map.size} bytes)`, `size is at least the map's ${map.size} bytes; leave it out to take the map's size.`);
  }
  return new RegisterModel({
    size,
    buffer: options.buffer,
    registers: registerDefinitions(map, options),
    unmodelled: options.unmodelled,
    mismatched: options.mismatched,
    onReset: options.onReset,
  });
}
