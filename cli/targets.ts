/**
 * What the command line can point at, and how it opens it. The CLI only parses and formats: every mapping
 * and every access goes through the library (ioremap, mapFile, openUio, openPci, createSimEdu).
 *
 * Targets (the `+OFFSET` is optional everywhere and defaults to 0):
 * - `0xFE200000` — a physical address through /dev/mem (`ioremap`); with `--path FILE`, a byte offset into FILE.
 * - `uio0:map1+0x10`, `uio0+0x10` (map0), `/dev/uio0:map0+0x10`, or by name: `uio_pci_generic:map0+0x10`.
 * - `0000:00:04.0:bar0+0x8` (`00:04.0:bar0` in domain 0), or by IDs: `1234:11e8:bar0+0x8` (the first match).
 * - `file:PATH+0x10`, or any PATH containing a slash: `./regs.bin+0x10`.
 * - `sim:edu+0x8` — the simulated QEMU edu device (fresh for every command).
 *
 * Regions (`mmio md`) add a size in memtool's manner: `START+SIZE` or `START-END` (END inclusive), e.g.
 * `0xfe200000+0x100`, `0xfe200000-0xfe2000ff`, `uio0:map0+0x10+0x40` (offset 0x10, 0x40 bytes), `sim:edu+0-0x7f`.
 * @module
 */
// Backends are imported when a target needs them: a command starts faster (node's start-up dominates on small boards).
import { checkValue, checkValue64 } from '../lib/core/checks.js';
import { rangeError } from '../lib/core/errors.js';
import type { IoRegion } from '../lib/core/io-region.js';
import type { TraceEntry } from '../lib/observe/trace.js';

/** A command-line mistake: exit status 2, `code` `ERR_INVALID_ARG_VALUE` (as Node names a bad argument). */
export class UsageError extends Error {
  readonly code = 'ERR_INVALID_ARG_VALUE';
  readonly hint?: string;
  constructor(message: string, hint?: string) {
    super(message);
    this.name = 'UsageError';
    this.hint = hint;
  }
}

/** The target forms, for error hints and `--help`. */
export const TARGET_FORMS =
  'a physical address (0xfe200000), uio0:map0+0x10, NAME:map0+0x10, 0000:00:04.0:bar0+0x8, 1234:11e8:bar0+0x8, vfio:0000:00:06.0:bar0+0x8, file:PATH+0x10 (or a path with a slash), sim:edu+0x8';

// Each form has at least one digit (`0x_` is not a number): `_` separators may sit anywhere after the prefix.
const NUMBER = '(?:0[xX]_*[0-9a-fA-F][0-9a-fA-F_]*|0[bB]_*[01][01_]*|0[oO]_*[0-7][0-7_]*|[0-9][0-9_]*)(?:[kKmMgG])?';
const UNITS: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n };

/**
 * Parse a non-negative integer as C tools do (0x hex, 0b, 0o, decimal; `_` separators), with an optional binary
 * size suffix k/M/G when `suffix` is allowed.
 * @throws UsageError naming `what`.
 */
export function parseNumber(text: string, what: string, options: { suffix?: boolean } = {}): bigint {
  const m = /^(0[xX]_*[0-9a-fA-F][0-9a-fA-F_]*|0[bB]_*[01][01_]*|0[oO]_*[0-7][0-7_]*|[0-9][0-9_]*)([kKmMgG])?$/.exec(text.trim());
  if (m === null || (m[2] !== undefined && !options.suffix)) {
    throw new UsageError(
      `${what} must be a number (0x… hex, 0b…, 0o… or decimal${options.suffix ? ', optionally with k/M/G' : ''}), got '${text}'`,
    );
  }
  const value = BigInt(m[1].replace(/_/g, ''));
  return m[2] === undefined ? value : value * UNITS[m[2].toLowerCase()];
}

/** Parse a value to write: like {@link parseNumber}, and also negative (`-1`), which the library accepts for signed values. */
export function parseValue(text: string): bigint {
  const negative = text.startsWith('-');
  const value = parseNumber(negative ? text.slice(1) : text, 'value');
  return negative ? -value : value;
}

