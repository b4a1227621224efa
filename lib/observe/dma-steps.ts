/**
 * The DMA and config-space steps of a recording (format version 2; lib/observe/recording-format.ts holds the rest):
 * their types, their JSON lines and their parser. Written by lib/observe/dma-record.ts, replayed by
 * lib/observe/dma-replay.ts.
 *
 * ```
 * {"op":"config-read","width":2,"offset":"0x4","value":"0x0103","t":100}
 * {"op":"config-write","width":2,"offset":"0x4","value":"0x0107","t":200}
 * {"op":"dma-mask","mask":"0xfffffff","t":300}
 * {"op":"dma-alloc","buf":1,"size":4000,"dma":"0x100000","t":400}
 * {"op":"dma-data","at":"doorbell","changes":[{"buf":1,"offset":"0x0","bytes":"00010203"}],"t":500}
 * {"op":"dma-data","at":"completion","changes":[{"buf":2,"offset":"0x10","bytes":"ff"}],"t":900}
 * {"op":"dma-free","buf":1,"t":1000}
 * ```
 * A `dma-data` step holds only the bytes that changed since the previous sync point (runs of hex bytes, nearby runs
 * merged), never whole buffers: at a `doorbell` (before a register write that may start a transfer) they are what
 * the driver put there for the device, at a `completion` (after a poll that succeeded, an interrupt wait, a read
 * of a completion register) what the device wrote (and what the driver wrote since the previous sync point, which
 * cannot be told apart from it). A sync point where nothing changed records no step.
 * @module
 */

/** A read or write of the device's PCI config space (pci_read_config_* / pci_write_config_*). */

export interface RecordedConfigAccess {
  /** `'config-read'` or `'config-write'`. */
  op: 'config-read' | 'config-write';
  /** Width in bytes. */
  width: 1 | 2 | 4;
  /** Byte offset in config space. */
  offset: number;
  /** The value read or written (unsigned). */
  value: number;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** A `dma_set_mask` (or `dma_set_mask_and_coherent`). */
export interface RecordedDmaMask {
  /** `'dma-mask'`. */
  op: 'dma-mask';
  /** The mask set. */
  mask: bigint;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** A `dma_alloc_coherent`: the buffer's number in the recording, its size and bus address. */
export interface RecordedDmaAlloc {
  /** `'dma-alloc'`. */
  op: 'dma-alloc';
  /** The buffer's number: 1 for the first allocated, 2 for the next… (never reused). */
  buf: number;
  /** Size in bytes as asked. */
  size: number;
  /** Its bus address (`dma_handle`), which the replay hands out again so that the driver writes the same registers. */
  dma_handle: bigint;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** A `dma_free_coherent`. */
export interface RecordedDmaFree {
  /** `'dma-free'`. */
  op: 'dma-free';
  /** The buffer's number (see {@link RecordedDmaAlloc.buf}). */
  buf: number;
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** Bytes of one buffer that changed: `bytes.length` bytes from `offset`. */
export interface DmaChange {
  /** The buffer's number. */
  buf: number;
  /** Byte offset in the buffer. */
  offset: number;
  /** The new bytes. */
  bytes: Uint8Array;
}

/** Where a DMA sync point is: before a doorbell write (to-device data), or after a completion (from-device data). */
export type DmaSyncPoint = 'doorbell' | 'completion';

/** What changed in the DMA buffers since the previous sync point. */
export interface RecordedDmaData {
  /** `'dma-data'`. */
  op: 'dma-data';
  /** `doorbell`: the driver's data, checked by a replay; `completion`: the device's data, written by a replay. */
  at: DmaSyncPoint;
  /** The changed runs, by buffer and offset. */
  changes: DmaChange[];
  /** Nanoseconds since the recording started. */
  timeNs: number;
}

/** One of the version-2 steps. */
export type RecordedDmaStep = RecordedConfigAccess | RecordedDmaMask | RecordedDmaAlloc | RecordedDmaFree | RecordedDmaData;

/** The header's `dma` (version 2): which accesses are sync points, so that a replay syncs where the recorder did. */
export interface RecordingDmaSettings {
  /** Register offsets whose writes are doorbells, or `'all'` (every single register write; the default). */
  doorbells: number[] | 'all';
  /**
   * Register offsets whose reads are completions, or `'all'` (every single register read; the default); polls
   * that succeed and interrupt waits are completions anyway.
   */
  completions: number[] | 'all';
}

/** The ops of {@link RecordedDmaStep}. */
export const DMA_STEP_OPS: readonly string[] = ['config-read', 'config-write', 'dma-mask', 'dma-alloc', 'dma-free', 'dma-data'];

const hex = (v: number | bigint): string => `0x${v.toString(16)}`;

/** One DMA or config step as its JSON line (without the newline). */
export function formatDmaStep(step: RecordedDmaStep): string {
  switch (step.op) {
    case 'config-read':
    case 'config-write':
      return JSON.stringify({ op: step.op, width: step.width, offset: hex(step.offset), value: `0x${step.value.toString(16).padStart(step.width * 2, '0')}`, t: step.timeNs });
    case 'dma-mask':
      return JSON.stringify({ op: step.op, mask: hex(step.mask), t: step.timeNs });
    case 'dma-alloc':
      return JSON.stringify({ op: step.op, buf: step.buf, size: step.size, dma: hex(step.dma_handle), t: step.timeNs });
    case 'dma-free':
      return JSON.stringify({ op: step.op, buf: step.buf, t: step.timeNs });
    default:
      return JSON.stringify({
        op: step.op,
        at: step.at,
        changes: step.changes.map((c) => ({ buf: c.buf, offset: hex(c.offset), bytes: Buffer.from(c.bytes.buffer, c.bytes.byteOffset, c.bytes.byteLength).toString('hex') })),
        t: step.timeNs,
      });
  }
}

/** The header's `dma` as JSON. */
export function formatDmaSettings(settings: RecordingDmaSettings): unknown {
  const list = (l: number[] | 'all') => (l === 'all' ? 'all' : l.map(hex));
  return { doorbells: list(settings.doorbells), completions: list(settings.completions) };
}

/** A parse error: the caller turns it into `ERR_INVALID_RECORDING` naming the line. */
type Fail = (message: string) => Error;

function offsetOf(raw: unknown, what: string, fail: Fail): number {
  if (typeof raw === 'number' && Number.isSafeInteger(raw) && raw >= 0) return raw;
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]{1,13}$/.test(raw)) throw fail(`${what} must be a hex string such as "0x1f", got ${JSON.stringify(raw)}`);
  return Number.parseInt(raw.slice(2), 16);
}

function bigOf(raw: unknown, what: string, fail: Fail): bigint {
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]{1,16}$/.test(raw)) throw fail(`${what} must be a hex string of up to 64 bits, got ${JSON.stringify(raw)}`);
  return BigInt(raw);
}

