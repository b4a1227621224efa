#!/usr/bin/env node
/**
 * `mmio`: read, write and dump device registers from the shell, with devmem2's and memtool's habits, through the
 * library's backends (/dev/mem, UIO, PCI BARs, files, the simulated edu). `mmio --help` lists the commands;
 * docs/cli.md has examples.
 *
 * Exit status: 0 success; 1 the operation failed (the library's error: code and hint on stderr); 2 the command
 * line was wrong (unknown command or option, a malformed target, width or number).
 * @module
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import type { SingleBar } from 'cli-progress';
import type { IoRegion } from '../lib/core/io-region.js';
import { rangeError } from '../lib/core/errors.js';
import { readByWidth, writeByWidth } from '../lib/core/width-dispatch.js'; // two small modules, no addon: loaded always
// The library's other modules and cli-progress are imported where a command needs them, so that each command loads
// only what it uses: node's start-up is most of a command's time on a small board.
import {
  getValue,
  hex,
  hexAddr,
  hexdumpLines,
  pciJson,
  pciLines,
  putBytes,
  toJson,
  uioJson,
  uioLines,
} from './format.js';
import {
  TARGET_FORMS,
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

/** Where the command writes; replaceable for tests that run it in-process. */
export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

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

function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'mmio') return pkg.version ?? '0.0.0';
    }
    const parent = dirname(dir);
    if (parent === dir) return '0.0.0';
    dir = parent;
  }
}

/** Write text, waiting for the stream to drain when it asks to. */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
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
interface AccessOptions {
  path?: string;
  s?: string;
  d?: string;
  wc?: boolean;
  mapSize?: string;
  trace?: boolean;
  json?: boolean;
  be?: boolean;
}