/**
 * Check that a parsed value fits a write of `width` bytes, with the library's own value check (signed or
 * unsigned; lib/core/checks.ts): done for every value before anything is opened, so a command that fails
 * writes nothing.
 * @throws RangeError `ERR_OUT_OF_RANGE`
 */
export function checkValueFits(value: bigint, width: Width): bigint {
  if (width === 8) checkValue64(value);
  else if (value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)) checkValue(Number(value), width);
  else checkValue(Number.MAX_SAFE_INTEGER, width); // far outside any width below 64 bits: the same error
  return value;
}

/** Access width in bytes. */
export type Width = 1 | 2 | 4 | 8;

/**
 * A width as devmem2 spells it (`b` 8, `h` 16, `w` 32 bits), plus `l` (32) and `q` (64), or in bits (8/16/32/64).
 * @throws UsageError
 */
export function parseWidth(text: string): Width {
  // A Map, not an object literal: '__proto__' or 'constructor' must not find Object.prototype's members.
  const widths = new Map<string, Width>([['b', 1], ['h', 2], ['w', 4], ['l', 4], ['q', 8], ['8', 1], ['16', 2], ['32', 4], ['64', 8]]);
  const w = widths.get(text.trim().toLowerCase());
  if (w === undefined) {
    throw new UsageError(`width must be b (8 bits), h (16), w (32), q (64) or 8/16/32/64, got '${text}'`);
  }
  return w;
}

/** Where a target lives, before it is opened. */
export type TargetKind =
  | { kind: 'phys' }
  | { kind: 'file'; path: string }
  | { kind: 'uio'; device: string | number; map: number }
  | { kind: 'pci'; selector: string; bar: number }
  | { kind: 'vfio'; selector: string; bar: number }
  | { kind: 'sim'; device: string };

/** A parsed target: where, at which offset, and (for regions) how many bytes. */
export type Target = TargetKind & {
  /** The offset (physical address for `phys`), in bytes. */
  offset: bigint;
  /** Bytes, when the text gave `+SIZE` or `-END`. */
  length?: bigint;
  /** The canonical name, without the offset: `/dev/mem`, `uio0:map0`, `0000:00:04.0:bar0`, `sim:edu`… */
  name: string;
};

/** The simulated devices a target can name (`sim:NAME`). */
export const SIM_DEVICES = ['edu'] as const;

const BDF = /^((?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])$/;
const IDS = /^([0-9a-fA-F]{4}:[0-9a-fA-F]{4})$/;

function classify(name: string, pathOption: string | undefined): TargetKind & { name: string } {
  if (pathOption !== undefined) {
    throw new UsageError(`--path takes a plain offset as the target, got '${name}'`, `e.g. mmio read --path ${pathOption} 0x34`);
  }
  if (name.startsWith('sim:')) {
    const device = name.slice(4);
    if (!(SIM_DEVICES as readonly string[]).includes(device)) {
      throw new UsageError(`no simulated device '${device}'`, `simulated devices: ${SIM_DEVICES.map((d) => `sim:${d}`).join(', ')}`);
    }
    return { kind: 'sim', device, name };
  }
  if (name.startsWith('file:')) {
    const path = name.slice(5);
    if (path === '') throw new UsageError('file: needs a path, e.g. file:./regs.bin+0x10');
    return { kind: 'file', path, name: path };
  }
  if (name.startsWith('vfio:')) {
    const vbar = /^vfio:(.+):bar(\d+)$/.exec(name);
    if (!vbar || !(BDF.test(vbar[1]) || IDS.test(vbar[1]))) {
      throw new UsageError(`not a VFIO target: '${name}'`, 'e.g. vfio:0000:00:06.0:bar0+0x8 or vfio:1234:11e8:bar0 (a device bound to vfio-pci)');
    }
    const selector = vbar[1].toLowerCase();
    return { kind: 'vfio', selector, bar: Number(vbar[2]), name: `vfio:${selector}:bar${vbar[2]}` };
  }
  const uioNumber = /^(?:\/dev\/)?uio(\d+)(?::map(\d+))?$/.exec(name);
  if (uioNumber) {
    const map = Number(uioNumber[2] ?? 0);
    return { kind: 'uio', device: Number(uioNumber[1]), map, name: `uio${uioNumber[1]}:map${map}` };
  }
  const bar = /^(.+):bar(\d+)$/.exec(name);
  if (bar && (BDF.test(bar[1]) || IDS.test(bar[1]))) {
    const selector = bar[1].toLowerCase();
    return { kind: 'pci', selector, bar: Number(bar[2]), name: `${selector}:bar${bar[2]}` };
  }
  const uioName = /^(?:uio:)?([^/:+]+):map(\d+)$/.exec(name) ?? /^uio:([^/:+]+)()$/.exec(name);
  if (uioName) {
    const map = Number(uioName[2] || 0);
    return { kind: 'uio', device: uioName[1], map, name: `${uioName[1]}:map${map}` };
  }
  if (name.includes('/')) return { kind: 'file', path: name, name };
  throw new UsageError(`not a target: '${name}'`, `a target is ${TARGET_FORMS}`);
}

