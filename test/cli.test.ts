/**
 * The `mmio` command line, run as a user runs it: the built CLI as a child process (`node dist/cli/mmio.js …`)
 * against the simulated edu and temporary files, checking stdout, --json, exit status and error output; plus the
 * target grammar, parsed in-process. The same commands against the real edu run in the QEMU guest
 * (test/hw/cli.hw.test.ts).
 *
 * The CLI is the one test/helpers/built-lib.ts gives: dist/ when it is newer than every source under cli/ and lib/,
 * else a fresh compile into .cache/cli-test/ (so a stale dist/ never hides a change).
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNumber, parseTarget, parseWidth } from '../cli/targets.js';
import { builtProject, projectRoot } from './helpers/built-lib.js';
import { tempFile } from './helpers/temp-file.js';

const root = projectRoot;
let cli: string;

beforeAll(() => {
  cli = join(builtProject('cli-test'), 'cli/mmio.js');
}, 120_000);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI; never rejects: the exit status is part of the result. */
function mmio(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ status, stdout, stderr });
    });
  });
}

/** Run a shell command line (for pipes and a pseudo-terminal). */
function sh(command: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { encoding: 'utf8', maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr });
    });
  });
}

describe.concurrent('mmio read / write on the simulated edu', () => {
  it('reads the identification register, 32 bits by default, value only', async () => {
    expect(await mmio('read', 'sim:edu')).toEqual({ status: 0, stdout: '0x010000ed\n', stderr: '' });
    expect((await mmio('read', 'sim:edu+0x0', 'w')).stdout).toBe('0x010000ed\n');
    expect((await mmio('read', 'sim:edu+0x0', '32')).stdout).toBe('0x010000ed\n');
  });

  it("shows the access width: edu answers 0 to 8- and 16-bit reads, as the real device does", async () => {
    expect((await mmio('read', 'sim:edu', 'b')).stdout).toBe('0x00\n');
    expect((await mmio('read', 'sim:edu', 'h')).stdout).toBe('0x0000\n');
    expect((await mmio('read', 'sim:edu+0xa0', 'q')).stdout).toBe('0xffffffffffffffff\n');
  });

  it('--json gives the target, path, addresses, width and value', async () => {
    const r = await mmio('read', 'sim:edu+0x0', '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      target: 'sim:edu+0x0',
      path: 'sim:edu',
      offset: '0x0',
      phys: '0xfea00000',
      width: 32,
      bigEndian: false,
      value: '0x010000ed',
      decimal: '16777453',
    });
  });

  it('--be reads the full width with the bytes swapped', async () => {
    expect((await mmio('read', 'sim:edu', 'w', '--be')).stdout).toBe('0xed000001\n');
  });

  it('writes quietly; --readback shows what the device answers (liveness: the inverse)', async () => {
    expect(await mmio('write', 'sim:edu+0x4', 'w', '0x12345678')).toEqual({ status: 0, stdout: '', stderr: '' });
    expect((await mmio('write', 'sim:edu+0x4', 'w', '0x12345678', '--readback')).stdout).toBe(
      'wrote 0x12345678, read back 0xedcba987\n',
    );
    const r = await mmio('write', 'sim:edu+4', '32', '-1', '--readback', '--json');
    expect(JSON.parse(r.stdout)).toMatchObject({ target: 'sim:edu+0x4', written: '0xffffffff', readback: '0x00000000', width: 32 });
  });

  it('--trace prints every device access on stderr', async () => {
    const r = await mmio('write', 'sim:edu+0x4', 'w', '5', '--readback', '--trace');
    expect(r.stderr).toBe('access trace (sim:edu, offsets in the mapping):\nW32 +0x004 = 0x00000005\nR32 +0x004 = 0xfffffffa\n');
  });

  it('a value too wide for the access is the library\'s RangeError: exit 1, ERR_OUT_OF_RANGE', async () => {
    const r = await mmio('write', 'sim:edu+0x4', 'b', '0x100');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^mmio: .*\n {2}code: ERR_OUT_OF_RANGE\n {2}hint: an 8-bit write takes an integer number in -128\.\.0xff .*\n$/);
  });

  it('an offset past the end of the device, or unaligned: exit 1 with the code', async () => {
    const past = await mmio('read', 'sim:edu+0x100000');
    expect(past.status).toBe(1);
    expect(past.stderr).toBe(
      'mmio: 0x100000 + 4 bytes runs past the end of sim:edu (0x100000 bytes)\n  code: ERR_OUT_OF_RANGE\n' +
        '  hint: sim:edu is 0x100000 bytes: give an offset and a length that end inside it.\n',
    );
    const unaligned = await mmio('read', 'sim:edu+0x2');
    expect(unaligned.status).toBe(1);
    expect(unaligned.stderr).toMatch(/\n {2}code: ERR_UNALIGNED\n {2}hint: give an offset that is a multiple of 4 for 32-bit accesses/);
  });
});

