/**
 * The recording format that `recordRegion` (lib/observe/record.ts) writes and `replayRegion` (lib/observe/replay.ts) reads: its types, its writer
 * and its parser, in one place.
 *
 * ## File format (JSON lines, version 1; version 2 adds DMA)
 * The first line is the header, every further line one step, in order (step N is on line N + 1):
 * ```
 * {"format":"mmio-recording","version":1,"path":"/dev/uio0","phys":"0xfea00000","size":1048576,"irq":"/dev/uio0","started":"2025-01-01T00:00:00.000Z"}
 * {"op":"read","width":4,"offset":"0x0","value":"0x010000ed","t":0}
 * {"op":"write","width":4,"offset":"0x4","value":"0x12345678","t":2100}
 * {"op":"read","width":4,"offset":"0x20","value":"0x00000001","t":5200,"via":"readl_poll_timeout"}
 * {"op":"timeout","width":4,"offset":"0x20","via":"readl_poll_timeout","t":9800}
 * {"op":"unmask","t":12000}
 * {"op":"wait","count":1,"missed":0,"t":80000}
 * {"op":"wait","error":{"code":"ETIMEDOUT","message":"...","hint":"..."},"t":90000}
 * ```
 * Offsets and values are hex strings (values: two digits per byte; 64-bit values do not fit a JSON number);
 * `t` is nanoseconds since the recording started (monotonic clock); the header's `meta` holds anything the
 * recorder was given (JSON).
 *
 * Version 2 is written when a DMA device is recorded along (`recordRegion(..., { dma })`): the header gains
 * `dma` (`{"doorbells":"all","completions":[]}`: which accesses are sync points), and steps gain config-space
 * accesses, `dma-mask`, `dma-alloc`, `dma-free` and `dma-data` (the bytes that changed in the DMA buffers at a
 * sync point), described in lib/observe/dma-steps.ts. Recordings without DMA are still written as version 1, and
 * both versions are read.
 * @module
 */
import { readFileSync } from 'node:fs';
import { describe } from '../core/checks.js';
import { typeError } from '../core/errors.js';
import type { AccessWidth } from '../core/io-region.js';
import type { TraceEntry } from './trace.js'; // for the documentation's links
import {
  DMA_STEP_OPS,
  formatDmaSettings,
  formatDmaStep,
  parseDmaSettings,
  parseDmaStep,
  type RecordedDmaStep,
  type RecordingDmaSettings,
} from './dma-steps.js';

/** The header's `format` value. */
export const RECORDING_FORMAT = 'mmio-recording';
/** The newest file format version this library writes and reads (2: with DMA; recordings without DMA are written as 1). */
export const RECORDING_VERSION = 2;
/** The versions this library reads. */
export type RecordingVersion = 1 | 2;

/** The first line of a recording: what was recorded, when, and anything the recorder added. */
export interface RecordingHeader {
  /** Always {@link RECORDING_FORMAT}. */
  format: typeof RECORDING_FORMAT;
  /** 1, or 2 when DMA was recorded (`dma` is then present). */
  version: RecordingVersion;
  /** The recorded region's `path` (e.g. `/dev/uio0`, `/dev/mem`, `sim:edu`). */
  path: string;
  /** The recorded region's `phys`. */
  phys: bigint;
  /** The recorded region's `size` in bytes; a replay has the same size (so the same offsets are valid). */
  size: number;
  /** The recorded interrupt source's `path` (when it has one) or `'irq'`; absent when none was recorded. */
  irq?: string;
  /** When the recording started (ISO 8601, wall clock). */
  started: string;
  /** Anything JSON the recorder was given (`options.meta`), e.g. what the run returned. */
  meta?: unknown;
  /** Version 2: a DMA device was recorded along, with these sync points. */
  dma?: RecordingDmaSettings;
}

/** A read or write of the region: one bus access, as {@link TraceEntry} records it. */
export interface RecordedAccess {
  /** `'read'` or `'write'`. */
  op: 'read' | 'write';
  /** Access width in bytes. */
  width: AccessWidth;
  /** Byte offset in the region. */
  offset: number;
  /** The value on the bus: unsigned `number` for widths 1, 2, 4; unsigned `bigint` for 8. */
  value: number | bigint;
  /** Nanoseconds since the recording started. */
  timeNs: number;
  /** The accessor, when not a plain read/write (`'readl_poll_timeout'`, `'memcpy_toio'`, `'ioread32be'`…). */
  via?: string;
}

