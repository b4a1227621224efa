/**
 * The DMA half of `replayRegion` (lib/observe/replay.ts): a {@link DmaDevice} and {@link PciConfigSpace} with no
 * device behind it, answering from a version-2 recording (lib/observe/dma-steps.ts).
 *
 * - `dma_set_mask`, `dma_alloc_coherent`, `dma_free_coherent` and config-space accesses must come where they
 *   were recorded, with the recorded mask, size, offsets and written values; an allocation returns a zeroed
 *   buffer at the recorded `dma_handle` (so the driver writes the same bus addresses to the device).
 * - At a doorbell (a register write the recording synced at, before it reaches the replay) the bytes in the
 *   driver's live buffers must be what the recorded driver had there: the first difference is
 *   `ERR_REPLAY_DIVERGED` naming the buffer, the byte, the two values and the write about to be made.
 * - At a completion (a poll that succeeded, an interrupt wait, a read of a recorded completion register) the
 *   bytes the device wrote are written into the driver's buffers, so the driver reads what the device gave it.
 *   Bytes the driver itself changed since the previous sync point must be among the recorded changes, with the
 *   same values (else `ERR_REPLAY_DIVERGED`); a recorded change the driver did not make is written in, since
 *   the recording cannot tell the driver's bytes from the device's there.
 * @module
 */
