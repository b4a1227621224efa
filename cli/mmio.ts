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
// The library's backends and cli-progress are imported inside the commands that need them (access-commands.ts,
// list-commands.ts, targets.ts), so each command loads only what it uses: node's start-up is most of a command's
// time on a small board.
import { TARGET_FORMS, UsageError } from './targets.js';
import type { Io } from './io.js';
import {
  addAccessOptions,
  addWidthFlags,
  cmdDump,
  cmdMemWrite,
  cmdRead,
  cmdWrite,
  type AccessOptions,
  type DumpOptions,
} from './access-commands.js';
import { cmdPciList, cmdUioList, cmdVfioList } from './list-commands.js';

export type { Io } from './io.js';
export { PROGRESS_MIN_BYTES, showProgress } from './access-commands.js';

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
