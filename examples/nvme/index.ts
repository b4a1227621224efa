/**
 * examples/nvme: a userspace NVMe driver on mmio's public API (VFIO or the simulated controller), with the
 * simulated controller its tests run on. See docs/nvme.md.
 * @module
 */
export type { NvmePciFunction } from './device.js';
export { NVME_REGMAP, NVME_DOORBELL_BASE, NVME_NSSR_RESET, doorbellStride, sqTailDoorbell, cqHeadDoorbell, type NvmeRegmapSpec } from './regmap.js';
export {
  NVME_SQE_BYTES,
  NVME_CQE_BYTES,
  NvmeAdminOpcode,
  NvmeIoOpcode,
  NvmeIdentifyCns,
  NvmeFeature,
  encodeCommand,
  decodeCommand,
  decodeCompletion,
  completionFromDwords,
  decodeStatusField,
  encodeCompletion,
  type NvmeCommand,
  type NvmeCompletion,
  type NvmeCompletionInput,
  type NvmeStatusField,
} from './commands.js';
export { NvmeStatusError, nvmeStatusName, NvmeStatusCodeType, NvmeGenericStatus, NvmeCommandSpecificStatus, NVME_SCT_NAMES } from './status.js';
export {
  NVME_IDENTIFY_BYTES,
  parseIdentifyController,
  parseIdentifyNamespace,
  type NvmeIdentifyController,
  type NvmeIdentifyNamespace,
  type NvmeLbaFormat,
} from './identify.js';
export {
  NvmeController,
  NvmeIoQueuePair,
  type NvmeCapabilities,
  type NvmeCompletionMode,
  type NvmeOpenOptions,
  type NvmeIoQueueOptions,
} from './controller.js';
export { NVME_MAX_IO_BYTES } from './io-queue-pair.js';
export type { NvmeQueueStats } from './queue.js';
export type { NvmeError, NvmeTimeoutError } from './errors.js';
export { buildPrps, prpListPages, prpPageCount, type Prps } from './prp.js';
export { createSimNvme, type SimNvme, type SimNvmeOptions, type SimNvmeStats } from './sim-controller.js';
