/**
 * A register-level model of a device's MMIO space: per-register reset values, read-only, write-1-to-clear and
 * read-to-clear bits, and hooks for side effects; the rest of the space behaves as plain memory unless the
 * model says otherwise. It is what a device's MMIO handlers do (QEMU `MemoryRegionOps`, a datasheet's
 * register map), for use behind a {@link SimRegion}.
 * @module
 */
import { checkAccess } from '../core/checks.js';
import { rangeError, typeError } from '../core/errors.js';
import type { AccessWidth } from '../core/io-region.js';
import { getLittleEndian, setLittleEndian } from '../core/block-chunks.js';
import { toBusValue, type BusValue } from '../core/bus-value.js';
import type { SimDevice } from './sim-device.js';

/** A register named by its byte offset or by its {@link RegisterDefinition.name}. */
export type RegisterRef = number | string;

/**
 * What a hook sees of the register it runs for. One object per register, reused for every access.
 * Values are unsigned: `number` for registers of width 1, 2 or 4, `bigint` for width 8.
 */
export interface RegisterContext {
  /** The model the register belongs to (to reach other registers with `get`/`set`, `peek`/`poke`). */
  readonly model: RegisterModel;
  /** The register's definition. */
  readonly register: Readonly<RegisterDefinition>;
  /** The register's stored value now. */
  readonly value: BusValue;
  /** The stored value before this access began (in `onWrite`: before the write was stored). */
  readonly previous: BusValue;
  /** Store `value` (truncated to the register's width) without masks or hooks. */
  set(value: BusValue): void;
}

/**
 * One register of a {@link RegisterModel}. Masks and `reset` are `number`s for widths 1, 2, 4 and may be
 * `bigint`s for width 8; bits above the width are ignored.
 *
 * A read runs `onRead`, returns its result (or, if it returns nothing, the stored value) and then clears the
 * `rcMask` bits in storage. A write stores `(old & readOnlyMask) | (old & w1cMask & ~value) | (value & other
 * bits)` and then runs `onWrite`, which may change the stored value with `ctx.set`.
 */
export interface RegisterDefinition {
  /** A name for lookups (`model.get('STATUS')`) and messages. Unique within the model. */
  name?: string;
  /** Byte offset in the model's space; must be a multiple of `width`. */
  offset: number;
  /** Width in bytes: 1, 2, 4 or 8. Only accesses of exactly this width at exactly `offset` reach the register. */
  width: AccessWidth;
  /** Value after construction and after {@link RegisterModel.reset}. Default 0. */
  reset?: BusValue;
  /** Bits that writes do not change. Default 0. */
  readOnlyMask?: BusValue;
  /** Write-1-to-clear bits: writing 1 clears the bit, writing 0 leaves it. Default 0. */
  w1cMask?: BusValue;
  /** Read-to-clear bits: a read returns them, then they are cleared. Default 0. */
  rcMask?: BusValue;
  /**
   * Side effect of a read, run before the value is taken. Return a value to answer with it instead of the
   * stored value (the storage is left as it is); return nothing to answer with the stored value.
   */
  onRead?(ctx: RegisterContext): BusValue | void;
  /** Side effect of a write, run after the masked value was stored. `value` is the value written, unmasked. */
  onWrite?(value: BusValue, ctx: RegisterContext): void;
}

/**
 * How the model answers accesses that do not hit a register exactly (see {@link RegisterModelOptions}).
 * Values follow {@link BusValue}: `number` for widths 1, 2, 4, `bigint` for width 8.
 */
export interface AccessHandler {
  /** Answer a `width`-byte read at byte `offset`. */
  read(offset: number, width: AccessWidth, model: RegisterModel): BusValue;
  /** Handle a `width`-byte write of `value` at byte `offset`. */
  write(offset: number, width: AccessWidth, value: BusValue, model: RegisterModel): void;
}

