/**
 * The errors table, host rows: every bad input and condition that needs no hardware, with the exact error it
 * gets; and docs/errors.md, which is rendered from these rows and the guest rows (test/hw/errors-table.rows.ts)
 * and must match them. `npm run docs:errors` rewrites it. The harness is test/helpers/errors-table.ts.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  devm_ioremap_resource,
  inb,
  inl,
  ioremap_np,
  ioremap_wc,
  ioremap,
  iounmap,
  mapFile,
  openPci,
  openUio,
  outb,
  pageSize,
  release_mem_region,
  request_mem_region,
  type IoRegion,
  type MapFileOptions,
} from '../lib/index.js';
import { RegisterModel, SimRegion } from '../lib/sim/index.js';
import { checkRow, renderErrorsMarkdown, rowsWithWrongCalls, sourceCalls, type BaseContext, type ErrorRow } from './helpers/errors-table.js';
import { guestPlaceholders, guestRows } from './hw/errors-table.rows.js';

/** Size of the temporary file every row gets, and of the region `t.map()` makes over it. */
const SIZE = 4096;

export interface HostContext extends BaseContext {
  /** A fresh SIZE-byte file of zeros. */
  file: string;
  /** Its folder. */
  dir: string;
  /** Map `size` bytes of `file` at `offset` (tracked: unmapped after the row). */
  map(size?: number, options?: MapFileOptions, offset?: number): IoRegion;
  /** Run `fn` after the row. */
  track(fn: () => void | Promise<void>): void;
}