describe.concurrent('mmio md / mw on the simulated edu', () => {
  it('dumps 32-bit values with an ASCII column, memtool style, START-END inclusive', async () => {
    const r = await mmio('md', 'sim:edu+0-0x2f');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        '00000000: 010000ed 00000000 00000000 ffffffff  ................',
        '00000010: ffffffff ffffffff ffffffff ffffffff  ................',
        '00000020: 00000000 00000000 ffffffff ffffffff  ................',
        '',
      ].join('\n'),
    );
  });

  it('takes the size as START+SIZE, as an argument, or as --count, and 256 bytes by default', async () => {
    const a = (await mmio('md', 'sim:edu+0+0x20')).stdout;
    expect((await mmio('md', 'sim:edu', '0x20')).stdout).toBe(a);
    expect((await mmio('md', 'sim:edu', '--count', '8')).stdout).toBe(a);
    expect(a.split('\n')).toHaveLength(3);
    expect((await mmio('md', 'sim:edu')).stdout.split('\n')).toHaveLength(17);
    const twice = await mmio('md', 'sim:edu+0+0x20', '0x20');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('give the size once');
  });

  it('-b, -w, -q choose the width; -x shows big-endian values', async () => {
    expect((await mmio('md', '-b', 'sim:edu', '8')).stdout).toBe('00000000: 00 00 00 00 00 00 00 00' + ' '.repeat(24) + '  ........\n');
    expect((await mmio('md', '-w', 'sim:edu', '4')).stdout).toBe('00000000: 0000 0000' + ' '.repeat(30) + '  ....\n');
    expect((await mmio('md', '-q', 'sim:edu+0xa0', '16')).stdout).toBe('000000a0: ffffffffffffffff ffffffffffffffff  ................\n');
    expect((await mmio('md', '-x', 'sim:edu', '4')).stdout).toMatch(/^00000000: ed000001 /);
    expect((await mmio('md', '-b', '-q', 'sim:edu')).status).toBe(2);
  });

  it('--phys shows physical addresses; --json lists the values', async () => {
    expect((await mmio('md', 'sim:edu+0x20', '8', '--phys')).stdout).toMatch(/^fea00020: 00000000 00000000 /);
    const r = await mmio('md', 'sim:edu', '0x10', '--json');
    expect(JSON.parse(r.stdout)).toEqual({
      target: 'sim:edu+0x0',
      path: 'sim:edu',
      offset: '0x0',
      phys: '0xfea00000',
      address: '0x0',
      width: 32,
      bigEndian: false,
      count: 4,
      bytes: 16,
      values: ['0x010000ed', '0x00000000', '0x00000000', '0xffffffff'],
    });
  });

  it('mw writes consecutive values (the simulated device is fresh for every command)', async () => {
    const r = await mmio('mw', 'sim:edu+0x4', '1', '0x2', '--trace');
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('W32 +0x004 = 0x00000001\nW32 +0x008 = 0x00000002');
    expect(JSON.parse((await mmio('mw', '-l', 'sim:edu+0x4', '7', '--json')).stdout)).toMatchObject({ written: ['0x00000007'] });
  });

  it('a size that is not whole accesses, or 0, is a usage error', async () => {
    expect((await mmio('md', 'sim:edu', '6')).status).toBe(2);
    expect((await mmio('md', 'sim:edu', '0')).status).toBe(2);
  });
});