/** Options of a {@link RegisterModel}. */
export interface RegisterModelOptions {
  /** Size of the space in bytes. Default: `buffer.byteLength`; one of the two is required. */
  size?: number;
  /** Backing storage (register values and plain memory, little-endian). Default: a new zeroed buffer of `size`. */
  buffer?: Uint8Array;
  /** The registers; naturally aligned, inside `size`, not overlapping. */
  registers?: readonly RegisterDefinition[];
  /** Accesses that touch no register. Default {@link plainMemory}. */
  unmodelled?: AccessHandler;
  /**
   * Accesses that overlap a register with another offset or width (a `readb` of a 32-bit register, a `readq`
   * over two of them). Default {@link plainMemory}: the bytes of the registers' storage, without masks or hooks.
   */
  mismatched?: AccessHandler;
  /** Run by {@link RegisterModel.reset} after the registers are back at their reset values. */
  onReset?(model: RegisterModel): void;
}

/** Plain memory: reads return the stored bytes, writes store them (little-endian). The default handler. */
export const plainMemory: AccessHandler = {
  read: (offset, width, model) => model.peek(offset, width),
  write: (offset, width, value, model) => model.poke(offset, width, value),
};

/**
 * A handler whose reads all return `value` (or `value(width)`), truncated to the access width, and whose
 * writes are dropped: how many devices answer unimplemented or wrong-width accesses.
 */
export function readsAs(value: BusValue | ((width: AccessWidth) => BusValue)): AccessHandler {
  return {
    read: (_offset, width) => toBusValue(typeof value === 'function' ? value(width) : value, width),
    write: () => {},
  };
}

const U64 = 0xffff_ffff_ffff_ffffn;
const widthMask = { 1: 0xff, 2: 0xffff } as const;

/** A register's definition with its masks normalised to its width, and its hook context. */
class Register implements RegisterContext {
  readonly offset: number;
  readonly width: AccessWidth;
  readonly resetValue: BusValue;
  readonly readOnly: BusValue;
  readonly w1c: BusValue;
  readonly rc: BusValue;
  previous: BusValue;

  constructor(
    readonly model: RegisterModel,
    readonly register: Readonly<RegisterDefinition>,
  ) {
    this.offset = register.offset;
    this.width = register.width;
    this.resetValue = toBusValue(register.reset ?? 0, register.width);
    this.readOnly = toBusValue(register.readOnlyMask ?? 0, register.width);
    this.w1c = toBusValue(register.w1cMask ?? 0, register.width);
    this.rc = toBusValue(register.rcMask ?? 0, register.width);
    this.previous = this.resetValue;
  }

  get value(): BusValue {
    return this.model.peek(this.offset, this.width);
  }

  set(value: BusValue): void {
    this.model.poke(this.offset, this.width, value);
  }

  /** The value a write of `value` stores, given the stored `old`. */
  masked(old: BusValue, value: BusValue): BusValue {
    if (this.width === 8) {
      const [o, v, ro, w1c] = [old as bigint, value as bigint, this.readOnly as bigint, this.w1c as bigint];
      const clearable = w1c & ~ro;
      return ((o & ro) | (o & clearable & ~v) | (v & ~(ro | clearable))) & U64;
    }
    const [o, v, ro, w1c] = [old as number, value as number, this.readOnly as number, this.w1c as number];
    const clearable = w1c & ~ro;
    const next = (o & ro) | (o & clearable & ~v) | (v & ~(ro | clearable));
    return this.width === 4 ? next >>> 0 : next & widthMask[this.width];
  }

  /** The stored value with the read-to-clear bits cleared. */
  afterRead(stored: BusValue): BusValue {
    if (this.width === 8) return (stored as bigint) & ~(this.rc as bigint) & U64;
    return ((stored as number) & ~(this.rc as number)) >>> 0;
  }
}

/**
 * A device modelled register by register, usable as the {@link SimDevice} of a {@link SimRegion}.
 * Registers and plain memory share one little-endian byte buffer, so {@link RegisterModel.peek} shows both.
 *
 * @throws (constructor) TypeError `ERR_INVALID_ARG_TYPE` for a definition of the wrong type; RangeError
 *   `ERR_OUT_OF_RANGE` / `ERR_UNALIGNED` for a register outside `size` or not aligned to its width;
 *   RangeError `ERR_INVALID_ARG_VALUE` for overlapping registers or a repeated name.
 */
