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
export { MAX_BUSY_POLL_US, MAX_WAIT_MS, MAX_WAIT_US } from './core/checks.js';
export { NativeRegion, PLAIN_STORES_VERIFIED, type NativeRegionPlace } from './linux/native-region.js';
export { WASM_WINDOW_ENABLED, WASM_WINDOW_FORMS, WASM_WINDOW_VERIFIED, WASM_WINDOW_VERIFIED_ARM64, type WasmWindowForms } from './linux/wasm-window.js';
export { mb, rmb, wmb } from './linux/barriers.js';
export { udelay } from './core/poll.js';
export { openUio, listUioDevices, UioDevice, type UioDeviceInfo, type UioMapInfo, type OpenUioOptions } from './linux/uio.js';
export { UioInterrupts } from './linux/uio-interrupts.js';
export { openPci, findPciDevice, listPciDevices, PciDevice, type PciBar, type PciDeviceInfo } from './linux/pci.js';
export { openVfio, VfioDevice, iommuGroupOf, VFIO_PCI_CONFIG_REGION_INDEX, type VfioDeviceInfo, type OpenVfioOptions } from './linux/vfio.js';
export {
  vfioContainer,
  iommuGroupDevices,
  listIommuGroups,
  VFIO_CONTAINER_PATH,
  type IommuGroupDevice,
  type IommuGroupInfo,
  type VfioContainer,
  type VfioIommuInfo,
} from './linux/vfio-container.js';
export { VfioInterrupts, type VfioIrqKind } from './linux/vfio-irq.js';
export { openPhysDma, PhysDmaDevice, iommuTranslates, physicalAddress } from './linux/phys-dma.js';
export type { VfioIrqMode } from './linux/vfio-irqs.js';
export type { VfioRegionMapping } from './linux/vfio-region.js';
export type { NativeRegionInfo as VfioRegionInfo } from './linux/addon.js';
export { IovaAllocator, type IovaRange, type IovaSpace } from './core/iova-allocator.js';
export type { VfioIoctlError, VfioSetupError } from './linux/vfio-errors.js';
export {
  DMA_BIT_MASK,
  dma_set_mask,
  dma_set_mask_and_coherent,
  dma_alloc_coherent,
  dma_free_coherent,
  dma_map_single,
  dma_unmap_single,
  dma_sync_single_for_cpu,
  dma_sync_single_for_device,
  type DmaCoherent,
  type DmaDevice,
  type DmaDirection,
  type DmaStreamingMapping,
} from './core/dma.js';
export {
  pci_read_config_byte,
  pci_read_config_word,
  pci_read_config_dword,
  pci_write_config_byte,
  pci_write_config_word,
  pci_write_config_dword,
  pci_set_master,
  pci_clear_master,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_INTX_DISABLE,
  type PciConfigSpace,
} from './core/pci-config.js';
export { DeviceRegion, type BusDevice, type DeviceRegionPlace } from './core/device-region.js';
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
export { traceDma, type DmaTraceEntry, type DmaTraced } from './observe/dma-trace.js';
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
  type RecordingVersion,
} from './observe/recording-format.js';
export {
  type RecordedConfigAccess,
  type RecordedDmaMask,
  type RecordedDmaAlloc,
  type RecordedDmaFree,
  type RecordedDmaData,
  type RecordedDmaStep,
  type DmaChange,
  type DmaSyncPoint,
  type RecordingDmaSettings,
} from './observe/dma-steps.js';
export { ReplayDma } from './observe/dma-replay.js';
export {
  replayRegion,
  describeStep,
  ReplayRegion,
  ReplayInterrupts,
  type ReplayDivergedError,
  type ReplayAttempt,
} from './observe/replay.js';
