/**
 * PCI config space with the kernel's names (include/linux/pci.h: pci_read_config_byte/word/dword,
 * pci_write_config_*, pci_set_master, pci_clear_master), for any device that exposes its config space: a VFIO
 * device (lib/linux/vfio.ts, VFIO's virtualised view) or a simulated one (lib/sim/sim-pci-config.ts). The kernel's
 * functions return a status and fill an out-parameter; these return the value and throw instead.
 * @module
 */

/** A device whose config space can be read and written (offsets in bytes, naturally aligned). */
export interface PciConfigSpace {
  /** One access of `width` bytes at `where`; an unsigned number. */
  readConfig(where: number, width: 1 | 2 | 4): number;
  /** One access of `width` bytes at `where`; `value` truncated to the width. */
  writeConfig(where: number, width: 1 | 2 | 4, value: number): void;
}

/** PCI_COMMAND and its bits (include/uapi/linux/pci_regs.h). */
export const PCI_COMMAND = 0x04;
/** PCI_COMMAND bit 0: I/O space decoding. */
export const PCI_COMMAND_IO = 0x1;
/** PCI_COMMAND bit 1: memory space decoding (BAR accesses fault while it is off). */
export const PCI_COMMAND_MEMORY = 0x2;
/** PCI_COMMAND bit 2: bus mastering (the device may start DMA and MSI). */
export const PCI_COMMAND_MASTER = 0x4;
/** PCI_COMMAND bit 10: INTx disabled. */
export const PCI_COMMAND_INTX_DISABLE = 0x400;

/** Kernel `pci_read_config_byte`: 8 bits of config space at `where`. @throws the device's range/alignment/pread errors. */
export function pci_read_config_byte(dev: PciConfigSpace, where: number): number {
  return dev.readConfig(where, 1);
}
/** Kernel `pci_read_config_word`: 16 bits at `where` (2-byte aligned). */
export function pci_read_config_word(dev: PciConfigSpace, where: number): number {
  return dev.readConfig(where, 2);
}
/** Kernel `pci_read_config_dword`: 32 bits at `where` (4-byte aligned). */
export function pci_read_config_dword(dev: PciConfigSpace, where: number): number {
  return dev.readConfig(where, 4);
}
/** Kernel `pci_write_config_byte`. */
export function pci_write_config_byte(dev: PciConfigSpace, where: number, value: number): void {
  dev.writeConfig(where, 1, value);
}
/** Kernel `pci_write_config_word`. */
export function pci_write_config_word(dev: PciConfigSpace, where: number, value: number): void {
  dev.writeConfig(where, 2, value);
}
/** Kernel `pci_write_config_dword`. */
export function pci_write_config_dword(dev: PciConfigSpace, where: number, value: number): void {
  dev.writeConfig(where, 4, value);
}

/** Kernel `pci_set_master`: set PCI_COMMAND's bus-master bit, so the device's DMA reaches memory. */
export function pci_set_master(dev: PciConfigSpace): void {
  const cmd = dev.readConfig(PCI_COMMAND, 2);
  if ((cmd & PCI_COMMAND_MASTER) === 0) dev.writeConfig(PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER);
}

/** Kernel `pci_clear_master`: clear the bus-master bit (a DMA the device starts then moves nothing). */
export function pci_clear_master(dev: PciConfigSpace): void {
  const cmd = dev.readConfig(PCI_COMMAND, 2);
  if ((cmd & PCI_COMMAND_MASTER) !== 0) dev.writeConfig(PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER);
}
