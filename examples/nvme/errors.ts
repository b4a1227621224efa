/**
 * The driver's errors other than a command's status ({@link NvmeStatusError} in status.ts), in the shape of the
 * library's (lib/core/errors.ts): a `code`, and for system-like failures `errno`, `syscall`, `path` and a one-line
 * `hint`. Argument errors are TypeError/RangeError with Node's codes (`ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`,
 * `ERR_INVALID_ARG_VALUE`).
 * @module
 */
import { constants } from 'node:os';

/** An error with a `code` (argument errors and the driver's own) and a `hint`: one line saying what to do about it. */
export interface NvmeError extends Error {
  code: string;
  hint: string;
}

/** A command or a controller state change that did not finish in time: `code` `ETIMEDOUT`, errno -110. */
export interface NvmeTimeoutError extends NvmeError {
  code: 'ETIMEDOUT';
  errno: number;
  syscall: string;
  path: string;
  hint: string;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'bigint') return `bigint ${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  if (typeof value === 'string') return `string '${value.length > 40 ? `${value.slice(0, 40)}...` : value}'`;
  if (typeof value === 'object') return `an instance of ${(value as object).constructor?.name ?? 'Object'}`;
  return `type ${typeof value}`;
}

/** A TypeError with `code` `ERR_INVALID_ARG_TYPE` naming what was given, and the hint "pass <expected> as <what>". */
export function argTypeError(what: string, expected: string, got: unknown): NvmeError {
  const err = new TypeError(`${what} must be ${expected}, got ${describe(got)}`) as TypeError & NvmeError;
  err.code = 'ERR_INVALID_ARG_TYPE';
  err.hint = `pass ${expected} as ${what}`;
  return err;
}

/** A RangeError with `code` (`ERR_OUT_OF_RANGE` or `ERR_INVALID_ARG_VALUE`) and a hint: what a valid value looks like. */
export function argRangeError(code: 'ERR_OUT_OF_RANGE' | 'ERR_INVALID_ARG_VALUE', message: string, hint: string): NvmeError {
  const err = new RangeError(message) as RangeError & NvmeError;
  err.code = code;
  err.hint = hint;
  return err;
}

/** An error with a driver code (`ERR_NVME_*`) and a hint (also at the end of the message, in parentheses). */
export function nvmeError(code: string, message: string, hint: string): NvmeError {
  const err = new Error(`${message} (${hint})`) as NvmeError;
  err.code = code;
  err.hint = hint;
  return err;
}

/**
 * The ETIMEDOUT error of a command or of a wait for CSTS, shaped as the library's poll timeouts
 * (`ETIMEDOUT: connection timed out, <syscall> '<path>' (<hint>)`).
 * @param syscall what timed out, e.g. `'nvme Read'`, `'nvme CSTS.RDY=1'`
 * @param path the device, e.g. the BAR's path
 */
export function nvmeTimeoutError(syscall: string, path: string, hint: string): NvmeTimeoutError {
  const err = new Error(`ETIMEDOUT: connection timed out, ${syscall} '${path}' (${hint})`) as NvmeTimeoutError;
  err.code = 'ETIMEDOUT';
  err.errno = -constants.errno.ETIMEDOUT;
  err.syscall = syscall;
  err.path = path;
  err.hint = hint;
  return err;
}

/** `ERR_NVME_CONTROLLER_FATAL`: CSTS.CFS is set (or CSTS reads all ones: the device is gone). */
export function controllerFatalError(path: string, csts: number): NvmeError {
  const gone = csts === 0xffff_ffff;
  return nvmeError(
    'ERR_NVME_CONTROLLER_FATAL',
    gone
      ? `NVMe controller ${path} does not answer: CSTS reads 0xffffffff`
      : `NVMe controller ${path} reports Controller Fatal Status (CSTS 0x${csts.toString(16)}, CFS = 1)`,
    gone
      ? 'the device was removed, reset or lost its BAR; close() and open it again'
      : 'the controller hit an error it could not report in a completion; close() and open it again (a reset clears CFS)',
  );
}

/** `ERR_NVME_CLOSED`: the controller or queue pair was closed. */
export function closedError(what: string): NvmeError {
  return nvmeError('ERR_NVME_CLOSED', `${what} is closed`, 'open the controller again with NvmeController.open()');
}