function hostContext(): HostContext {
  const dir = mkdtempSync(join(tmpdir(), 'mmio-errors-'));
  const file = join(dir, 'region.bin');
  writeFileSync(file, Buffer.alloc(SIZE));
  const cleanups: Array<() => void | Promise<void>> = [];
  const page = pageSize();
  return {
    file,
    dir,
    vars: {
      file,
      dir,
      lockdir: process.env.MMIO_LOCK_DIR ?? '',
      pid: String(process.pid),
      fault: (2 * page + 8).toString(16),
      faultBlock: (2 * page).toString(16),
    },
    map(size = SIZE, options = {}, offset = 0) {
      const r = mapFile(file, offset, size, options);
      cleanups.push(() => r.iounmap());
      return r;
    },
    track(fn) {
      cleanups.push(fn);
    },
    async dispose() {
      for (const fn of cleanups.reverse()) await fn();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const libUrl = new URL('../dist/lib/index.js', import.meta.url).href;

/** A child process holding a claim on [start, start + n); killed (and awaited) after the row. */
async function holdInChild(t: HostContext, start: bigint, n: number, name: string): Promise<number> {
  const script = `
    const { request_mem_region } = await import(${JSON.stringify(libUrl)});
    request_mem_region(${start}n, ${n}, ${JSON.stringify(name)});
    process.stdout.write('held\\n');
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const closed = new Promise((r) => child.once('close', r));
  t.track(async () => {
    child.kill('SIGKILL');
    await closed;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('held') && resolve());
    child.once('exit', (code) => reject(new Error(`claim holder exited early with ${code}`)));
  });
  t.vars.child = String(child.pid);
  return child.pid as number;
}

/** A region over a 4-page file truncated to 1 page under it: accesses past page 1 raise SIGBUS. */
function truncatedRegion(t: HostContext): IoRegion {
  const page = pageSize();
  truncateSync(t.file, 4 * page);
  const r = t.map(4 * page);
  r.writel(0x1234, 0);
  truncateSync(t.file, page);
  return r;
}

const u8 = (n: number) => new Uint8Array(n);
const any = <T>(v: unknown) => v as T;
const FAULT_HINT =
  'the device did not answer (unclocked, powered down or absent) or the file was truncated under the mapping. The region is poisoned: iounmap it and map it again.';
const NO_SUCH_FILE = 'check the path.';
const READ_ONLY = 'region was mapped read-only ({ readOnly: true }); map it again without readOnly to write';
const PAST_END = 'range ends beyond the end of the file (4096 bytes); check offset and size.';

type Row = ErrorRow<HostContext, any>;
const region = (t: HostContext) => t.map();

const access: Row[] = [
  { condition: 'offset at the end of the region', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: "offset 0x1000 + 4 bytes is beyond the region's 4096 bytes", setup: region, act: (r: IoRegion) => r.readl(0x1000) },
  { condition: 'an access that starts inside and ends past the end (4092-byte region)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: "offset 0xff8 + 8 bytes is beyond the region's 4092 bytes", setup: (t) => t.map(4092), act: (r: IoRegion) => r.readq(0xff8) },
  { condition: 'offset far beyond the region', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: "offset 0x10000000000 + 1 bytes is beyond the region's 4096 bytes", setup: region, act: (r: IoRegion) => r.writeb(0, 2 ** 40) },
  { condition: 'offset not aligned for a 32-bit access', errorClass: 'RangeError', code: 'ERR_UNALIGNED',
    message: 'offset 0x2 is not aligned for a 32-bit access (must be a multiple of 4)', setup: region, act: (r: IoRegion) => r.readl(2) },
  { condition: 'offset not aligned for a 16-bit access', errorClass: 'RangeError', code: 'ERR_UNALIGNED',
    message: 'offset 0x3 is not aligned for a 16-bit access (must be a multiple of 2)', setup: region, act: (r: IoRegion) => r.writew(0, 3) },
  { condition: 'offset not aligned for a 64-bit access', errorClass: 'RangeError', code: 'ERR_UNALIGNED',
    message: 'offset 0x4 is not aligned for a 64-bit access (must be a multiple of 8)', setup: region, act: (r: IoRegion) => r.readq(4) },
  { condition: 'aligned offset, unaligned address (region mapped at file offset 0x102)', errorClass: 'RangeError', code: 'ERR_UNALIGNED',
    message: 'offset 0x0 is address 0x102, not aligned for a 32-bit access', setup: (t) => t.map(0x40, {}, 0x102), act: (r: IoRegion) => r.readl(0) },
  { condition: 'negative offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative integer number of bytes, got -1', setup: region, act: (r: IoRegion) => r.readb(-1) },
  { condition: 'NaN offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative integer number of bytes, got NaN', setup: region, act: (r: IoRegion) => r.readl(NaN) },
  { condition: 'Infinity offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative integer number of bytes, got Infinity', setup: region, act: (r: IoRegion) => r.readl(Infinity) },
  { condition: 'fractional offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative integer number of bytes, got 1.5', setup: region, act: (r: IoRegion) => r.readw(1.5) },
  { condition: 'offset of the wrong type: string', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "offset must be a number of bytes, got string '4'", setup: region, act: (r: IoRegion) => r.readl(any('4')) },
  { condition: 'offset of the wrong type: bigint', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'offset must be a number of bytes, got bigint 4n', setup: region, act: (r: IoRegion) => r.readl(any(4n)) },
  { condition: 'offset missing', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'offset must be a number of bytes, got undefined', setup: region, act: (r: IoRegion) => any<(o?: number) => number>(r.readl).call(r) },
  { condition: 'offset null', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'offset must be a number of bytes, got null', setup: region, act: (r: IoRegion) => r.writel(0, any(null)) },
].map((r) => ({ ...r, group: 'Access offsets' }) as Row);

const values: Row[] = [
  { condition: 'value wider than 32 bits', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 4294967296 does not fit a 32-bit write (integer -2147483648..4294967295)', act: (r: IoRegion) => r.writel(2 ** 32, 0) },
  { condition: 'value below the signed range of 8 bits', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value -129 does not fit an 8-bit write (integer -128..255)', act: (r: IoRegion) => r.writeb(-129, 0) },
  { condition: 'NaN value', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value NaN does not fit a 16-bit write (integer -32768..65535)', act: (r: IoRegion) => r.writew(NaN, 0) },
  { condition: 'fractional value', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 1.5 does not fit a 32-bit write (integer -2147483648..4294967295)', act: (r: IoRegion) => r.writel(1.5, 0) },
  { condition: 'Infinity value, big-endian write', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value Infinity does not fit a 32-bit write (integer -2147483648..4294967295)', act: (r: IoRegion) => r.iowrite32be(Infinity, 0) },
  { condition: 'value of the wrong type: string', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "value must be a number for a 32-bit write, got string '1'", act: (r: IoRegion) => r.writel(any('1'), 0) },
  { condition: 'value of the wrong type: bigint for a 32-bit write', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'value must be a number for a 32-bit write, got bigint 1n', act: (r: IoRegion) => r.writel(any(1n), 0) },
  { condition: 'bigint beyond 64 bits', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 18446744073709551616 does not fit a 64-bit write (-2^63..2^64-1)', act: (r: IoRegion) => r.writeq(1n << 64n, 0) },
  { condition: 'bigint below -2^63', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value -9223372036854775809 does not fit a 64-bit write (-2^63..2^64-1)', act: (r: IoRegion) => r.writeq(-(1n << 63n) - 1n, 0) },
  { condition: 'a number above 2^53 for a 64-bit write (not exact)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 1152921504606847000 must be a safe integer or a bigint for a 64-bit write', act: (r: IoRegion) => r.writeq(any(2 ** 60), 0) },
  { condition: '64-bit value of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "value must be a bigint for a 64-bit write, got string '1'", act: (r: IoRegion) => r.writeq(any('1'), 0) },
].map((r) => ({ ...r, setup: region, group: 'Values' }) as Row);

const blocks: Row[] = [
  { condition: 'count larger than the buffer', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'count 8 is more than the buffer holds (4)', act: (r: IoRegion) => r.memcpy_fromio(u8(4), 0, 8) },
  { condition: 'block running past the end of the region', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: "offset 0xff8 + 16 bytes is beyond the region's 4096 bytes", act: (r: IoRegion) => r.memcpy_fromio(u8(16), 0xff8, 16) },
  { condition: 'negative count', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'count must be a non-negative integer, got -1', act: (r: IoRegion) => r.memcpy_toio(0, u8(4), -1) },
  { condition: 'count of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "count must be a number, got string '4'", act: (r: IoRegion) => r.memset_io(0, 0, any('4')) },
  { condition: 'buffer of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'dst must be a Uint8Array, got an instance of Array', act: (r: IoRegion) => r.memcpy_fromio(any([]), 0, 0) },
  { condition: 'memset_io byte out of range', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 256 does not fit an 8-bit write (integer -128..255)', act: (r: IoRegion) => r.memset_io(0, 256, 4) },
  { condition: '_rep buffer of the wrong element type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'dst must be a Uint32Array, got an instance of Uint16Array', act: (r: IoRegion) => r.ioread32_rep(0, any(new Uint16Array(2)), 1) },
  { condition: '_rep count larger than the buffer', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'count 3 is more than the buffer holds (2)', act: (r: IoRegion) => r.iowrite16_rep(0, new Uint16Array(2), 3) },
  { condition: '_rep register unaligned', errorClass: 'RangeError', code: 'ERR_UNALIGNED',
    message: 'offset 0x1 is not aligned for a 16-bit access (must be a multiple of 2)', act: (r: IoRegion) => r.ioread16_rep(1, new Uint16Array(1), 1) },
].map((r) => ({ ...r, setup: region, group: 'Block and _rep operations' }) as Row);

const polls: Row[] = [
  { condition: 'condition never met (busy poll)', errorClass: 'Error', code: 'ETIMEDOUT',
    message: "ETIMEDOUT: connection timed out, readl_poll_timeout_atomic '{file}' (condition not met at offset 0x0 within 200 us; last value read 0x0.)",
    act: (r: IoRegion) => r.readl_poll_timeout_atomic(0, { mask: 1, value: 1 }, 0, 200) },
  { condition: 'condition never met (sleeping poll; the error carries `.value`)', errorClass: 'Error', code: 'ETIMEDOUT',
    message: "ETIMEDOUT: connection timed out, readw_poll_timeout '{file}' (condition not met at offset 0x0 within 2000 us; last value read 0x0.)",
    act: (r: IoRegion) => r.readw_poll_timeout(0, (v) => v === 1, 100, 2000) },
  { condition: 'negative delay', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'delayUs must be a number of microseconds in 0..2147483647000, got -1', act: (r: IoRegion) => r.readl_poll_timeout_atomic(0, () => true, -1, 10) },
  { condition: 'Infinity timeout (0 is "forever")', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'timeoutUs must be a number of microseconds in 0..2147483647000, got Infinity', act: (r: IoRegion) => r.readq_poll_timeout_atomic(0, { mask: 1n, value: 0n }, 0, Infinity) },
  { condition: 'sleep of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "sleepUs must be a number of microseconds, got string '10'", act: (r: IoRegion) => r.readl_poll_timeout(0, () => true, any('10'), 100) },
  { condition: 'condition of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "cond must be a function (value) => boolean or { mask, value }, got string 'ready'", act: (r: IoRegion) => r.readl_poll_timeout_atomic(0, any('ready'), 0, 10) },
  { condition: '{ mask, value } of mixed types', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'cond.value must be a number for a 32-bit read, got bigint 1n', act: (r: IoRegion) => r.readl_poll_timeout_atomic(0, any({ mask: 1, value: 1n }), 0, 10) },
].map((r) => ({ ...r, setup: region, group: 'Polls' }) as Row);

const unmapped = (t: HostContext) => {
  const r = t.map();
  r.iounmap();
  return r;
};
const UNMAPPED = 'region of {file} is unmapped (iounmap was called); map it again to access it';

const lifetime: Row[] = [
  { condition: 'read after iounmap', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED', message: UNMAPPED,
    setup: unmapped, act: (r: IoRegion) => r.readl(0) },
  { condition: 'write after iounmap', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED', message: UNMAPPED,
    setup: unmapped, act: (r: IoRegion) => r.writeq(1n, 8) },
  { condition: 'block copy after iounmap', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED', message: UNMAPPED,
    setup: unmapped, act: (r: IoRegion) => r.memcpy_toio(0, u8(4), 4) },
  { condition: '_rep after iounmap', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED', message: UNMAPPED,
    setup: unmapped, act: (r: IoRegion) => r.ioread8_rep(0, u8(4), 4) },
  { condition: 'sleeping poll after iounmap', errorClass: 'Error', code: 'ERR_IOMEM_UNMAPPED', message: UNMAPPED,
    setup: unmapped, act: (r: IoRegion) => r.readl_poll_timeout(0, () => true, 10, 100) },
  { condition: 'double iounmap', errorClass: null, code: null, message: 'the second call does nothing',
    setup: unmapped, act: (r: IoRegion) => iounmap(r) },
  { condition: 'write to a read-only mapping', errorClass: 'Error', code: 'ERR_IOMEM_READONLY',
    message: `writel at offset 0x0 of '{file}': ${READ_ONLY}`, setup: (t) => t.map(SIZE, { readOnly: true }), act: (r: IoRegion) => r.writel(1, 0) },
  { condition: 'block write to a read-only mapping', errorClass: 'Error', code: 'ERR_IOMEM_READONLY',
    message: `memset_io at offset 0x0 of '{file}': ${READ_ONLY}`, setup: (t) => t.map(SIZE, { readOnly: true }), act: (r: IoRegion) => r.memset_io(0, 0xff, 64) },
  { condition: '_rep write to a read-only mapping', errorClass: 'Error', code: 'ERR_IOMEM_READONLY',
    message: `iowrite32_rep at offset 0x0 of '{file}': ${READ_ONLY}`, setup: (t) => t.map(SIZE, { readOnly: true }), act: (r: IoRegion) => r.iowrite32_rep(0, new Uint32Array(2), 2) },
  { condition: 'file truncated under the mapping: read past the new end (SIGBUS)', errorClass: 'Error', code: 'EFAULT',
    message: `EFAULT: bad address in system call argument, readl '{file}' (SIGBUS at 0x{fault} (offset 0x{fault}): ${FAULT_HINT})`,
    setup: truncatedRegion, act: (r: IoRegion) => r.readl(2 * pageSize() + 8), faultMapsPage: true },
  { condition: 'file truncated under the mapping: block copy (SIGBUS)', errorClass: 'Error', code: 'EFAULT',
    message: `EFAULT: bad address in system call argument, memcpy_fromio '{file}' (SIGBUS at 0x{faultBlock} (offset 0x{faultBlock}): ${FAULT_HINT})`,
    setup: truncatedRegion, act: (r: IoRegion) => r.memcpy_fromio(u8(64), 2 * pageSize(), 64), faultMapsPage: true },
  { condition: 'any access to a region poisoned by an earlier fault, even where still backed', errorClass: 'Error', code: 'EFAULT',
    message: `EFAULT: bad address in system call argument, readl '{file}' (SIGBUS at 0x{fault} (offset 0x{fault}): ${FAULT_HINT})`,
    setup: (t) => {
      const r = truncatedRegion(t);
      expect(() => r.readl(2 * pageSize() + 8)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
      return r;
    },
    act: (r: IoRegion) => r.readl(0) },
].map((r) => ({ ...r, group: 'Lifetime and faults' }) as Row);

const mapping: Row[] = [
  { condition: 'missing device file', errorClass: 'Error', code: 'ENOENT',
    message: `ENOENT: no such file or directory, open '{file}.missing' (${NO_SUCH_FILE})`, act: (_s, t) => mapFile(`${t.file}.missing`, 0, 16) },
  { condition: 'a directory', errorClass: 'Error', code: 'EISDIR',
    message: "EISDIR: illegal operation on a directory, open '{dir}' (this is a folder: pass the device file (/dev/uio0, a PCI BAR\'s resource0, /dev/mem) or a regular file.)", act: (_s, t) => mapFile(t.dir, 0, 4096) },
  { condition: 'a file that cannot be mapped', errorClass: 'Error', code: 'ENODEV',
    message: "ENODEV: no such device, mmap '/dev/null' (This file cannot be memory-mapped (it is not a device or regular file that supports mmap).)",
    act: () => mapFile('/dev/null', 0, 4096) },
  { condition: 'offset beyond the end of a regular file', errorClass: 'Error', code: 'ENXIO',
    message: `ENXIO: no such device or address, mmap '{file}' (${PAST_END})`, act: (_s, t) => mapFile(t.file, 8192, 16) },
  { condition: 'size beyond the end of a regular file', errorClass: 'Error', code: 'ENXIO',
    message: `ENXIO: no such device or address, mmap '{file}' (${PAST_END})`, act: (_s, t) => mapFile(t.file, 0, 8192) },
  { condition: 'size 0', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'size must be a positive integer number of bytes, got 0', act: (_s, t) => mapFile(t.file, 0, 0) },
  { condition: 'negative size', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'size must be a positive integer number of bytes, got -4096', act: (_s, t) => mapFile(t.file, 0, -4096) },
  { condition: 'NaN size', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'size must be a positive integer number of bytes, got NaN', act: (_s, t) => mapFile(t.file, 0, NaN) },
  { condition: 'Infinity size', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'size must be a positive integer number of bytes, got Infinity', act: (_s, t) => mapFile(t.file, 0, Infinity) },
  { condition: 'fractional size', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'size must be a positive integer number of bytes, got 16.5', act: (_s, t) => mapFile(t.file, 0, 16.5) },
  { condition: 'size of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "size must be a number of bytes, got string '4096'", act: (_s, t) => mapFile(t.file, 0, any('4096')) },
  { condition: 'negative file offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative safe integer or a bigint, got -1', act: (_s, t) => mapFile(t.file, -1, 16) },
  { condition: 'NaN file offset', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative safe integer or a bigint, got NaN', act: (_s, t) => mapFile(t.file, NaN, 16) },
  { condition: 'Infinity physical address', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative safe integer or a bigint, got Infinity', act: (_s, t) => ioremap(Infinity, 16, { path: t.file }) },
  { condition: 'offset above 2^53 as a number (not exact: pass a bigint)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be a non-negative safe integer or a bigint, got 1152921504606847000', act: (_s, t) => mapFile(t.file, 2 ** 60, 16) },
  { condition: 'file offset beyond 64 bits (bigint)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be in 0..2^64-1, got 18446744073709551616n', act: (_s, t) => mapFile(t.file, 1n << 64n, 16) },
  { condition: 'negative bigint', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset must be in 0..2^64-1, got -1n', act: (_s, t) => mapFile(t.file, -1n, 16) },
  { condition: 'offset + size past 2^64', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'offset 0xfffffffffffff000 + size 8192 runs past 2^64', act: (_s, t) => mapFile(t.file, (1n << 64n) - 4096n, 8192) },
  { condition: 'offset of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "offset must be a bigint or a number, got string '0'", act: (_s, t) => mapFile(t.file, any('0'), 16) },
  { condition: 'path of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'path must be a non-empty string, got number 5', act: () => mapFile(any(5), 0, 16) },
  { condition: 'empty path', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "path must be a non-empty string, got string ''", act: () => mapFile('', 0, 16) },
  { condition: 'write-combining without a PCI resource file', errorClass: 'Error', code: 'ENOTSUP',
    message: "ENOTSUP: operation not supported on socket, ioremap_wc '/dev/mem' (write-combining is only available through a PCI resourceN_wc file: pass the BAR's resourceN path)",
    act: () => ioremap_wc(0xfe000000, 4096) },
  { condition: 'non-posted mapping', errorClass: 'Error', code: 'ENOTSUP',
    message: "ENOTSUP: operation not supported on socket, ioremap_np '/dev/mem' (non-posted (nGnRnE) mappings cannot be requested from user space; use ioremap)",
    act: () => ioremap_np(0xfe000000, 4096) },
].map((r) => ({ ...r, group: 'Mapping: mapFile, ioremap' }) as Row);

const CLAIM_FILE = "EBUSY: resource busy or locked, request_mem_region '{lockdir}/iomem.lock'";

const claims: Row[] = [
  { condition: 'range overlapping a claim in this process (EBUSY names the holder)', errorClass: 'Error', code: 'EBUSY',
    message: `${CLAIM_FILE} (0xfe200000..0xfe200fff is claimed by 'gpio-driver' (pid {pid}): release it there first.)`,
    setup: (t) => {
      const held = request_mem_region(0xfe200000n, 0x1000, 'gpio-driver');
      t.track(() => held.release());
    },
    act: () => request_mem_region(0xfe200800n, 0x1000, 'other') },
  { condition: 'range claimed by another process', errorClass: 'Error', code: 'EBUSY',
    message: `${CLAIM_FILE} (0x40000000..0x4000ffff is claimed by 'edu-in-child' (pid {child}): release it there first.)`,
    setup: (t) => holdInChild(t, 0x40000000n, 0x10000, 'edu-in-child'),
    act: () => request_mem_region(0x40008000n, 0x10, 'parent') },
  { condition: 'claim of 0 bytes', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'n must be at least 1 byte', act: () => request_mem_region(0x1000, 0, 'x') },
  { condition: 'claim at or above 2^63 (the lock offset is an off_t)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'claims are limited to addresses below 2^63; got 0x8000000000000000 + 1', act: () => request_mem_region(1n << 63n, 1, 'x') },
  { condition: 'claim with a negative start', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'start must be a non-negative safe integer or a bigint, got -4096', act: () => request_mem_region(-4096, 16, 'x') },
  { condition: 'holder name of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'name must be a string, got number 5', act: () => request_mem_region(0x1000, 16, any(5)) },
  { condition: 'release of a range this process does not hold', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'no claim on 0x1000 + 256 is held by this process', act: () => release_mem_region(0x1000, 0x100) },
  { condition: 'the claim folder cannot be made (`MMIO_LOCK_DIR=/dev/null/mmio`)', errorClass: 'Error', code: 'ENOTDIR',
    message: "ENOTDIR: not a directory, mkdir '/dev/null/mmio' (cannot open the claim lock file: set MMIO_LOCK_DIR to a folder every driver process can write.)",
    setup: (t) => {
      const saved = process.env.MMIO_LOCK_DIR;
      process.env.MMIO_LOCK_DIR = '/dev/null/mmio';
      t.track(() => {
        process.env.MMIO_LOCK_DIR = saved;
      });
    },
    act: () => request_mem_region(0x1000, 16, 'x') },
  { condition: 'devm_ioremap_resource whose mapping fails: the claim is released too', errorClass: 'Error', code: 'ENXIO', message: `ENXIO: no such device or address, mmap '{file}' (${PAST_END})`,
    act: (_s, t) => devm_ioremap_resource({ start: 0x1000, size: 0x1000, name: 'beyond' }, { path: t.file }),
    after: () => request_mem_region(0x1000, 0x1000, 'after-failure').release() },
].map((r) => ({ ...r, group: 'Claims: request_mem_region' }) as Row);

const devices: Row[] = [
  { condition: 'UIO device of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'device must be a name, a number or /dev/uioN, got an instance of Object', act: () => openUio(any({})) },
  { condition: 'PCI selector of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: 'selector must be a BDF or vendor:device string, got number 4584', act: () => openPci(any(0x11e8)) },
  { condition: 'port beyond 0xffff', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'port must be an integer with port + 1 <= 0x10000, got 65536', act: () => inb(0x10000) },
  { condition: '32-bit port access running past 0xffff', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'port must be an integer with port + 4 <= 0x10000, got 65534', act: () => inl(0xfffe) },
  { condition: 'port of the wrong type', errorClass: 'TypeError', code: 'ERR_INVALID_ARG_TYPE',
    message: "port must be a number, got string '0x70'", act: () => inb(any('0x70')) },
  { condition: 'port write value out of range', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'value 256 does not fit an 8-bit write (integer -128..255)', act: () => outb(0x100, 0x80) },
  { condition: 'unknown access width (a simulated register of 3 bytes)', errorClass: 'RangeError', code: 'ERR_OUT_OF_RANGE',
    message: 'register width must be 1, 2, 4 or 8 bytes, got 3', act: () => new RegisterModel({ size: 16, registers: [{ offset: 0, width: any(3) }] }) },
].map((r) => ({ ...r, group: 'Devices and ports (argument checks)' }) as Row);

export const hostRows: Row[] = [...access, ...values, ...blocks, ...polls, ...lifetime, ...mapping, ...claims, ...devices];

export const hostPlaceholders: Record<string, string> = {
  file: 'the mapped file (a fresh 4096-byte file of zeros; on a board, a device file)',
  dir: 'the folder holding it',
  pid: 'this process',
  child: 'the other process holding the claim',
  lockdir: 'the claim folder: `$MMIO_LOCK_DIR`, by default /run/lock/mmio',
  fault: '2 × page size + 8, in hex (2008 with 4 KiB pages): the faulting offset',
  faultBlock: '2 × page size, in hex: where the block copy faults',
};

const DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

let lockDir: string;
beforeAll(async () => {
  lockDir = mkdtempSync(join(tmpdir(), 'mmio-errors-locks-'));
  process.env.MMIO_LOCK_DIR = lockDir;
  // libuv opens its signal pipe at the first child process: open it now, not inside a row's measurement.
  await new Promise((r) => spawn(process.execPath, ['-e', '']).once('close', r));
  // Likewise the sleeping polls' timerfd, made by the first sleep and kept for the thread's life (native/poll_timer.cc).
  await new SimRegion(new RegisterModel({ size: 4 }), { name: 'warm-up' }).readl_poll_timeout(0, () => false, 10, 100).catch(() => undefined);
});
afterAll(() => {
  delete process.env.MMIO_LOCK_DIR;
  rmSync(lockDir, { recursive: true, force: true });
});

describe('errors table (host rows): exact class, code and message; nothing left open or mapped', () => {
  it.each(hostRows.map((r, i) => [`${i + 1}. ${r.group}: ${r.condition}`, r] as const))('%s', async (_name, row) => {
    await checkRow(row, hostContext);
  });
});

const here = new URL('.', import.meta.url).pathname;
const rowFiles = [`${here}errors-table.test.ts`, `${here}hw/errors-table.rows.ts`];

describe('the call column is generated from the code each row runs', () => {
  it('every row has its act in the source, and the act that runs makes the calls shown (host and guest rows)', async () => {
    const calls = await sourceCalls(...rowFiles);
    expect(rowsWithWrongCalls([...hostRows, ...guestRows], calls)).toEqual([]);
    expect(calls.size).toBe(hostRows.length + guestRows.length);
  });

  it('the check can fail: a row whose act was swapped after the literal (ioremap shown, mapFile run) is caught', async () => {
    const calls = await sourceCalls(...rowFiles);
    const row = hostRows.find((r) => calls.get(r.condition)?.shown.startsWith('ioremap('));
    expect(row, 'a host row that calls ioremap').toBeDefined();
    const swapped = { ...row!, act: (_s: unknown, t: HostContext) => mapFile(t.file, Infinity, 16) };
    expect(rowsWithWrongCalls([swapped], calls)).toEqual([expect.stringContaining(`${row!.condition}: shows 'ioremap(`)]);
    expect(rowsWithWrongCalls([row!], calls)).toEqual([]);
    expect(rowsWithWrongCalls([{ ...row!, condition: 'a condition no row has' }], calls)).toEqual(['a condition no row has: act not found in the source']);
  });

  it('shows literals as written (0x1000, not the 4096 of the transpiled function)', async () => {
    const calls = await sourceCalls(...rowFiles);
    expect(calls.get('offset at the end of the region')?.shown).toBe('r.readl(0x1000)');
  });
});

describe('docs/errors.md', () => {
  it('has at least 30 rows, each with a code (or documented as no error) and a message', () => {
    const all = [...hostRows, ...guestRows];
    expect(all.length).toBeGreaterThanOrEqual(30);
    for (const r of all) expect(r.message.length).toBeGreaterThan(0);
  });

  it('is exactly what the rows render (npm run docs:errors rewrites it)', async () => {
    const rendered = renderErrorsMarkdown(hostRows, guestRows, { ...hostPlaceholders, ...guestPlaceholders }, await sourceCalls(...rowFiles));
    if (process.env.MMIO_WRITE_ERRORS_MD === '1') writeFileSync(DOC, rendered);
    let current = '';
    try {
      current = readFileSync(DOC, 'utf8');
    } catch {
      // missing: the comparison below fails with the whole rendering
    }
    expect(current, 'docs/errors.md differs from the rows: run npm run docs:errors').toBe(rendered);
  });
});
