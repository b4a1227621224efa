/**
 * The DMA half of `recordRegion` (lib/observe/record.ts): a stand-in for the driver's {@link DmaDevice} that records
 * its `dma_set_mask`, `dma_alloc_coherent`, `dma_free_coherent` (so `dma_map_single`, which uses them) and its
 * config-space accesses (`pci_set_master` is two of them), and keeps a shadow copy of each live buffer so that at a
 * sync point only the bytes that changed since the previous one are recorded (the steps: lib/observe/dma-steps.ts).
 *
 * Sync points: before each doorbell write (the driver's data, which the device is about to read), and after each
 * completion: a `*_poll_timeout*` that succeeded, an interrupt wait, a read of a completion register (the device's
 * data, which the driver is about to read). By default every register write is a doorbell and every register read
 * a completion. Who wrote a byte cannot be seen from user space; a byte is attributed to the side the sync point
 * stands for, so the device's writes must be seen at a completion before the next doorbell (with `completions`
 * narrowed, keep the status register the driver polls among them).
 * @module
 */
import type { DmaCoherent, DmaDevice } from '../core/dma.js';
import type { PciConfigSpace } from '../core/pci-config.js';
import type { DmaChange, DmaSyncPoint, RecordedDmaStep, RecordingDmaSettings } from './dma-steps.js';
import { asBuffer } from './byte-view.js';

/** Unchanged bytes up to which two changed runs are recorded as one (a new run costs about as much in JSON). */
const MERGE_GAP = 8;

/** A step without its time (the recorder stamps it). */
export type UntimedDmaStep = RecordedDmaStep extends infer S ? (S extends { timeNs: number } ? Omit<S, 'timeNs'> : never) : never;


/** Append the runs where `cur` differs from `shadow` to `out`, and bring `shadow` up to date. */
export function diffInto(buf: number, cur: Uint8Array, shadow: Uint8Array, out: DmaChange[]): void {
  if (asBuffer(cur).equals(asBuffer(shadow))) return;
  diffRuns(buf, cur, shadow, out);
}

/** {@link diffInto} once the two are known to differ. */
function diffRuns(buf: number, cur: Uint8Array, shadow: Uint8Array, out: DmaChange[]): void {
  const n = cur.length;
  let i = 0;
  while (i < n) {
    while (i < n && cur[i] === shadow[i]) i++;
    if (i >= n) break;
    const start = i;
    let end = i + 1;
    for (i = end; i < n && i - end < MERGE_GAP; i++) if (cur[i] !== shadow[i]) end = i + 1;
    const bytes = cur.slice(start, end);
    shadow.set(bytes, start);
    out.push({ buf, offset: start, bytes });
    i = end;
  }
}

/** The DMA buffers of one recording, their shadows, and the device stand-in the driver is given. */
export class DmaRecorder {
  /** The stand-in: the device's own object, its DMA and config calls recorded. */
  readonly device: DmaDevice;
  /** Each live buffer's number and shadow, with Buffer views of both made once (a sync is a memcmp of the two). */
  readonly #live = new Map<DmaCoherent, { buf: number; shadow: Uint8Array; shadowView: Buffer; cpu: Uint8Array; cpuView: Buffer }>();
  readonly #doorbells: ReadonlySet<number> | undefined;
  readonly #completions: ReadonlySet<number> | undefined;
  #next = 1;

  /**
   * @param inner the driver's device (VFIO, physdma, the simulated edu)
   * @param settings the sync points (they go into the header, so a replay syncs at the same places)
   * @param emit appends a step to the recording
   */
  constructor(
    inner: DmaDevice,
    readonly settings: RecordingDmaSettings,
    private readonly emit: (step: UntimedDmaStep) => void,
  ) {
    this.#doorbells = settings.doorbells === 'all' ? undefined : new Set(settings.doorbells);
    this.#completions = settings.completions === 'all' ? undefined : new Set(settings.completions);
    const config = inner as Partial<PciConfigSpace>;
    const own: Record<PropertyKey, unknown> = {
      setDmaMask: (mask: bigint): void => {
        inner.setDmaMask(mask);
        emit({ op: 'dma-mask', mask });
      },
      allocCoherent: (size: number): DmaCoherent => {
        const buffer = inner.allocCoherent(size);
        const buf = this.#next++;
        const shadow = new Uint8Array(buffer.cpu.length);
        this.#live.set(buffer, { buf, shadow, shadowView: asBuffer(shadow), cpu: buffer.cpu, cpuView: asBuffer(buffer.cpu) });
        emit({ op: 'dma-alloc', buf, size: buffer.size, dma_handle: buffer.dma_handle });
        // Zeroed at allocation, as the shadow; anything else is recorded at the first sync point.
        return buffer;
      },
      freeCoherent: (buffer: DmaCoherent): void => {
        const entry = this.#live.get(buffer);
        inner.freeCoherent(buffer);
        if (entry === undefined) return; // a second free does nothing, and records nothing
        this.#live.delete(buffer);
        emit({ op: 'dma-free', buf: entry.buf });
      },
    };
    if (typeof config.readConfig === 'function' && typeof config.writeConfig === 'function') {
      own.readConfig = (where: number, width: 1 | 2 | 4): number => {
        const value = config.readConfig!.call(inner, where, width);
        emit({ op: 'config-read', width, offset: where, value });
        return value;
      };
      own.writeConfig = (where: number, width: 1 | 2 | 4, value: number): void => {
        config.writeConfig!.call(inner, where, width, value);
        emit({ op: 'config-write', width, offset: where, value: width === 4 ? value >>> 0 : value & ((1 << (width * 8)) - 1) });
      };
    }
    this.device = new Proxy(inner as object, {
      get(target, prop) {
        if (Object.prototype.hasOwnProperty.call(own, prop)) return own[prop];
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as DmaDevice;
  }

  /** Whether a write at `offset` is a doorbell. */
  isDoorbell(offset: number): boolean {
    return this.#doorbells === undefined || this.#doorbells.has(offset);
  }

  /** Whether a read at `offset` is a completion. */
  isCompletion(offset: number): boolean {
    return this.#completions === undefined || this.#completions.has(offset);
  }

  /** A sync point: record what changed in the live buffers since the last one (nothing when nothing did). */
  sync(at: DmaSyncPoint): void {
    if (this.#live.size === 0) return;
    const changes: DmaChange[] = [];
    for (const [buffer, entry] of this.#live) {
      if (buffer.cpu !== entry.cpu || entry.cpu.length !== entry.shadow.length) continue; // freed behind our back (close)
      if (!entry.cpuView.equals(entry.shadowView)) diffRuns(entry.buf, entry.cpu, entry.shadow, changes);
    }
    if (changes.length > 0) this.emit({ op: 'dma-data', at, changes });
  }
}
