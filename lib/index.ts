/**
 * mmio: memory-mapped I/O from Linux user space, with the kernel's API.
 * @module
 */
export type { AccessWidth, IoRegion, PollCondition, RepBuffer } from './io-region.js';
export { interruptEvents, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from './interrupts.js';
export type { ArgumentError, PollTimeoutError, SystemError } from './errors.js';
export { ioremap, ioremap_cache, ioremap_np, ioremap_uc, ioremap_wc, iounmap, type IoremapOptions } from './ioremap.js';
export { mapFile, pageSize, type MapFileOptions } from './map-file.js';
export { PLAIN_STORES_VERIFIED } from './native-region.js';
export { mb, rmb, wmb } from './barriers.js';
export { udelay } from './poll.js';
export { openUio, listUioDevices, UioDevice, type UioDeviceInfo, type UioMapInfo, type OpenUioOptions } from './uio.js';
export { UioInterrupts } from './uio-interrupts.js';
export { openPci, listPciDevices, PciDevice, type PciBar, type PciDeviceInfo } from './pci.js';
export { inb, inw, inl, outb, outw, outl } from './port-io.js';
export {
  request_mem_region,
  release_mem_region,
  devm_ioremap_resource,
  claimDirectory,
  type MemRegionClaim,
  type IoResource,
} from './mem-region-claim.js';
export {
  traceRegion,
  formatTrace,
  withoutTime,
  collapseRepeats,
  type TraceEntry,
  type TraceAccess,
  type TracedRegion,
  type TraceOp,
  type FormatTraceOptions,
} from './trace.js';
export * from './sim/index.js';
export { BIT, BIT_ULL, GENMASK, GENMASK_ULL, FIELD_GET, FIELD_PREP, FIELD_FIT, FIELD_MAX } from './bits.js';
export * from './regmap/index.js';
export {
  recordRegion,
  formatRecording,
  formatHeader,
  formatStep,
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type RecordOptions,
  type RecordingRegion,
  type Recording,
  type RecordingHeader,
  type RecordedStep,
  type RecordedAccess,
  type RecordedTimeout,
  type RecordedWait,
  type RecordedLineControl,
} from './record.js';
export {
  replayRegion,
  readRecording,
  parseRecording,
  describeStep,
  ReplayRegion,
  ReplayInterrupts,
  type ReplayDivergedError,
  type ReplayAttempt,
  type InvalidRecordingError,
} from './replay.js';