/**
 * Parse a target. With `region`, a trailing `+SIZE` or `-END` (memtool) gives its length.
 * @param pathOption `--path FILE`: the target is then a plain offset into FILE.
 * @throws UsageError
 */
export function parseTarget(text: string, options: { region?: boolean; path?: string } = {}): Target {
  const tail = options.region ? `(?:([+-])(${NUMBER}))?` : '';
  const plain = new RegExp(`^(${NUMBER})${tail}$`).exec(text);
  let target: Target;
  let sep: string | undefined;
  let second: string | undefined;
  if (plain) {
    const offset = parseNumber(plain[1], 'address', { suffix: true });
    const path = options.path;
    target =
      path === undefined || path === '/dev/mem'
        ? { kind: 'phys', offset, name: '/dev/mem' }
        : { kind: 'file', path, offset, name: path };
    [sep, second] = [plain[2], plain[3]];
  } else {
    const named = new RegExp(`^(.+?)(?:\\+(${NUMBER})${tail})?$`).exec(text);
    if (named === null) throw new UsageError(`not a target: '${text}'`, `a target is ${TARGET_FORMS}`);
    const kind = classify(named[1], options.path);
    const offset = named[2] === undefined ? 0n : parseNumber(named[2], 'offset', { suffix: true });
    target = { ...kind, offset };
    [sep, second] = [named[3], named[4]];
  }
  if (sep !== undefined && second !== undefined) {
    const n = parseNumber(second, sep === '+' ? 'size' : 'end', { suffix: true });
    if (sep === '+') target.length = n;
    else if (n < target.offset) throw new UsageError(`the end 0x${n.toString(16)} lies before the start 0x${target.offset.toString(16)}`);
    else target.length = n - target.offset + 1n;
  }
  return target;
}

/** The full text of a target at an offset: `/dev/mem` targets as the address, others as `name+0xOFF`. */
export function describeTarget(target: Target): string {
  return target.kind === 'phys' ? `0x${target.offset.toString(16)}` : `${target.name}+0x${target.offset.toString(16)}`;
}

/**
 * Bytes to map for a `--path`/`file:` target: character devices other than /dev/mem are mapped from offset 0,
 * because some drivers ignore the mmap offset. Raspberry Pi's rpi-gpiomem (/dev/gpiomem, /dev/gpiomem0…)
 * maps its whole window at the start of the mapping whatever offset is asked for, and refuses a mapping shorter
 * than that window (192 KiB on a Pi 5), so for those the mapping is at least 0x30000 bytes.
 */
export const GPIOMEM_MAP_SIZE = 0x30000;

/** An opened target: a region, where the target's offset 0 lies in it, and how to let it go. */
export interface OpenTarget {
  /** The region (traced when asked for). */
  region: IoRegion;
  /** Byte offset in `region` of the target's offset. */
  at: number;
  /** The address shown for the first byte: the physical address for /dev/mem, else the offset in the map/BAR/file. */
  shown: bigint;
  /** Physical address of the first byte (the region's phys + at). */
  phys: bigint;
  /** The canonical target name (`/dev/mem`, `uio0:map0`…) and the backing path (`/dev/uio0`, `sim:edu`…). */
  name: string;
  path: string;
  /** The recorded accesses when opened with `trace`. */
  trace?: TraceEntry[];
  close(): void;
}

