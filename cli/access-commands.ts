/**
 * The access commands of `mmio`: `read` and `write` (devmem2's habits), `md` and `mw` (memtool's), with the
 * options they share (the target's path, `--wc`, `--map-size`, `--trace`, `--json`, memtool's width flags).
 * @module
 */
import type { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import type { IoRegion } from '../lib/core/io-region.js';
import { rangeError } from '../lib/core/errors.js';
import { readByWidth, writeByWidth } from '../lib/core/width-dispatch.js'; // two small modules, no addon: loaded always
import { getValue, hex, hexAddr, hexdumpLines, putBytes, toJson } from './format.js';
import { write, type Io } from './io.js';
import {
  UsageError,
  describeTarget,
  openTarget,
  parseNumber,
  parseTarget,
  checkValueFits,
  parseValue,
  parseWidth,
  type OpenTarget,
  type Target,
  type Width,
} from './targets.js';

/** Dumps of at least this many bytes show a progress bar (when stdout and stderr are terminals). */
export const PROGRESS_MIN_BYTES = 64 * 1024;
/** `md` reads this many bytes between progress updates. */
const CHUNK_BYTES = 16 * 1024;
/** `md` with no size: 256 bytes, as memtool. */
const DEFAULT_DUMP_BYTES = 0x100n;

/** Whether `md` shows a progress bar: a long dump, stdout and stderr both terminals, and not `--no-progress`. */
export function showProgress(bytes: number, io: Io, wanted: boolean): boolean {
  return wanted && bytes >= PROGRESS_MIN_BYTES && io.stdout.isTTY === true && io.stderr.isTTY === true;
}

/** One write of a parsed value (a bigint of any width's range) with the width's accessor. */
function writeOne(r: IoRegion, value: bigint, at: number, width: Width, bigEndian: boolean): void {
  writeByWidth(r, width, width === 8 ? value : Number(value), at, bigEndian);
}

/**
 * The fields every access command's JSON starts with, in this order: the target as given, the mapped file, the
 * target's offset and physical address, `address` (only when given: where a dump's listing starts), the width in
 * bits, and whether the accesses were big-endian.
 */
function accessJson(target: Target, t: OpenTarget, width: Width, bigEndian: boolean, address?: bigint): Record<string, unknown> {
  return {
    target: describeTarget(target),
    path: t.path,
    offset: hexAddr(target.offset),
    phys: hexAddr(t.phys),
    ...(address === undefined ? {} : { address: hexAddr(address) }),
    width: width * 8,
    bigEndian,
  };
}

/** Options every access command shares. */
export interface AccessOptions {
  path?: string;
  s?: string;
  d?: string;
  wc?: boolean;
  mapSize?: string;
  trace?: boolean;
  json?: boolean;
  be?: boolean;
}

/** Add the options every access command takes (see {@link AccessOptions}) to `cmd`; returns it. */
export function addAccessOptions(cmd: Command): Command {
  return cmd
    .option('-p, --path <file>', 'map FILE instead of /dev/mem (e.g. /dev/gpiomem); the target is then an offset into it')
    .option('--wc', 'map a PCI BAR through resourceN_wc (write-combining; prefetchable BARs only)')
    .option('--map-size <bytes>', 'for --path/file: targets, map at least this many bytes from offset 0')
    .option('--trace', 'print every device access on stderr')
    .option('--json', 'print JSON');
}

function pathOf(opts: AccessOptions): string | undefined {
  return opts.path ?? opts.s ?? opts.d;
}

function open(target: Target, length: number, opts: AccessOptions, readOnly: boolean): Promise<OpenTarget> {
  const mapSize = opts.mapSize === undefined ? undefined : Number(parseNumber(opts.mapSize, '--map-size', { suffix: true }));
  return openTarget(target, length, { readOnly, wc: opts.wc, mapSize, trace: opts.trace });
}

async function printTrace(io: Io, t: OpenTarget): Promise<void> {
  if (t.trace === undefined) return;
  const { formatTrace } = await import('../lib/observe/trace.js');
  const text = formatTrace(t.trace);
  await write(io.stderr, `access trace (${t.path}, offsets in the mapping):\n${text === '' ? '(none)' : text}\n`);
}

/** Width from memtool's flags -b/-w/-l/-q or --width BITS; default 32 bits. */
function memtoolWidth(opts: { b?: boolean; w?: boolean; l?: boolean; q?: boolean; width?: string }): Width {
  const flags = (['b', 'w', 'l', 'q'] as const).filter((f) => opts[f]);
  if (flags.length + (opts.width === undefined ? 0 : 1) > 1) {
    throw new UsageError('give one width: -b (8 bits), -w (16), -l (32), -q (64) or --width BITS');
  }
  if (opts.width !== undefined) {
    // Bits only: memtool's -w is 16 bits where devmem2's w is 32, so letters would mislead here.
    const bits = ({ '8': 1, '16': 2, '32': 4, '64': 8 } as const)[opts.width.trim() as '8'];
    if (bits === undefined) throw new UsageError(`--width takes the bits: 8, 16, 32 or 64, got '${opts.width}'`);
    return bits;
  }
  return ({ b: 1, w: 2, l: 4, q: 8 } as const)[flags[0] ?? 'l'];
}

/** Add memtool's width flags (-b, -w, -l, -q: 8, 16, 32, 64 bits) to `cmd`; returns it. */
export function addWidthFlags(cmd: Command): Command {
  return cmd
    .option('-b', 'byte access (8 bits)')
    .option('-w', 'word access (16 bits)')
    .option('-l', 'long access (32 bits, the default)')
    .option('-q', 'quad access (64 bits)')
    .option('--width <bits>', 'access width in bits: 8, 16, 32 or 64')
    .option('-x, --be', 'big-endian: each access is of the full width with its bytes swapped (ioread32be…)');
}

function alignmentCheck(t: Target, width: Width): void {
  if (t.offset % BigInt(width) !== 0n) {
    throw rangeError(
      'ERR_UNALIGNED',
      `${describeTarget(t)} is not aligned for a ${width * 8}-bit access (must be a multiple of ${width})`,
      `give an offset that is a multiple of ${width} for ${width * 8}-bit accesses, or a narrower width (-b, -w, -l, -q).`,
    );
  }
}

/**
 * `mmio read TARGET [WIDTH]`: one access of WIDTH bits (devmem2's b/h/w/q or 8/16/32/64) at TARGET, printed in
 * hex (or as JSON). Throws the library's errors (mapping, range) and UsageError for a bad target or width.
 */
export async function cmdRead(io: Io, targetText: string, widthText: string, opts: AccessOptions): Promise<void> {
  const width = parseWidth(widthText);
  const target = parseTarget(targetText, { path: pathOf(opts) });
  alignmentCheck(target, width);
  const t = await open(target, width, opts, true);
  try {
    const value = readByWidth(t.region, width, t.at, opts.be === true);
    if (opts.json) {
      await write(
        io.stdout,
        `${toJson({ ...accessJson(target, t, width, opts.be === true), value: hex(value, width), decimal: value.toString() })}\n`,
      );
    } else {
      await write(io.stdout, `${hex(value, width)}\n`);
    }
    await printTrace(io, t);
  } finally {
    t.close();
  }
}

/**
 * `mmio write TARGET WIDTH VALUE`: one write of WIDTH bits, and with `--readback` a read of it, printed in hex
 * (or as JSON). Throws the library's errors and UsageError for a value that does not fit the width.
 */
export async function cmdWrite(
  io: Io,
  targetText: string,
  widthText: string,
  valueText: string,
  opts: AccessOptions & { readback?: boolean },
): Promise<void> {
  const width = parseWidth(widthText);
  const value = checkValueFits(parseValue(valueText), width);
  const target = parseTarget(targetText, { path: pathOf(opts) });
  alignmentCheck(target, width);
  const t = await open(target, width, opts, false);
  try {
    writeOne(t.region, value, t.at, width, opts.be === true);
    const written = hex(BigInt.asUintN(width * 8, value), width);
    const readback = opts.readback ? readByWidth(t.region, width, t.at, opts.be === true) : undefined;
    if (opts.json) {
      await write(
        io.stdout,
        `${toJson({
          ...accessJson(target, t, width, opts.be === true),
          written,
          readback: readback === undefined ? null : hex(readback, width),
        })}\n`,
      );
    } else if (readback !== undefined) {
      await write(io.stdout, `wrote ${written}, read back ${hex(readback, width)}\n`);
    }
    await printTrace(io, t);
  } finally {
    t.close();
  }
}

/** Options of `md` and `mw`: memtool's width flags, `--width`, `--count`, the progress bar, `--phys` addresses. */
export interface DumpOptions extends AccessOptions {
  b?: boolean;
  w?: boolean;
  l?: boolean;
  q?: boolean;
  width?: string;
  count?: string;
  progress?: boolean;
  phys?: boolean;
}

/**
 * `mmio md REGION [SIZE]`: a hexdump of SIZE bytes (default 256) read with accesses of the chosen width, with a
 * progress bar for long dumps on a terminal. Throws the library's errors and UsageError for bad sizes.
 */
export async function cmdDump(io: Io, regionText: string, sizeText: string | undefined, opts: DumpOptions): Promise<void> {
  const width = memtoolWidth(opts);
  const target = parseTarget(regionText, { region: true, path: pathOf(opts) });
  const given = [target.length !== undefined, sizeText !== undefined, opts.count !== undefined].filter(Boolean).length;
  if (given > 1) throw new UsageError('give the size once: START+SIZE, START-END, a SIZE argument, or --count');
  let length: bigint;
  if (opts.count !== undefined) length = parseNumber(opts.count, '--count', { suffix: true }) * BigInt(width);
  else if (sizeText !== undefined) length = parseNumber(sizeText.replace(/^\+/, ''), 'size', { suffix: true });
  else length = target.length ?? DEFAULT_DUMP_BYTES;
  if (length === 0n) throw new UsageError('the size must be more than 0 bytes');
  if (length % BigInt(width) !== 0n) {
    throw new UsageError(`the size (${length} bytes) must be a whole number of ${width * 8}-bit accesses`);
  }
  if (length > 0x4000_0000n) throw new UsageError(`dumps are limited to 1 GiB, asked for ${length} bytes`);
  alignmentCheck(target, width);
  const bytes = Number(length);
  const bigEndian = opts.be === true;

  const t = await open(target, bytes, opts, true);
  let bar: SingleBar | undefined;
  try {
    const buf = Buffer.alloc(bytes);
    if (showProgress(bytes, io, opts.progress !== false)) {
      const { SingleBar } = await import('cli-progress');
      bar = new SingleBar({
        format: `mmio md ${describeTarget(target)} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta_formatted}`,
        stream: io.stderr as NodeJS.WriteStream,
        clearOnComplete: true,
        hideCursor: true,
        etaBuffer: 64,
      });
      bar.start(bytes, 0);
    }
    for (let done = 0; done < bytes; ) {
      const end = Math.min(done + CHUNK_BYTES, bytes);
      for (let i = done; i < end; i += width) putBytes(buf, i, readByWidth(t.region, width, t.at + i, bigEndian), width, bigEndian);
      done = end;
      if (bar) {
        bar.update(done);
        await new Promise((resolve) => setImmediate(resolve)); // let the bar redraw and Ctrl-C through
      }
    }
    bar?.stop();
    bar = undefined;

    const first = opts.phys ? t.phys : t.shown;
    if (opts.json) {
      const values: string[] = [];
      for (let i = 0; i < bytes; i += width) values.push(hex(getValue(buf, i, width, bigEndian), width));
      await write(
        io.stdout,
        `${toJson({
          ...accessJson(target, t, width, bigEndian, first),
          count: values.length,
          bytes,
          values,
        })}\n`,
      );
    } else {
      const last = first + length - 1n;
      const digits = Math.max(8, last.toString(16).length);
      const lines = hexdumpLines(buf, first, width, bigEndian, digits);
      for (let i = 0; i < lines.length; i += 4096) await write(io.stdout, `${lines.slice(i, i + 4096).join('\n')}\n`);
    }
    await printTrace(io, t);
  } finally {
    bar?.stop();
    t.close();
  }
}

/**
 * `mmio mw TARGET VALUE...`: one write of the chosen width (memtool's flags) per value, at consecutive offsets;
 * every value is checked before the first write. Throws the library's errors (a fault part-way says how many were
 * written) and UsageError for values that do not fit.
 */
export async function cmdMemWrite(io: Io, targetText: string, valueTexts: string[], opts: DumpOptions): Promise<void> {
  const width = memtoolWidth(opts);
  // Every value is checked before the first write: a bad one fails the command with nothing written.
  const values = valueTexts.map((text) => checkValueFits(parseValue(text), width));
  const target = parseTarget(targetText, { path: pathOf(opts) });
  alignmentCheck(target, width);
  const t = await open(target, values.length * width, opts, false);
  try {
    let done = 0;
    try {
      for (const v of values) {
        writeOne(t.region, v, t.at + done * width, width, opts.be === true);
        done++;
      }
    } catch (e) {
      // A fault part-way (EFAULT…): say exactly what was written before it.
      if (e instanceof Error) {
        e.message = `${e.message} [mw wrote ${done} of ${values.length} values before this failure]`;
        (e as Error & { written?: number }).written = done;
      }
      throw e;
    }
    if (opts.json) {
      await write(
        io.stdout,
        `${toJson({
          ...accessJson(target, t, width, opts.be === true),
          written: values.map((v) => hex(BigInt.asUintN(width * 8, v), width)),
        })}\n`,
      );
    }
    await printTrace(io, t);
  } finally {
    t.close();
  }
}