import { checkDmaMask, checkDmaSize, DMA_BIT_MASK, type DmaCoherent, type DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import type { DmaSyncPoint, RecordedConfigAccess, RecordedDmaAlloc, RecordedDmaData, RecordingDmaSettings } from './dma-steps.js';
import { asBuffer } from './byte-view.js';
import type { RecordedStep } from './recording-format.js';

/** What {@link ReplayDma} needs of the replay's position in the recording (replay.ts's Cursor). */
export interface DmaReplayCursor {
  /** The next step, not consumed. */
  peek(): RecordedStep | undefined;
  /** Consume the next step if `matches` accepts it, else diverge (throws) saying what the driver did. */
  take(actual: { op: string; width?: number; offset?: number; value?: number | bigint; size?: number; mask?: bigint; buf?: number }, matches: (step: RecordedStep) => boolean): RecordedStep;
  /** Consume the next step unchecked. */
  skip(): void;
  /** Diverge (throws) with `detail` as the message's end; `expected` is the next recorded step. */
  fail(detail: string): never;
}

interface LiveBuffer {
  buf: number;
  shadow: Uint8Array;
  cpu: Uint8Array;
  dma_handle: bigint;
}

const hex = (v: number | bigint, digits = 0): string => `0x${v.toString(16).padStart(digits, '0')}`;

/** The replay's DMA device (the replay region's `dma`). */
export class ReplayDma implements DmaDevice, PciConfigSpace {
  #mask = DMA_BIT_MASK(32);
  readonly #live = new Map<DmaCoherent, LiveBuffer>();
  readonly #byNumber = new Map<number, LiveBuffer>();
  readonly #doorbells: ReadonlySet<number> | 'all' | undefined;
  readonly #completions: ReadonlySet<number> | 'all' | undefined;

  /**
   * Made by the replay region; use its `dma`.
   * @internal
   * @param settings the recording's sync points; `undefined` for a version-1 recording (no DMA: no sync points)
   */
  constructor(
    private readonly cursor: DmaReplayCursor,
    settings: RecordingDmaSettings | undefined,
  ) {
    this.#doorbells = settings === undefined ? undefined : settings.doorbells === 'all' ? 'all' : new Set(settings.doorbells);
    this.#completions = settings === undefined ? undefined : settings.completions === 'all' ? 'all' : new Set(settings.completions);
  }

  /** The mask set last (default `DMA_BIT_MASK(32)`). */
  get dmaMask(): bigint {
    return this.#mask;
  }

  /** A recorded `dma_set_mask`. @throws RangeError/TypeError for a bad mask; `ERR_REPLAY_DIVERGED`. */
  setDmaMask(mask: bigint): void {
    checkDmaMask(mask);
    this.cursor.take({ op: 'dma-mask', mask }, (s) => s.op === 'dma-mask' && s.mask === mask);
    this.#mask = mask;
  }

  /** A recorded `dma_alloc_coherent`: zeroed memory at the recorded bus address. @throws `ERR_REPLAY_DIVERGED`. */
  allocCoherent(size: number): DmaCoherent {
    checkDmaSize(size);
    const step = this.cursor.take({ op: 'dma-alloc', size }, (s) => s.op === 'dma-alloc' && s.size === size) as RecordedDmaAlloc;
    const entry: LiveBuffer = { buf: step.buf, shadow: new Uint8Array(size), cpu: new Uint8Array(size), dma_handle: step.dma_handle };
    const buffer: DmaCoherent = {
      get cpu() {
        return entry.cpu;
      },
      dma_handle: step.dma_handle,
      size,
    };
    this.#live.set(buffer, entry);
    this.#byNumber.set(step.buf, entry);
    return buffer;
  }

  /** A recorded `dma_free_coherent`; `buffer.cpu` becomes length 0. A second free does nothing. @throws `ERR_REPLAY_DIVERGED`. */
  freeCoherent(buffer: DmaCoherent): void {
    const entry = this.#live.get(buffer);
    if (entry === undefined) return;
    this.cursor.take({ op: 'dma-free', buf: entry.buf }, (s) => s.op === 'dma-free' && s.buf === entry.buf);
    this.#live.delete(buffer);
    this.#byNumber.delete(entry.buf);
    entry.cpu = new Uint8Array(0);
  }

  /** A recorded config-space read: the recorded value. @throws `ERR_REPLAY_DIVERGED`. */
  readConfig(where: number, width: 1 | 2 | 4): number {
    const step = this.cursor.take({ op: 'config-read', width, offset: where }, (s) => s.op === 'config-read' && s.width === width && s.offset === where);
    return (step as RecordedConfigAccess).value;
  }

  /** A recorded config-space write, with the recorded value. @throws `ERR_REPLAY_DIVERGED`. */
  writeConfig(where: number, width: 1 | 2 | 4, value: number): void {
    const v = width === 4 ? value >>> 0 : value & ((1 << (width * 8)) - 1);
    this.cursor.take({ op: 'config-write', width, offset: where, value: v }, (s) => s.op === 'config-write' && s.width === width && s.offset === where && s.value === v);
  }

  /** Before a register write at `offset`: if it is a doorbell, check the driver's data. */
  beforeWrite(offset: number): void {
    if (this.#doorbells === undefined || (this.#doorbells !== 'all' && !this.#doorbells.has(offset))) return;
    this.#sync('doorbell');
  }

  /** After a register read at `offset`: if it is a completion, write the device's data. */
  afterRead(offset: number): void {
    if (this.#completions === undefined || (this.#completions !== 'all' && !this.#completions.has(offset))) return;
    this.#sync('completion');
  }

  /** A completion (a poll that succeeded, an interrupt wait): the device's recorded data goes into the buffers. */
  completion(): void {
    if (this.#doorbells !== undefined) this.#sync('completion');
  }

  /**
   * A sync point: take the `dma-data` steps at `at` that come next; at a doorbell the driver's buffers must hold
   * exactly what the recording has; at a completion the bytes the driver changed must be recorded changes, and
   * every recorded change is then written in.
   */
  #sync(at: DmaSyncPoint): void {
    const expected = new Map<LiveBuffer, Uint8Array>();
    for (let step = this.cursor.peek(); step?.op === 'dma-data' && step.at === at; step = this.cursor.peek()) {
      for (const change of (step as RecordedDmaData).changes) {
        const entry = this.#byNumber.get(change.buf);
        if (entry === undefined || change.offset + change.bytes.length > entry.shadow.length) {
          this.cursor.fail(`the recording changes bytes +${hex(change.offset)}..+${hex(change.offset + change.bytes.length)} of DMA buffer ${change.buf}, which is not allocated or not that large here`);
        }
        let next = expected.get(entry);
        if (next === undefined) expected.set(entry, (next = entry.shadow.slice()));
        next.set(change.bytes, change.offset);
      }
      this.cursor.skip();
    }
    for (const entry of this.#live.values()) {
      const want = expected.get(entry) ?? entry.shadow;
      if (at === 'doorbell') {
        if (!asBuffer(entry.cpu).equals(asBuffer(want))) this.#differs(entry, want, (i) => entry.cpu[i] !== want[i], 'before ' + this.#describeNext());
      } else if (!asBuffer(entry.cpu).equals(asBuffer(entry.shadow))) {
        this.#differs(entry, want, (i) => entry.cpu[i] !== entry.shadow[i] && entry.cpu[i] !== want[i], 'at a completion (the bytes the driver wrote since the last sync point)');
      }
      if (want !== entry.shadow) {
        entry.shadow.set(want);
        if (at === 'completion') entry.cpu.set(want);
      }
    }
  }

  /** Diverge at the first byte where `bad` holds, if there is one. */
  #differs(entry: LiveBuffer, want: Uint8Array, bad: (i: number) => boolean, where: string): void {
    let first = -1;
    let count = 0;
    for (let i = 0; i < entry.cpu.length; i++) {
      if (!bad(i)) continue;
      if (first < 0) first = i;
      count++;
    }
    if (first < 0) return;
    this.cursor.fail(
      `the driver's DMA data differs ${where}: buffer ${entry.buf} (dma_handle ${hex(entry.dma_handle)}, ${entry.cpu.length} bytes) ` +
        `at +${hex(first)} holds ${hex(entry.cpu[first], 2)}, the recording has ${hex(want[first], 2)} (${count} byte${count === 1 ? '' : 's'} differ)`,
    );
  }

  #describeNext(): string {
    const next = this.cursor.peek();
    return next !== undefined && next.op === 'write' ? `the write ${`W${next.width * 8} +${hex(next.offset, 3)}`}` : 'a doorbell write';
  }
}