/** Options of {@link openTarget}. */
export interface OpenOptions {
  /** Open read-only where the backend allows it (/dev/mem and files). */
  readOnly?: boolean;
  /** Map a PCI BAR through resourceN_wc. */
  wc?: boolean;
  /** At least this many bytes from offset 0 for file targets (see {@link GPIOMEM_MAP_SIZE}). */
  mapSize?: number;
  /** Record every access. */
  trace?: boolean;
}

function toSafe(value: bigint, what: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`${what} 0x${value.toString(16)} is too large`);
  return Number(value);
}

/**
 * Open `target` for `length` bytes from its offset, through the library.
 * @throws the library's errors (SystemError with code/hint, RangeError ERR_OUT_OF_RANGE…); UsageError.
 */
export async function openTarget(target: Target, length: number, options: OpenOptions = {}): Promise<OpenTarget> {
  const closers: Array<() => void> = [];
  const close = () => {
    for (const c of closers.splice(0).reverse()) c();
  };
  try {
    let region: IoRegion;
    let at: number;
    let path: string;
    switch (target.kind) {
      case 'phys': {
        const { ioremap } = await import('../lib/linux/ioremap.js');
        region = ioremap(target.offset, length, { readOnly: options.readOnly });
        at = 0;
        path = '/dev/mem';
        break;
      }
      case 'file': {
        const { mapFile } = await import('../lib/linux/map-file.js');
        const start = toSafe(target.offset, 'offset');
        const isGpiomem = /^\/dev\/gpiomem\d*$/.test(target.path);
        const size = Math.max(start + length, options.mapSize ?? (isGpiomem ? GPIOMEM_MAP_SIZE : 0));
        region = mapFile(target.path, 0, size, { readOnly: options.readOnly });
        at = start;
        path = target.path;
        break;
      }
      case 'uio': {
        const { openUio } = await import('../lib/linux/uio.js');
        const dev = openUio(target.device);
        closers.push(() => dev.close());
        region = dev.map(target.map);
        at = toSafe(target.offset, 'offset');
        path = dev.info.devicePath;
        break;
      }
      case 'pci': {
        const { openPci } = await import('../lib/linux/pci.js');
        const dev = openPci(target.selector);
        closers.push(() => dev.close());
        region = dev.map(target.bar, { wc: options.wc });
        at = toSafe(target.offset, 'offset');
        path = region.path;
        break;
      }
      case 'vfio': {
        const { openVfio } = await import('../lib/linux/vfio.js');
        const dev = openVfio(target.selector);
        closers.push(() => dev.close());
        region = dev.map(target.bar);
        at = toSafe(target.offset, 'offset');
        path = region.path;
        break;
      }
      case 'sim': {
        const { createSimEdu } = await import('../lib/sim/edu.js');
        const edu = createSimEdu();
        closers.push(() => edu.close());
        region = edu.regs;
        at = toSafe(target.offset, 'offset');
        path = region.path;
        break;
      }
    }
    closers.push(() => region.iounmap());
    if (at + length > region.size) {
      throw rangeError(
        'ERR_OUT_OF_RANGE',
        `0x${target.offset.toString(16)} + ${length} bytes runs past the end of ${target.name} (0x${region.size.toString(16)} bytes)`,
        `${target.name} is 0x${region.size.toString(16)} bytes: give an offset and a length that end inside it.`,
      );
    }
    const trace: TraceEntry[] | undefined = options.trace ? [] : undefined;
    const { traceRegion } = trace ? await import('../lib/observe/trace.js') : { traceRegion: undefined };
    return {
      region: trace && traceRegion ? traceRegion(region, trace) : region,
      at,
      shown: target.offset,
      phys: region.phys + BigInt(at),
      name: target.name,
      path,
      trace,
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}