function addAccessOptions(cmd: Command): Command {
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

function addWidthFlags(cmd: Command): Command {
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

async function cmdRead(io: Io, targetText: string, widthText: string, opts: AccessOptions): Promise<void> {
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

async function cmdWrite(
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

interface DumpOptions extends AccessOptions {
  b?: boolean;
  w?: boolean;
  l?: boolean;
  q?: boolean;
  width?: string;
  count?: string;
  progress?: boolean;
  phys?: boolean;
}

async function cmdDump(io: Io, regionText: string, sizeText: string | undefined, opts: DumpOptions): Promise<void> {
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

async function cmdMemWrite(io: Io, targetText: string, valueTexts: string[], opts: DumpOptions): Promise<void> {
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

async function cmdUioList(io: Io, opts: { json?: boolean }): Promise<void> {
  const { listUioDevices } = await import('../lib/linux/uio.js');
  const devices = listUioDevices();
  if (opts.json) await write(io.stdout, `${toJson(devices.map(uioJson))}\n`);
  else if (devices.length === 0) await write(io.stderr, 'no UIO devices (is the uio module loaded and a device bound?)\n');
  else await write(io.stdout, `${uioLines(devices).join('\n')}\n`);
}

async function cmdPciList(io: Io, selector: string | undefined, opts: { json?: boolean }): Promise<void> {
  const { listPciDevices } = await import('../lib/linux/pci.js');
  let devices = listPciDevices();
  if (selector !== undefined) {
    const s = selector.toLowerCase();
    const ids = /^([0-9a-f]{4}):([0-9a-f]{4})$/.exec(s);
    const bdf = /^[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(s) ? `0000:${s}` : s;
    if (!ids && !/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(bdf)) {
      throw new UsageError(`not a PCI selector: '${selector}'`, 'give a BDF (0000:00:04.0 or 00:04.0) or vendor:device (1234:11e8)');
    }
    devices = devices.filter((d) =>
      ids ? d.vendor === parseInt(ids[1], 16) && d.device === parseInt(ids[2], 16) : d.bdf === bdf,
    );
  }
  if (opts.json) await write(io.stdout, `${toJson(devices.map(pciJson))}\n`);
  else if (devices.length === 0) await write(io.stderr, `no PCI devices${selector === undefined ? '' : ` match ${selector}`}\n`);
  else await write(io.stdout, `${pciLines(devices).join('\n')}\n`);
}

async function cmdVfioList(io: Io, opts: { json?: boolean }): Promise<void> {
  const { listIommuGroups } = await import('../lib/linux/vfio-container.js');
  const groups = listIommuGroups();
  if (opts.json) {
    await write(io.stdout, `${toJson(groups)}\n`);
    return;
  }
  if (groups.length === 0) {
    await write(io.stderr, 'no IOMMU groups: no IOMMU is translating (enable it: intel_iommu=on / amd_iommu=on; see docs/vfio.md)\n');
    return;
  }
  const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
  const lines = groups.flatMap((g) => [
    `group ${g.group}  ${g.hasDeviceFile ? g.devicePath : '(no /dev/vfio file: bind a device to vfio-pci)'}  ${g.viable ? 'viable' : 'NOT viable'}`,
    ...g.devices.map((d) => `  ${d.bdf}  ${hex4(d.vendor)}:${hex4(d.device)}  driver ${d.driver ?? '(none)'}`),
  ]);
  await write(io.stdout, `${lines.join('\n')}\n`);
}

const EXAMPLES = `
Targets:
  0xfe200000               a physical address, through /dev/mem (root); --path FILE: an offset into FILE
  uio0:map0+0x10           UIO device 0, map 0, offset 0x10 (also uio0+0x10, /dev/uio0:map0, NAME:map0+0x10)
  0000:00:04.0:bar0+0x8    a PCI BAR through sysfs resourceN (also 00:04.0:bar0, or by IDs 1234:11e8:bar0)
  vfio:0000:00:06.0:bar0   a BAR of a device bound to vfio-pci, through VFIO (docs/vfio.md)
  file:./regs.bin+0x10     a file (a path with a slash needs no file: prefix)
  sim:edu+0x8              the simulated QEMU edu device: try everything with no hardware
  md regions add a size as memtool does: START+SIZE or START-END, e.g. 0xfe200000+0x100, sim:edu+0-0x7f

Examples:
  mmio read sim:edu                       edu's identification register: 0x010000ed
  mmio read sim:edu+0x0 b                 an 8-bit read: edu answers 0 to it, as the real device does
  mmio write sim:edu+0x4 w 0x12345678 --readback
  mmio md sim:edu+0-0x2f                  a hexdump (32-bit accesses; -b -w -q for 8/16/64)
  mmio mw -l sim:edu+0x4 1 2              write consecutive values
  mmio read --path /dev/gpiomem 0x34      GPIO levels on a Raspberry Pi 4, without root
  mmio uio list --json
  mmio pci list 1234:11e8
  mmio vfio list

Exit status: 0 done, 1 the operation failed (error code and hint on stderr), 2 bad command line.`;

/**
 * Build the command line (a fresh commander program each time, so tests can run several). With `json`,
 * commander's own error text is held back: {@link main} reports the error as JSON instead.
 */
export function buildProgram(io: Io, options: { json?: boolean } = {}): Command {
  const program = new Command('mmio')
    .description('Read and write device registers from user space: /dev/mem, UIO, PCI BARs, files and a simulated device.')
    .version(packageVersion(), '-V, --version')
    .showHelpAfterError(options.json === true ? false : '(mmio --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, writeErr) => {
        if (options.json !== true) writeErr(s);
      },
    })
    .exitOverride()
    .addHelpText('after', EXAMPLES);

  addAccessOptions(
    program
      .command('read')
      .description("read one register, as devmem2 does: WIDTH b, h, w (default) or q; prints the value in hex")
      .argument('<target>', `where (${TARGET_FORMS})`)
      .argument('[width]', 'b (8 bits), h (16), w (32), q (64), or 8/16/32/64', 'w')
      .option('--be', 'big-endian: one access of the full width with its bytes swapped (ioread32be…)'),
  ).action((target: string, width: string, opts: AccessOptions) => cmdRead(io, target, width, opts));

  addAccessOptions(
    program
      .command('write')
      .description('write one register, as devmem2 does (which always reads back; here only with --readback)')
      .argument('<target>', `where (${TARGET_FORMS})`)
      .argument('<width>', 'b (8 bits), h (16), w (32), q (64), or 8/16/32/64')
      .argument('<value>', 'the value: 0x… hex, 0b…, 0o…, decimal, or negative')
      .option('--be', 'big-endian: bytes swapped, one access of the full width (iowrite32be…)')
      .option('-r, --readback', 'read the register back after writing (beware registers whose reads have effects)'),
  ).action((target: string, width: string, value: string, opts: AccessOptions & { readback?: boolean }) =>
    cmdWrite(io, target, width, value, opts),
  );

  addAccessOptions(
    addWidthFlags(
      program
        .command('md')
        .description("display memory in memtool's manner: a hexdump of a region with accesses of one width")
        .argument('<region>', 'a target, optionally with +SIZE or -END (END inclusive), e.g. 0xfe200000+0x100')
        .argument('[size]', 'bytes to show (k/M/G suffixes), default 0x100')
        .option('-c, --count <n>', 'show N accesses of the width instead of a size')
        .option('--phys', 'show physical addresses (the UIO map\'s or BAR\'s base plus the offset) instead of offsets')
        .option('--no-progress', 'no progress bar, even on a terminal')
        .addOption(new Option('-s <file>', "memtool's name for --path").hideHelp()),
    ),
  ).action((region: string, size: string | undefined, opts: DumpOptions) => cmdDump(io, region, size, opts));

  addAccessOptions(
    addWidthFlags(
      program
        .command('mw')
        .description("write memory in memtool's manner: the values to consecutive addresses, one access each")
        .argument('<target>', `where the first value goes (${TARGET_FORMS})`)
        .argument('<values...>', 'the values: 0x… hex, 0b…, 0o…, decimal, or negative')
        .addOption(new Option('-d <file>', "memtool's name for --path").hideHelp()),
    ),
  ).action((target: string, values: string[], opts: DumpOptions) => cmdMemWrite(io, target, values, opts));

  const uio = program.command('uio').description('UIO devices (/sys/class/uio)');
  uio
    .command('list')
    .alias('ls')
    .description('every UIO device: number, name, version, interrupt count, PCI address, and its memory maps')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => cmdUioList(io, opts));

  const pci = program.command('pci').description('PCI functions (/sys/bus/pci/devices)');
  pci
    .command('list')
    .alias('ls')
    .description('PCI functions: BDF, vendor:device, class, bound driver, and BARs with sizes and flags')
    .argument('[selector]', 'only this BDF (0000:00:04.0) or vendor:device (1234:11e8)')
    .option('--json', 'print JSON')
    .action((selector: string | undefined, opts: { json?: boolean }) => cmdPciList(io, selector, opts));

  const vfio = program.command('vfio').description('VFIO: IOMMU groups and their devices (/sys/kernel/iommu_groups)');
  vfio
    .command('list')
    .alias('ls')
    .description('IOMMU groups: their /dev/vfio file, whether VFIO will take them (viable), and each device with its driver')
    .option('--json', 'print JSON')
    .action((opts: { json?: boolean }) => cmdVfioList(io, opts));

  return program;
}

interface ErrorFields {
  code?: string;
  errno?: number;
  syscall?: string;
  path?: string;
  hint?: string;
  message: string;
}

/** Print an error as the library shapes it (code, errno, syscall, path, hint); return the exit status. */
export function reportError(io: Io, error: unknown, json: boolean): number {
  const e = (error instanceof Error ? error : new Error(String(error))) as Error & Partial<ErrorFields>;
  const status = error instanceof UsageError ? 2 : 1;
  const code = e.code ?? 'ERR_MMIO';
  let message = e.message;
  if (e.hint !== undefined && message.endsWith(` (${e.hint})`)) message = message.slice(0, -(e.hint.length + 3));
  if (json) {
    const out: Record<string, unknown> = { code, message };
    for (const k of ['errno', 'syscall', 'path', 'hint'] as const) if (e[k] !== undefined) out[k] = e[k];
    io.stderr.write(`${JSON.stringify({ error: out }, null, 2)}\n`);
  } else {
    io.stderr.write(`mmio: ${message}\n`);
    const details = [e.errno === undefined ? '' : `errno ${e.errno}`, e.syscall ? `syscall ${e.syscall}` : '', e.path ? `path ${e.path}` : '']
      .filter(Boolean)
      .join(', ');
    io.stderr.write(`  code: ${code}${details ? ` (${details})` : ''}\n`);
    if (e.hint !== undefined) io.stderr.write(`  hint: ${e.hint}\n`);
    if (!(error instanceof Error) || (e.code === undefined && process.env.MMIO_DEBUG)) io.stderr.write(`${e.stack ?? ''}\n`);
  }
  return status;
}

/**
 * Run the command line.
 * @returns the exit status: 0, 1 (operation failed) or 2 (bad command line).
 */
export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const json = argv.includes('--json');
  const program = buildProgram(io, { json });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      if (json) {
        // commander printed nothing (outputError below); the error goes out as JSON like every other one.
        const message = e.message.replace(/^error: /, '');
        io.stderr.write(`${JSON.stringify({ error: { code: 'ERR_USAGE', message, commanderCode: e.code } }, null, 2)}\n`);
      }
      return 2; // commander has printed the message (or the help, for `mmio uio` without a subcommand)
    }
    return reportError(io, e, json);
  }
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === realpathSync(process.argv[1]);
if (isMain) {
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0); // `mmio md … | head`
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
