/**
 * The shared mapping every case and baseline uses: one file in /dev/shm (tmpfs, so the mapping is cached
 * RAM, like a memfd), mapped by this process, the C loop, python-periphery and the poll flipper.
 * @module
 */
import { closeSync, existsSync, ftruncateSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes mapped: the register page, the poll page, and room for a 1 MiB block. */
export const MAP_SIZE = 4 << 20;
/** The register the single-access write cases (JS, C, python-periphery) write and the C and python reads read. */
export const REG = 0;
/**
 * The register the JS read cases read: nothing writes it after set-up, so every read returns {@link READ_VALUE}
 * whatever the write cases (which store values with bit 31 set: writeq, iowrite32be) left in {@link REG}. On V8
 * 13.6 and 14.6 a readl result of 2^31 or more is not a small integer and costs more (the "value ≥ 2^31" row).
 */
export const READ_REG = 32;
/** What {@link READ_REG} holds: edu's identification register, a value below 2^31. */
export const READ_VALUE = 0x010000ed;
/** A register holding {@link HIGH_VALUE}, for the "readl, a value ≥ 2^31" row. */
export const HIGH_REG = 48;
export const HIGH_VALUE = 0x89abcdef;
/** The page of the poll-reaction protocol (see poll-protocol.ts). */
export const POLL_PAGE = 64 << 10;
/** Start of the block that memcpy_fromio/toio copy; 1 MiB past it stays inside the mapping. */
export const BLOCK = 1 << 20;
/** Block sizes, as the issue asks: 1 KiB, 64 KiB and 1 MiB. */
export const BLOCK_SIZES = [1 << 10, 64 << 10, 1 << 20] as const;

/** "1 KiB", "64 KiB", "1 MiB". */
export function sizeName(bytes: number): string {
  return bytes >= 1 << 20 ? `${bytes >> 20} MiB` : `${bytes >> 10} KiB`;
}

/** A zero-filled file of MAP_SIZE bytes in /dev/shm (else the temp dir), removed by `remove()`. */
export function createSharedFile(): { path: string; onTmpfs: boolean; remove(): void } {
  const onTmpfs = existsSync('/dev/shm');
  const path = join(onTmpfs ? '/dev/shm' : tmpdir(), `mmio-bench-${process.pid}.bin`);
  const fd = openSync(path, 'w+');
  ftruncateSync(fd, MAP_SIZE);
  closeSync(fd);
  return { path, onTmpfs, remove: () => rmSync(path, { force: true }) };
}
