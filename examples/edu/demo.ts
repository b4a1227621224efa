/**
 * The edu demo, independent of the backend: run the example driver on any edu BAR0 region and interrupt
 * source, recording the accesses, and print the results and the trace.
 * @module
 */
import { formatTrace, traceRegion, type InterruptSource, type IoRegion, type TraceEntry } from '../../lib/index.js';
import {
  EDU_REG_FACTORIAL,
  EDU_REG_ID,
  EDU_REG_IRQ_ACK,
  EDU_REG_IRQ_RAISE,
  EDU_REG_IRQ_STATUS,
  EDU_REG_LIVENESS,
  EDU_REG_STATUS,
  eduCheckLiveness,
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
};

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
  /** Every device access the driver made, in order. */
  trace: TraceEntry[];
}

/**
 * Run the driver on an edu: identify, liveness check, 10! by polling, one interrupt round trip. The caller owns
 * `regs` and `irq` (maps and closes them). Works on any backend.
 * @throws (rejects) whatever the driver throws: EduError `ENODEV`/`EIO`, `ETIMEDOUT`, the backend's errors.
 */
export async function runEduDemo(regs: IoRegion, irq: InterruptSource): Promise<EduDemoResult> {
  const traced = traceRegion(regs);
  const identity = eduIdentify(traced);
  const liveness = eduCheckLiveness(traced, DEMO_LIVENESS_PATTERN);
  const factorial = await eduFactorial(traced, DEMO_FACTORIAL_N);
  const irqResult = await eduInterruptRoundTrip(traced, irq);
  return { path: regs.path, identity, liveness, factorial, irq: irqResult, trace: traced.trace };
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
    '',
    `access trace (${result.trace.length} accesses):`,
    formatTrace(result.trace, { names: EDU_REGISTER_NAMES }),
  ].join('\n');
}
