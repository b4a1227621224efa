/**
 * The edu demo, independent of the backend: run the example driver on any edu BAR0 region and interrupt
 * source, recording the accesses, and print the results and the trace.
 * @module
 */
import { formatTrace, traceRegion, type DmaDevice, type InterruptSource, type IoRegion, type PciConfigSpace, type TraceEntry } from '../../lib/index.js';
import {
  EDU_REG_FACTORIAL,
  EDU_REG_ID,
  EDU_REG_IRQ_ACK,
  EDU_REG_IRQ_RAISE,
  EDU_REG_IRQ_STATUS,
  EDU_REG_LIVENESS,
  EDU_REG_STATUS,
  EDU_REG_DMA_CMD,
  EDU_REG_DMA_COUNT,
  EDU_REG_DMA_DST,
  EDU_REG_DMA_SRC,
  eduCheckLiveness,
  eduDmaRoundTrip,
  type EduDmaResult,
  eduFactorial,
  eduIdentify,
  eduInterruptRoundTrip,
  type EduIdentity,
  type EduIrqResult,
} from './driver.js';

/** Register names by offset, for {@link formatTrace}. */
export const EDU_REGISTER_NAMES: Readonly<Record<number, string>> = {
  [EDU_REG_ID]: 'EDU_REG_ID',
  [EDU_REG_LIVENESS]: 'EDU_REG_LIVENESS',
  [EDU_REG_FACTORIAL]: 'EDU_REG_FACTORIAL',
  [EDU_REG_STATUS]: 'EDU_REG_STATUS',
  [EDU_REG_IRQ_STATUS]: 'EDU_REG_IRQ_STATUS',
  [EDU_REG_IRQ_RAISE]: 'EDU_REG_IRQ_RAISE',
  [EDU_REG_IRQ_ACK]: 'EDU_REG_IRQ_ACK',
  [EDU_REG_DMA_SRC]: 'EDU_REG_DMA_SRC',
  [EDU_REG_DMA_DST]: 'EDU_REG_DMA_DST',
  [EDU_REG_DMA_COUNT]: 'EDU_REG_DMA_COUNT',
  [EDU_REG_DMA_CMD]: 'EDU_REG_DMA_CMD',
};

/** The bytes the demo's DMA round trip moves: {@link DEMO_DMA_SIZE} bytes of a fixed pattern. */
export const DEMO_DMA_SIZE = 4000;
export function demoDmaPattern(): Uint8Array {
  return Uint8Array.from({ length: DEMO_DMA_SIZE }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

/** The liveness pattern the demo writes. */
export const DEMO_LIVENESS_PATTERN = 0x1234_5678;
/** The n whose factorial the demo computes. */
export const DEMO_FACTORIAL_N = 10;

/** What {@link runEduDemo} did. */
export interface EduDemoResult {
  /** The region's `path` (e.g. `sim:edu`, `/dev/mem`). */
  path: string;
  /** Identification and version. */
  identity: EduIdentity;
  /** The liveness read-back (the NOT of {@link DEMO_LIVENESS_PATTERN}). */
  liveness: number;
  /** {@link DEMO_FACTORIAL_N}! as computed by the device, by polling. */
  factorial: number;
  /** The interrupt round trip. */
  irq: EduIrqResult;
  /** The DMA round trip, when the backend gave a DMA-capable device. */
  dma?: EduDmaResult;
  /** Every device access the driver made, in order. */
  trace: TraceEntry[];
}

/**
 * Run the driver on an edu: identify, liveness check, 10! by polling, one interrupt round trip, and with `dev`
 * (a DMA-capable device: VFIO or the simulated edu) a DMA round trip of {@link DEMO_DMA_SIZE} bytes. The caller
 * owns `regs`, `irq` and `dev` (maps and closes them). Works on any backend.
 * @throws (rejects) whatever the driver throws: EduError `ENODEV`/`EIO`, `ETIMEDOUT`, the backend's errors.
 */
export async function runEduDemo(regs: IoRegion, irq: InterruptSource, dev?: DmaDevice & PciConfigSpace): Promise<EduDemoResult> {
  const traced = traceRegion(regs);
  const identity = eduIdentify(traced);
  const liveness = eduCheckLiveness(traced, DEMO_LIVENESS_PATTERN);
  const factorial = await eduFactorial(traced, DEMO_FACTORIAL_N);
  const irqResult = await eduInterruptRoundTrip(traced, irq);
  const dma = dev === undefined ? undefined : await eduDmaRoundTrip(traced, dev, demoDmaPattern());
  return { path: regs.path, identity, liveness, factorial, irq: irqResult, ...(dma && { dma }), trace: traced.trace };
}

const hex32 = (v: number): string => `0x${v.toString(16).padStart(8, '0')}`;

/** A printable report of a demo run: what the driver did, then the access trace (with register names). */
export function formatEduDemo(result: EduDemoResult): string {
  const { identity, irq } = result;
  return [
    `edu at ${result.path}`,
    `  identify:  id ${hex32(identity.id)}, version ${identity.major}.${identity.minor}`,
    `  liveness:  wrote ${hex32(DEMO_LIVENESS_PATTERN)}, read back ${hex32(result.liveness)}`,
    `  factorial: ${DEMO_FACTORIAL_N}! = ${result.factorial}`,
    `  interrupt: count ${irq.event.count}, missed ${irq.event.missed}, status ${hex32(irq.status)} (acknowledged)`,
    ...(result.dma
      ? [`  dma:       ${result.dma.size} bytes RAM -> edu -> RAM via bus addresses 0x${result.dma.handles[0].toString(16)}, 0x${result.dma.handles[1].toString(16)}: ${result.dma.match ? 'match' : 'MISMATCH'}`]
      : []),
    '',
    `access trace (${result.trace.length} accesses):`,
    formatTrace(result.trace, { names: EDU_REGISTER_NAMES }),
  ].join('\n');
}
