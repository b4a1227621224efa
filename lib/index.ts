/**
 * mmio: memory-mapped I/O from Linux user space, with the kernel's API.
 * @module
 */
export type { AccessWidth, IoRegion, PollCondition, PollOptions, RepBuffer } from './core/io-region.js';
export { interruptEvents, type AbortSignalLike, type InterruptEvent, type InterruptSource, type InterruptWaitOptions } from './core/interrupts.js';
export type { ArgumentError, BusFaultError, PollTimeoutError, ReadOnlyError, SystemError } from './core/errors.js';
export { nativeAvailable, type NativeUnavailableError } from './linux/addon.js';
export { ioremap, ioremap_cache, ioremap_np, ioremap_uc, ioremap_wc, iounmap, type IoremapOptions } from './linux/ioremap.js';
export { mapFile, pageSize, MAX_REGION_BYTES, type MapFileOptions } from './linux/map-file.js';
export { MAX_WAIT_MS, MAX_WAIT_US } from './core/checks.js';
export { NativeRegion, PLAIN_STORES_VERIFIED, type NativeRegionPlace } from './linux/native-region.js';
export { WASM_WINDOW_ENABLED, WASM_WINDOW_VERIFIED } from './linux/wasm-window.js';
export { mb, rmb, wmb } from './linux/barriers.js';
export { udelay } from './core/poll.js';
export { openUio, listUioDevices, UioDevice, type UioDeviceInfo, type UioMapInfo, type OpenUioOptions } from './linux/uio.js';
export { UioInterrupts } from './linux/uio-interrupts.js';
export { openPci, listPciDevices, PciDevice, type PciBar, type PciDeviceInfo } from './linux/pci.js';
export { inb, inw, inl, outb, outw, outl } from './linux/port-io.js';
export {
  request_mem_region,
  release_mem_region,
  devm_ioremap_resource,
  claimDirectory,
  type MemRegionClaim,
  type IoResource,
} from './linux/mem-region-claim.js';
export { ObservingRegion, OBSERVED_VIAS, type ObservedVia, type ObservedPoll } from './observe/observing-region.js';
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
} from './observe/trace.js';
export * from './sim/index.js';
export { BIT, BIT_ULL, GENMASK, GENMASK_ULL, FIELD_GET, FIELD_PREP, FIELD_FIT, FIELD_MAX } from './regmap/bits.js';
export * from './regmap/index.js';
export { recordRegion, type RecordOptions, type RecordingRegion } from './observe/record.js';
export {
  formatRecording,
  formatHeader,
  formatStep,
  readRecording,
  parseRecording,
  RECORDING_FORMAT,
  RECORDING_VERSION,
  type InvalidRecordingError,
  type Recording,
  type RecordingHeader,
  type RecordedStep,
  type RecordedAccess,
  type RecordedTimeout,
  type RecordedWait,
  type RecordedLineControl,
} from './observe/recording-format.js';
export {
  replayRegion,
  describeStep,
  ReplayRegion,
  ReplayInterrupts,
  type ReplayDivergedError,
  type ReplayAttempt,
} from './observe/replay.js';