export class RegisterModel implements SimDevice {
  /** Size of the space in bytes. */
  readonly size: number;
  /** The backing storage (little-endian). Writing it directly bypasses masks and hooks. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** Registers by 8-byte block (`Math.floor(offset / 8)`): a naturally aligned access lies in one block. */
  private readonly blocks = new Map<number, Register[]>();
  private readonly byName = new Map<string, Register>();
  private readonly registers: Register[] = [];
  private readonly unmodelled: AccessHandler;
  private readonly mismatched: AccessHandler;
  private readonly onReset?: (model: RegisterModel) => void;

  constructor(options: RegisterModelOptions) {
    const size = options.size ?? options.buffer?.byteLength;
    if (typeof size !== 'number' || !Number.isInteger(size) || size <= 0) {
      throw rangeError('ERR_OUT_OF_RANGE', `size must be a positive integer number of bytes, got ${String(size)}`, 'size is the register file\'s length in bytes, a positive integer, e.g. 4096.');
    }
    if (options.buffer !== undefined && !(options.buffer instanceof Uint8Array)) {
      throw typeError('ERR_INVALID_ARG_TYPE', 'buffer must be a Uint8Array', 'buffer is the backing store, a Uint8Array (a Buffer is one), at least size bytes long.');
    }
    if (options.buffer !== undefined && options.buffer.byteLength < size) {
      throw rangeError('ERR_OUT_OF_RANGE', `buffer holds ${options.buffer.byteLength} bytes, less than size ${size}`, `pass a buffer of at least ${size} bytes, or a smaller size.`);
    }
    this.size = size;
    this.bytes = options.buffer ?? new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, size);
    this.unmodelled = options.unmodelled ?? plainMemory;
    this.mismatched = options.mismatched ?? plainMemory;
    this.onReset = options.onReset;
    for (const definition of options.registers ?? []) this.add(definition);
    for (const register of this.registers) this.poke(register.offset, register.width, register.resetValue);
  }

  private add(definition: RegisterDefinition): void {
    if (definition === null || typeof definition !== 'object') {
      throw typeError('ERR_INVALID_ARG_TYPE', 'each register must be an object { offset, width, ... }', "define a register as { offset, width, name?, read?, write? }, e.g. { offset: 0x04, width: 4, name: 'CTRL' }.");
    }
    const { offset, width, name } = definition;
    if (width !== 1 && width !== 2 && width !== 4 && width !== 8) {
      throw rangeError('ERR_OUT_OF_RANGE', `register width must be 1, 2, 4 or 8 bytes, got ${String(width)}`, 'a register\'s width is its size in bytes: 1, 2, 4 or 8.');
    }
    checkAccess(offset, width, this.size);
    const register = new Register(this, definition);
    const block = Math.floor(offset / 8);
    const neighbours = this.blocks.get(block) ?? [];
    for (const other of neighbours) {
      if (other.offset < offset + width && offset < other.offset + other.width) {
        throw rangeError(
          'ERR_INVALID_ARG_VALUE',
          `register ${label(definition)} overlaps register ${label(other.register)}`,
          'registers of a model may not share bytes: give each its own offset (offset + width of one <= offset of the next).',
        );
      }
    }
    if (name !== undefined) {
      if (this.byName.has(name)) throw rangeError('ERR_INVALID_ARG_VALUE', `register name '${name}' is used twice`, 'give each register of a model its own name.');
      this.byName.set(name, register);
    }
    neighbours.push(register);
    this.blocks.set(block, neighbours);
    this.registers.push(register);
  }

  /**
   * One bus read ({@link SimDevice.read}): the register at exactly (`offset`, `width`), else the `mismatched`
   * handler if the access overlaps a register, else the `unmodelled` handler.
   * @returns `number` for widths 1, 2, 4; `bigint` for width 8.
   */
  read(offset: number, width: AccessWidth): BusValue {
    const list = this.blocks.get(Math.floor(offset / 8));
    if (list === undefined) return this.unmodelled.read(offset, width, this);
    const register = find(list, offset, width);
    if (register === undefined) return this.unmodelled.read(offset, width, this);
    if (register === MISMATCH) return this.mismatched.read(offset, width, this);
    register.previous = this.peek(offset, width);
    const answer = register.register.onRead?.(register);
    const stored = this.peek(offset, width);
    if (register.rc !== 0 && register.rc !== 0n) this.poke(offset, width, register.afterRead(stored));
    return answer === undefined ? stored : toBusValue(answer, width);
  }

  /** One bus write ({@link SimDevice.write}); dispatched like {@link RegisterModel.read}. */
  write(offset: number, width: AccessWidth, value: BusValue): void {
    const list = this.blocks.get(Math.floor(offset / 8));
    if (list === undefined) return this.unmodelled.write(offset, width, value, this);
    const register = find(list, offset, width);
    if (register === undefined) return this.unmodelled.write(offset, width, value, this);
    if (register === MISMATCH) return this.mismatched.write(offset, width, value, this);
    const old = this.peek(offset, width);
    register.previous = old;
    this.poke(offset, width, register.masked(old, toBusValue(value, width)));
    register.register.onWrite?.(value, register);
  }

  /**
   * The stored bytes at `offset` as a `width`-byte little-endian value, with no side effects.
   * @throws RangeError `ERR_OUT_OF_RANGE` / `ERR_UNALIGNED`, TypeError `ERR_INVALID_ARG_TYPE` (as accesses).
   */
  peek(offset: number, width: AccessWidth): BusValue {
    checkAccess(offset, width, this.size);
    return getLittleEndian(this.view, offset, width);
  }

  /**
   * Store `value` (truncated to `width`) at `offset`, little-endian, with no masks or hooks.
   * @throws as {@link RegisterModel.peek}.
   */
  poke(offset: number, width: AccessWidth, value: BusValue): void {
    checkAccess(offset, width, this.size);
    setLittleEndian(this.view, offset, width, toBusValue(value, width));
  }

  /**
   * The definition of a register, by offset or name; `undefined` if there is none.
   */
  definition(ref: RegisterRef): Readonly<RegisterDefinition> | undefined {
    return this.lookup(ref)?.register;
  }

  /**
   * The stored value of a register, by offset or name, with no side effects.
   * @throws RangeError `ERR_INVALID_ARG_VALUE` if there is no such register.
   */
  get(ref: RegisterRef): BusValue {
    const register = this.mustFind(ref);
    return this.peek(register.offset, register.width);
  }

  /**
   * Store a register's value, by offset or name, with no masks or hooks (how a device changes its own state).
   * @throws RangeError `ERR_INVALID_ARG_VALUE` if there is no such register.
   */
  set(ref: RegisterRef, value: BusValue): void {
    const register = this.mustFind(ref);
    this.poke(register.offset, register.width, value);
  }

  /** Put every register back to its reset value, then run `onReset`. Plain memory keeps its contents. */
  reset(): void {
    for (const register of this.registers) this.poke(register.offset, register.width, register.resetValue);
    this.onReset?.(this);
  }

  private lookup(ref: RegisterRef): Register | undefined {
    if (typeof ref === 'string') return this.byName.get(ref);
    return this.blocks.get(Math.floor(ref / 8))?.find((r) => r.offset === ref);
  }

  private mustFind(ref: RegisterRef): Register {
    const register = this.lookup(ref);
    if (register === undefined) {
      throw rangeError('ERR_INVALID_ARG_VALUE', `no register ${typeof ref === 'number' ? `at 0x${ref.toString(16)}` : `'${ref}'`}`, 'name a register the model defines, by its name or its offset.');
    }
    return register;
  }
}

const MISMATCH = Symbol('mismatch');

/** The register at exactly (offset, width), MISMATCH if the access only overlaps one, else undefined. */
function find(list: Register[], offset: number, width: AccessWidth): Register | typeof MISMATCH | undefined {
  let overlap = false;
  for (const register of list) {
    if (register.offset === offset && register.width === width) return register;
    if (register.offset < offset + width && offset < register.offset + register.width) overlap = true;
  }
  return overlap ? MISMATCH : undefined;
}

function label(definition: Readonly<RegisterDefinition>): string {
  const at = `0x${definition.offset.toString(16)}/${definition.width * 8}-bit`;
  return definition.name === undefined ? at : `${definition.name} (${at})`;
}