describe('mmio on a file', () => {
  let file: ReturnType<typeof tempFile>;
  beforeAll(() => {
    file = tempFile(4096);
    const bytes = readFileSync(file.path);
    Buffer.from('mmio says hello!').copy(bytes, 0x40);
    writeFileSync(file.path, bytes);
  });
  afterAll(() => file.cleanup());

  it('mw with a value that does not fit writes nothing (every value is checked first): exit 1, ERR_OUT_OF_RANGE', async () => {
    const { readFileSync } = await import('node:fs');
    const before = readFileSync(file.path);
    const r = await mmio('mw', '-b', `file:${file.path}+0x40`, '1', '2', '0x1ff');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/code: ERR_OUT_OF_RANGE/);
    expect(readFileSync(file.path).equals(before)).toBe(true);
    const q = await mmio('mw', '-q', `file:${file.path}+0x40`, '1', '0x1_0000_0000_0000_0000');
    expect(q.status).toBe(1);
    expect(readFileSync(file.path).equals(before)).toBe(true);
  });

  it('--json reports a command-line error (unknown command, missing argument) as JSON, nothing else', async () => {
    for (const args of [['bogus', '--json'], ['mw', '--json'], ['read', '--json', '--nonsense', 'sim:edu']]) {
      const r = await mmio(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(JSON.parse(r.stderr), args.join(' ')).toMatchObject({ error: { code: 'ERR_USAGE', message: expect.any(String) } });
    }
  });

  it('writes and reads through file:PATH+OFF, PATH+OFF and --path', async () => {
    expect((await mmio('write', `file:${file.path}+0x10`, 'w', '0xdeadbeef')).status).toBe(0);
    expect(readFileSync(file.path).readUInt32LE(0x10)).toBe(0xdeadbeef);
    expect((await mmio('read', `file:${file.path}+0x10`)).stdout).toBe('0xdeadbeef\n');
    expect((await mmio('read', `${file.path}+0x10`, 'h')).stdout).toBe('0xbeef\n');
    expect((await mmio('read', '--path', file.path, '0x12', 'h')).stdout).toBe('0xdead\n');
    expect((await mmio('write', `${file.path}+0x18`, 'q', '0x0102030405060708')).status).toBe(0);
    expect(readFileSync(file.path).readBigUInt64LE(0x18)).toBe(0x0102030405060708n);
  });

  it('md shows the bytes as text; mw -b writes bytes; -x writes big-endian', async () => {
    const r = await mmio('md', '-b', `${file.path}+0x40`, '16');
    expect(r.stdout).toBe('00000040: 6d 6d 69 6f 20 73 61 79 73 20 68 65 6c 6c 6f 21  mmio says hello!\n');
    expect((await mmio('mw', '-b', `${file.path}+0x40`, '0x4d', '0x4d')).status).toBe(0);
    expect(readFileSync(file.path).subarray(0x40, 0x44).toString()).toBe('MMio');
    expect((await mmio('mw', '-l', '-x', '-d', file.path, '0x80', '0x11223344')).status).toBe(0);
    expect([...readFileSync(file.path).subarray(0x80, 0x84)]).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect((await mmio('md', '-l', '-s', file.path, '0x80', '4')).stdout).toMatch(/^00000080: 44332211 /);
  });

  it('a missing file: exit 1 with the code, errno, syscall, path and the hint', async () => {
    const missing = `${file.path}.missing`;
    const r = await mmio('read', `file:${missing}`);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `mmio: ENOENT: no such file or directory, open '${missing}'\n` +
        `  code: ENOENT (errno -2, syscall open, path ${missing})\n` +
        '  hint: check the path.\n',
    );
    const json = await mmio('read', `file:${missing}`, '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: {
        code: 'ENOENT',
        message: `ENOENT: no such file or directory, open '${missing}'`,
        errno: -2,
        syscall: 'open',
        path: missing,
        hint: 'check the path.',
      },
    });
  });

  it('past the end of the file: ENXIO from the library, with its hint', async () => {
    const r = await mmio('read', `file:${file.path}+0x2000`);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^mmio: ENXIO: no such device or address, mmap .*\n {2}code: ENXIO .*\n {2}hint: .+\n$/);
  });
});