function bufOf(raw: unknown, fail: Fail): number {
  if (!Number.isSafeInteger(raw) || (raw as number) < 1) throw fail(`buf must be a buffer number >= 1, got ${JSON.stringify(raw)}`);
  return raw as number;
}

/** Parse one DMA or config step (its `op` is one of {@link DMA_STEP_OPS}). */
export function parseDmaStep(obj: Record<string, unknown>, timeNs: number, fail: Fail): RecordedDmaStep {
  switch (obj.op) {
    case 'config-read':
    case 'config-write': {
      const width = obj.width;
      if (width !== 1 && width !== 2 && width !== 4) throw fail(`a config access has width 1, 2 or 4, got ${JSON.stringify(width)}`);
      const offset = offsetOf(obj.offset, 'offset', fail);
      if (offset % width !== 0 || offset + width > 4096) throw fail(`config offset ${String(obj.offset)} is not an aligned offset in 4 KiB of config space`);
      const value = bigOf(obj.value, 'value', fail);
      if (value >= 1n << BigInt(width * 8)) throw fail(`value ${String(obj.value)} does not fit ${width * 8} bits`);
      return { op: obj.op, width, offset, value: Number(value), timeNs };
    }
    case 'dma-mask':
      return { op: 'dma-mask', mask: bigOf(obj.mask, 'mask', fail), timeNs };
    case 'dma-alloc':
      if (!Number.isSafeInteger(obj.size) || (obj.size as number) < 1) throw fail(`a dma-alloc needs size (a positive integer), got ${JSON.stringify(obj.size)}`);
      return { op: 'dma-alloc', buf: bufOf(obj.buf, fail), size: obj.size as number, dma_handle: bigOf(obj.dma, 'dma', fail), timeNs };
    case 'dma-free':
      return { op: 'dma-free', buf: bufOf(obj.buf, fail), timeNs };
    default: {
      if (obj.at !== 'doorbell' && obj.at !== 'completion') throw fail(`a dma-data step is at "doorbell" or "completion", got ${JSON.stringify(obj.at)}`);
      if (!Array.isArray(obj.changes)) throw fail('a dma-data step needs changes (an array)');
      const changes = obj.changes.map((raw: unknown): DmaChange => {
        const c = raw as Record<string, unknown> | null;
        if (c === null || typeof c !== 'object') throw fail('each change is { buf, offset, bytes }');
        if (typeof c.bytes !== 'string' || c.bytes.length === 0 || c.bytes.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(c.bytes)) {
          throw fail(`bytes must be a non-empty string of hex digit pairs, got ${JSON.stringify(c.bytes)}`);
        }
        return { buf: bufOf(c.buf, fail), offset: offsetOf(c.offset, 'offset', fail), bytes: new Uint8Array(Buffer.from(c.bytes, 'hex')) };
      });
      return { op: 'dma-data', at: obj.at, changes, timeNs };
    }
  }
}

/** Parse the header's `dma` (version 2). */
export function parseDmaSettings(raw: unknown, fail: Fail): RecordingDmaSettings {
  const obj = raw as Record<string, unknown> | null;
  if (obj === null || typeof obj !== 'object') throw fail('the header\'s dma must be { doorbells, completions }');
  const list = (l: unknown, name: string): number[] | 'all' => {
    if (l === 'all') return 'all';
    if (!Array.isArray(l)) throw fail(`the header's dma.${name} must be "all" or an array of offsets`);
    return l.map((o: unknown) => offsetOf(o, `a ${name} offset`, fail));
  };
  return { doorbells: list(obj.doorbells, 'doorbells'), completions: list(obj.completions, 'completions') };
}
