/**
 * The simulated backend: device models behind the same {@link IoRegion} and {@link InterruptSource} interfaces
 * as the real backends, for tests and CI machines without hardware.
 *
 * - {@link SimRegion}: an IoRegion over a {@link SimDevice} (the simulated `ioremap`).
 * - {@link RegisterModel}: a device described register by register (reset, read-only, W1C, RC bits, hooks).
 * - {@link BusyCountdown}: a busy bit that clears after N status reads or after a time.
 * - {@link SimInterrupts}: an interrupt line with UIO semantics.
 * - {@link createSimEdu}: QEMU's `edu` device, built from the above, with its DMA engine ({@link EduDmaEngine}).
 * - {@link SimIommu}: a simulated bus memory behind a simulated IOMMU (the DMA API's simulated backend).
 * - {@link SimPciConfig}: a simulated config space header.
 * @module
 */
export { SimRegion, type SimRegionOptions } from './sim-region.js';
export type { SimDevice } from './sim-device.js';
export { type BusValue, toBusValue, allOnes } from '../core/bus-value.js';
export {
  RegisterModel,
  plainMemory,
  readsAs,
  type AccessHandler,
  type RegisterContext,
  type RegisterDefinition,
  type RegisterModelOptions,
  type RegisterRef,
} from './register-model.js';
export { BusyCountdown, type BusyCountdownOptions } from './busy.js';
export { forEachChunk } from '../core/block-chunks.js';
export { SimInterrupts, type SimInterruptsOptions } from './sim-interrupts.js';
export { createRegisterModel, registerDefinitions, type RegisterHooks, type RegisterModelFromMapOptions } from './regmap-model.js';
export { createSimEdu, SIM_EDU_BAR_SIZE, SIM_EDU_ID, type SimEdu, type SimEduOptions } from './edu.js';
export { SimIommu, type SimDmaEvent, type SimIommuOptions } from './sim-iommu.js';
export { SimPciConfig, type SimPciConfigOptions } from './sim-pci-config.js';
export { attachSimBus } from './sim-bus.js';
export { EduDmaEngine, EDU_DMA_BUFFER_ADDR, EDU_DMA_BUFFER_SIZE, type EduDmaOptions } from './edu-dma.js';