describe.concurrent('listings', () => {
  it('uio list --json is an array (empty where no uio module is loaded), exit 0', async () => {
    const r = await mmio('uio', 'list', '--json');
    expect(r.status).toBe(0);
    const devices = JSON.parse(r.stdout) as Array<{ device: string; maps: unknown[] }>;
    expect(Array.isArray(devices)).toBe(true);
    for (const d of devices) expect(d.device).toMatch(/^uio\d+$/);
  });

  it('pci list --json gives BDF, IDs, driver and BARs; a filter narrows it; a bad filter is a usage error', async () => {
    const r = await mmio('pci', 'list', '--json');
    expect(r.status).toBe(0);
    const devices = JSON.parse(r.stdout) as Array<{ bdf: string; vendor: string; device: string; bars: Array<{ size: string }> }>;
    for (const d of devices) {
      expect(d.bdf).toMatch(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/);
      expect(d.vendor).toMatch(/^0x[0-9a-f]{4}$/);
      for (const b of d.bars) expect(b.size).toMatch(/^0x[0-9a-f]+$/);
    }
    if (devices.length > 0) {
      const one = JSON.parse((await mmio('pci', 'list', devices[0].bdf, '--json')).stdout) as unknown[];
      expect(one).toHaveLength(1);
    }
    expect((await mmio('pci', 'list', 'nonsense')).status).toBe(2);
  });
});

describe.concurrent('command-line errors and help', () => {
  it('a malformed target: exit 2, ERR_INVALID_ARG_VALUE and the forms a target takes', async () => {
    const r = await mmio('read', 'nowhere');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mmio: not a target: 'nowhere'\n {2}code: ERR_INVALID_ARG_VALUE\n {2}hint: a target is .*sim:edu/);
    expect((await mmio('read', 'sim:nothing')).stderr).toContain('simulated devices: sim:edu');
    expect((await mmio('read', '--path', '/tmp/x', 'uio0')).status).toBe(2);
  });

  it('a bad width or number: exit 2', async () => {
    expect((await mmio('read', 'sim:edu', 'x')).stderr).toContain('width must be b (8 bits), h (16), w (32), q (64)');
    expect((await mmio('write', 'sim:edu', 'w', 'zz')).status).toBe(2);
  });

  it('unknown commands and options: exit 2 with commander\'s message', async () => {
    const r = await mmio('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
    expect((await mmio('read', 'sim:edu', '--frob')).status).toBe(2);
    expect((await mmio('read')).status).toBe(2);
  });

  it('--help lists the commands, the targets and examples; --version the package version', async () => {
    const help = await mmio('--help');
    expect(help.status).toBe(0);
    for (const word of ['read', 'write', 'md', 'mw', 'uio', 'pci', 'sim:edu+0x8', 'Exit status']) expect(help.stdout).toContain(word);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect((await mmio('--version')).stdout.trim()).toBe(pkg.version);
    expect((await mmio('md', '--help')).stdout).toContain('--count <n>');
    expect((await mmio('help', 'read')).status).toBe(0);
    const bare = await mmio('uio');
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('list|ls');
  });

  it("md's --width takes bits only (memtool's -w is 16 bits, devmem2's w 32)", async () => {
    expect((await mmio('md', '--width', '16', 'sim:edu', '4')).stdout).toBe((await mmio('md', '-w', 'sim:edu', '4')).stdout);
    const letter = await mmio('md', '--width', 'w', 'sim:edu');
    expect(letter.status).toBe(2);
    expect(letter.stderr).toContain('--width takes the bits');
  });
});

