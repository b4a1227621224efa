/**
 * x86 port I/O with the kernel's names and argument order (arch/x86/include/asm/io.h): `inb(port)`,
 * `outb(value, port)`. Each call is the `in`/`out` instruction of exactly that width, run in native code
 * after ioperm() has granted the process access to those ports (needs CAP_SYS_RAWIO, i.e. root).
 * /dev/port is not used: its read() and write() move one byte per port with inb/outb, so a 16- or 32-bit
 * access through it would reach the device as separate byte accesses at consecutive ports.
 * @module
 */
import { addon } from './addon.js';
import { checkValue, describe } from '../core/checks.js';
import { rangeError, systemError, systemErrorByCode, typeError } from '../core/errors.js';

function checkPort(port: number, width: 1 | 2 | 4): void {
  if (typeof port !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `port must be a number, got ${describe(port)}`, 'a port is an integer number in 0..0xffff, e.g. 0x3f8 for COM1.');
  if (!Number.isInteger(port) || port < 0 || port + width > 0x10000) {
    throw rangeError('ERR_OUT_OF_RANGE', `port must be an integer with port + ${width} <= 0x10000, got ${port}`, `an I/O port is an integer with port + ${width} <= 0x10000 (ports are 0..0xffff).`);
  }
}

function nativePortCall<T>(call: () => T): T {
  const native = addon();
  if (native.arch !== 'x64') {
    throw systemErrorByCode('ENOTSUP', 'ioperm', undefined, `port I/O exists only on x86; this is ${native.arch}.`);
  }
  try {
    return call();
  } catch (e) {
    const err = e as { errno?: number; syscall?: string };
    if (typeof err.errno === 'number') {
      throw systemError(err.errno, err.syscall ?? 'ioperm', undefined, err.errno === 1
        ? 'ioperm needs CAP_SYS_RAWIO: run as root (and not under kernel lockdown).'
        : undefined);
    }
    throw e;
  }
}

/** Read 8 bits from I/O port `port` (kernel `inb`). @throws SystemError `EPERM` (not root), `ENOTSUP` (not x86). */
export function inb(port: number): number {
  checkPort(port, 1);
  return nativePortCall(() => addon().portIn(port, 1));
}
/** Read 16 bits from I/O port `port` (kernel `inw`). Throws as {@link inb}. */
export function inw(port: number): number {
  checkPort(port, 2);
  return nativePortCall(() => addon().portIn(port, 2));
}
/** Read 32 bits from I/O port `port` (kernel `inl`). Throws as {@link inb}. */
export function inl(port: number): number {
  checkPort(port, 4);
  return nativePortCall(() => addon().portIn(port, 4));
}
/** Write 8 bits to I/O port `port` (kernel `outb(value, port)`). Throws as {@link inb}. */
export function outb(value: number, port: number): void {
  checkPort(port, 1);
  const v = checkValue(value, 1);
  nativePortCall(() => addon().portOut(port, 1, v));
}
/** Write 16 bits to I/O port `port` (kernel `outw(value, port)`). Throws as {@link inb}. */
export function outw(value: number, port: number): void {
  checkPort(port, 2);
  const v = checkValue(value, 2);
  nativePortCall(() => addon().portOut(port, 2, v));
}
/** Write 32 bits to I/O port `port` (kernel `outl(value, port)`). Throws as {@link inb}. */
export function outl(value: number, port: number): void {
  checkPort(port, 4);
  const v = checkValue(value, 4);
  nativePortCall(() => addon().portOut(port, 4, v));
}