/** A poll that gave up with `ETIMEDOUT` after the reads recorded before it. */
export interface RecordedTimeout {
  /** `'timeout'`. */
  op: 'timeout';
  /** Width of the polled register. */
  width: AccessWidth;
  /** Offset of the polled register. */
  offset: number;
  /** The poll: `'readl_poll_timeout'`, `'readl_poll_timeout_atomic'`… */
  via: string;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** An interrupt wait and how it ended: an event, or an error (`code`, `message`). */
export interface RecordedWait {
  /** `'wait'`. */
  op: 'wait';
  /** The event's count (absent when the wait failed). */
  count?: number;
  /** The event's missed count (absent when the wait failed). */
  missed?: number;
  /** Why the wait failed: `ETIMEDOUT`, `ABORT_ERR`, `ERR_IRQ_CLOSED`…, with its message and hint. */
  error?: { code?: string; message: string; hint?: string };
  /** Nanoseconds since the recording started (when the wait ended). */
  timeNs: number;
}

/** An `unmask()` or `mask()` of the interrupt line. */
export interface RecordedLineControl {
  /** `'unmask'` or `'mask'`. */
  op: 'unmask' | 'mask';
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** One step of a recording. */
export type RecordedStep = RecordedAccess | RecordedTimeout | RecordedWait | RecordedLineControl | RecordedDmaStep;

/** A whole recording: the header and the steps in order (step N is `steps[N - 1]`). */
export interface Recording {
  /** The header line. */
  header: RecordingHeader;
  /** The steps. */
  steps: RecordedStep[];
}

const hexValue = (value: number | bigint, width: number): string => `0x${value.toString(16).padStart(width * 2, '0')}`;

/** One step as its JSON line (without the newline). */
export function formatStep(step: RecordedStep): string {
  switch (step.op) {
    case 'read':
    case 'write': {
      const line: Record<string, unknown> = {
        op: step.op,
        width: step.width,
        offset: `0x${step.offset.toString(16)}`,
        value: hexValue(step.value, step.width),
        t: step.timeNs,
      };
      if (step.via !== undefined) line.via = step.via;
      return JSON.stringify(line);
    }
    case 'timeout':
      return JSON.stringify({ op: 'timeout', width: step.width, offset: `0x${step.offset.toString(16)}`, via: step.via, t: step.timeNs });
    case 'wait':
      return step.error !== undefined
        ? JSON.stringify({ op: 'wait', error: step.error, t: step.timeNs })
        : JSON.stringify({ op: 'wait', count: step.count, missed: step.missed, t: step.timeNs });
    case 'unmask':
    case 'mask':
      return JSON.stringify({ op: step.op, t: step.timeNs });
    default:
      return formatDmaStep(step);
  }
}

/** The header as its JSON line (without the newline). */
export function formatHeader(header: RecordingHeader): string {
  const line: Record<string, unknown> = {
    format: RECORDING_FORMAT,
    version: header.dma === undefined ? 1 : 2,
    path: header.path,
    phys: `0x${header.phys.toString(16)}`,
    size: header.size,
  };
  if (header.irq !== undefined) line.irq = header.irq;
  line.started = header.started;
  if (header.meta !== undefined) line.meta = header.meta;
  if (header.dma !== undefined) line.dma = formatDmaSettings(header.dma);
  return JSON.stringify(line);
}

/**
 * A whole recording as the text of a trace file (header line, one line per step, each ending in `\n`), e.g. to
 * print a recording made where files do not survive (a VM guest) or to rewrite one with other `meta`.
 */
export function formatRecording(recording: Recording): string {
  return [formatHeader(recording.header), ...recording.steps.map(formatStep)].join('\n') + '\n';
}

// Writing is above; parsing below.

/** The error of a trace file that cannot be read as a recording: `code` `ERR_INVALID_RECORDING`, naming the line. */
export interface InvalidRecordingError extends Error {
  /** `'ERR_INVALID_RECORDING'`. */
  code: 'ERR_INVALID_RECORDING';
  /** 1-based line number. */
  line: number;
  /** One line saying what to do. */
  hint: string;
}

function invalid(source: string, line: number, message: string): InvalidRecordingError {
  const err = new Error(`${source}:${line}: ${message}`) as InvalidRecordingError;
  err.code = 'ERR_INVALID_RECORDING';
  err.line = line;
  err.hint = `line ${line} is not what recordRegion writes (one JSON object per line, a header first): record it again, or mend that line.`;
  return err;
}

// Parsing.

const OPS = new Set(['read', 'write', 'timeout', 'wait', 'unmask', 'mask', ...DMA_STEP_OPS]);

function parseHex(raw: unknown, what: string, source: string, line: number): bigint {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return BigInt(raw);
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]+$/.test(raw)) {
    throw invalid(source, line, `${what} must be a hex string such as "0x1f", got ${JSON.stringify(raw)}`);
  }
  return BigInt(raw);
}

function parseWidth(raw: unknown, source: string, line: number): AccessWidth {
  if (raw !== 1 && raw !== 2 && raw !== 4 && raw !== 8) throw invalid(source, line, `width must be 1, 2, 4 or 8, got ${JSON.stringify(raw)}`);
  return raw;
}