describe.concurrent('terminals and pipes', () => {
  it('a long dump shows a progress bar on a terminal (run under script(1) for a pseudo-terminal)', async () => {
    const r = await sh(`script -qec "${process.execPath} ${cli} md sim:edu 0x100000" /dev/null`);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('mmio md sim:edu+0x0 [');
    expect(r.stdout).toContain('100% | 1048576/1048576 bytes');
    expect(r.stdout).toContain('000ffff0: ffffffff ffffffff ffffffff ffffffff  ................');
  });

  it('no progress bar when stdout is not a terminal, or with --no-progress', async () => {
    const piped = await mmio('md', 'sim:edu', '0x100000');
    expect(piped.stderr).toBe('');
    expect(piped.stdout.split('\n')).toHaveLength(0x10000 + 1);
    const quiet = await sh(`script -qec "${process.execPath} ${cli} md --no-progress sim:edu 0x100000" /dev/null`);
    expect(quiet.stdout).not.toContain('bytes | ETA');
  });

  it('a closed pipe (| head) ends the dump quietly with status 0', async () => {
    const r = await sh(`${process.execPath} ${cli} md sim:edu 0x100000 | head -1`);
    expect(r).toEqual({ status: 0, stdout: '00000000: 010000ed 00000000 00000000 ffffffff  ................\n', stderr: '' });
  });
});

describe('the target grammar', () => {
  it('physical addresses, with memtool ranges for regions', () => {
    expect(parseTarget('0xfe200000')).toEqual({ kind: 'phys', offset: 0xfe200000n, name: '/dev/mem' });
    expect(parseTarget('0xfe200000+0x100', { region: true })).toMatchObject({ offset: 0xfe200000n, length: 0x100n });
    expect(parseTarget('0xfe200000-0xfe2000ff', { region: true })).toMatchObject({ offset: 0xfe200000n, length: 0x100n });
    expect(parseTarget('0x34', { path: '/dev/gpiomem' })).toEqual({ kind: 'file', path: '/dev/gpiomem', offset: 0x34n, name: '/dev/gpiomem' });
    expect(() => parseTarget('0xfe200000+0x100')).toThrow(/not a target/);
  });

  it('UIO by number or name, PCI by BDF or IDs, files and sim', () => {
    expect(parseTarget('uio0:map1+0x10')).toMatchObject({ kind: 'uio', device: 0, map: 1, offset: 0x10n, name: 'uio0:map1' });
    expect(parseTarget('/dev/uio2+4')).toMatchObject({ kind: 'uio', device: 2, map: 0, offset: 4n });
    expect(parseTarget('pl061:map0+0xfe0')).toMatchObject({ kind: 'uio', device: 'pl061', map: 0, offset: 0xfe0n });
    expect(parseTarget('uio:pl061')).toMatchObject({ kind: 'uio', device: 'pl061', map: 0, offset: 0n });
    expect(parseTarget('0000:00:04.0:bar0+0x8')).toMatchObject({ kind: 'pci', selector: '0000:00:04.0', bar: 0, offset: 8n });
    expect(parseTarget('00:04.0:bar2')).toMatchObject({ kind: 'pci', selector: '00:04.0', bar: 2 });
    expect(parseTarget('1234:11E8:bar0+0x8')).toMatchObject({ kind: 'pci', selector: '1234:11e8', bar: 0, offset: 8n });
    expect(parseTarget('file:regs.bin+0x10')).toMatchObject({ kind: 'file', path: 'regs.bin', offset: 0x10n });
    expect(parseTarget('./a-b/regs.bin')).toMatchObject({ kind: 'file', path: './a-b/regs.bin', offset: 0n });
    expect(parseTarget('sim:edu+0x8')).toMatchObject({ kind: 'sim', device: 'edu', offset: 8n });
    expect(parseTarget('uio0:map0+0x10+0x40', { region: true })).toMatchObject({ offset: 0x10n, length: 0x40n });
    expect(parseTarget('sim:edu+0-0x7f', { region: true })).toMatchObject({ offset: 0n, length: 0x80n });
  });

  it('numbers in C notation with k/M/G sizes; widths as devmem2 letters or bits', () => {
    expect(parseNumber('0x1_0000', 'n')).toBe(0x10000n);
    expect(parseNumber('0b101', 'n')).toBe(5n);
    expect(parseNumber('4k', 'n', { suffix: true })).toBe(4096n);
    expect(parseNumber('1M', 'n', { suffix: true })).toBe(1n << 20n);
    expect(() => parseNumber('4k', 'n')).toThrow();
    expect([parseWidth('b'), parseWidth('h'), parseWidth('w'), parseWidth('q'), parseWidth('64')]).toEqual([1, 2, 4, 8, 8]);
  });
});