function parseStep(obj: Record<string, unknown>, source: string, line: number, version: RecordingVersion): RecordedStep {
  const op = obj.op;
  if (typeof op !== 'string' || !OPS.has(op)) {
    throw invalid(source, line, `op must be one of ${[...OPS].join(', ')}, got ${JSON.stringify(op)}`);
  }
  const timeNs = typeof obj.t === 'number' && Number.isFinite(obj.t) ? obj.t : 0;
  if (DMA_STEP_OPS.includes(op)) {
    if (version < 2) throw invalid(source, line, `a ${op} step needs a version-2 recording (with the header's dma)`);
    return parseDmaStep(obj, timeNs, (message) => invalid(source, line, message));
  }
  if (op === 'read' || op === 'write' || op === 'timeout') {
    const width = parseWidth(obj.width, source, line);
    const offset = Number(parseHex(obj.offset, 'offset', source, line));
    if (!Number.isSafeInteger(offset) || offset % width !== 0) throw invalid(source, line, `offset ${String(obj.offset)} is not aligned to width ${width}`);
    if (op === 'timeout') {
      if (typeof obj.via !== 'string') throw invalid(source, line, 'a timeout step needs via (the poll that gave up)');
      return { op, width, offset, via: obj.via, timeNs };
    }
    const big = parseHex(obj.value, 'value', source, line);
    if (big >= 1n << BigInt(width * 8)) throw invalid(source, line, `value ${String(obj.value)} does not fit ${width * 8} bits`);
    const step: RecordedAccess = { op, width, offset, value: width === 8 ? big : Number(big), timeNs };
    if (obj.via !== undefined) {
      if (typeof obj.via !== 'string') throw invalid(source, line, 'via must be a string');
      step.via = obj.via;
    }
    return step;
  }
  if (op === 'wait') {
    if (obj.error !== undefined) {
      const error = obj.error as { code?: unknown; message?: unknown; hint?: unknown };
      if (error === null || typeof error !== 'object' || typeof error.message !== 'string') {
        throw invalid(source, line, 'a failed wait needs error { code, message }');
      }
      const recorded: RecordedWait = { op, error: { message: error.message }, timeNs };
      if (typeof error.code === 'string') recorded.error!.code = error.code;
      if (typeof error.hint === 'string') recorded.error!.hint = error.hint;
      return recorded;
    }
    if (!Number.isInteger(obj.count) || !Number.isInteger(obj.missed)) throw invalid(source, line, 'a wait needs integer count and missed (or error)');
    return { op, count: obj.count as number, missed: obj.missed as number, timeNs };
  }
  return { op: op as 'unmask' | 'mask', timeNs };
}

function parseHeader(obj: Record<string, unknown>, source: string): RecordingHeader {
  if (obj.format !== RECORDING_FORMAT) throw invalid(source, 1, `not an mmio recording: the first line must have "format": "${RECORDING_FORMAT}"`);
  if (obj.version !== 1 && obj.version !== 2) throw invalid(source, 1, `recording version ${String(obj.version)} is not supported (this library reads versions 1 and 2)`);
  if (obj.version === 2 && obj.dma === undefined) throw invalid(source, 1, 'a version-2 header needs dma { doorbells, completions }');
  if (typeof obj.path !== 'string') throw invalid(source, 1, 'the header needs path (a string)');
  if (!Number.isSafeInteger(obj.size) || (obj.size as number) <= 0) throw invalid(source, 1, 'the header needs size (a positive integer)');
  const header: RecordingHeader = {
    format: RECORDING_FORMAT,
    version: obj.version,
    path: obj.path,
    phys: parseHex(obj.phys ?? '0x0', 'phys', source, 1),
    size: obj.size as number,
    started: typeof obj.started === 'string' ? obj.started : '',
  };
  if (typeof obj.irq === 'string') header.irq = obj.irq;
  if (obj.meta !== undefined) header.meta = obj.meta;
  if (obj.version === 2) header.dma = parseDmaSettings(obj.dma, (message) => invalid(source, 1, message));
  return header;
}

/**
 * Parse the text of a trace file.
 * @param text the JSON lines (blank lines are ignored)
 * @param source a name for messages (the file name)
 * @throws Error `ERR_INVALID_RECORDING` naming the line for anything that is not a valid version-1 or -2 recording.
 */
export function parseRecording(text: string, source = '<recording>'): Recording {
  if (typeof text !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `text must be a string, got ${describe(text)}`, 'pass the recording file\'s text as a string (e.g. from readFileSync(file, \'utf8\')).');
  const lines = text.split('\n');
  let header: RecordingHeader | undefined;
  const steps: RecordedStep[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (error) {
      throw invalid(source, line, `not JSON (${(error as Error).message})`);
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw invalid(source, line, 'each line must be a JSON object');
    if (header === undefined) {
      if (line !== 1) throw invalid(source, line, 'the header must be the first line');
      header = parseHeader(obj as Record<string, unknown>, source);
    } else {
      if (line !== steps.length + 2) throw invalid(source, line, 'blank lines may only come at the end (step N is on line N + 1)');
      steps.push(parseStep(obj as Record<string, unknown>, source, line, header.version));
    }
  });
  if (header === undefined) throw invalid(source, 1, 'empty: no header line');
  return { header, steps };
}

/**
 * Read and parse a trace file.
 * @throws the file system's error (`ENOENT`, `EACCES`…); Error `ERR_INVALID_RECORDING` naming the line.
 */
export function readRecording(file: string): Recording {
  if (typeof file !== 'string') throw typeError('ERR_INVALID_ARG_TYPE', `file must be a path string, got ${describe(file)}`, 'file is the path of a recording, a string.');
  return parseRecording(readFileSync(file, 'utf8'), file);
}

