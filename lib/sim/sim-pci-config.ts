/**
 * A simulated PCI config space header (256 bytes, include/uapi/linux/pci_regs.h): vendor, device and class
 * read-only, PCI_COMMAND with its I/O, memory, bus-master and INTx-disable bits writable, everything else
 * reading as 0. It starts as VFIO shows edu after open: command 0x0103 (memory decoding on, bus mastering off).
 * @module
 */
import { rangeError, typeError } from '../core/errors.js';
import { PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY, type PciConfigSpace } from '../core/pci-config.js';

const WRITABLE_COMMAND = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE | 0x100;

/** Options of a {@link SimPciConfig}. */
export interface SimPciConfigOptions {
  vendor: number;
  device: number;
  /** 24-bit class code. */
  classCode?: number;
  /** PCI_COMMAND at reset. Default 0x0103. */
  command?: number;
}

/** A simulated config space. */
export class SimPciConfig implements PciConfigSpace {
  readonly #bytes = new Uint8Array(256);
  readonly #view = new DataView(this.#bytes.buffer);
  readonly #resetCommand: number;

  constructor(options: SimPciConfigOptions) {
    this.#view.setUint16(0, options.vendor, true);
    this.#view.setUint16(2, options.device, true);
    this.#view.setUint32(8, ((options.classCode ?? 0x00ff00) << 8) >>> 0, true);
    this.#resetCommand = options.command ?? 0x0103;
    this.reset();
  }

  /** PCI_COMMAND back to its reset value. */
  reset(): void {
    this.#view.setUint16(PCI_COMMAND, this.#resetCommand, true);
  }

  /** True while PCI_COMMAND's bus-master bit is set. */
  get busMaster(): boolean {
    return (this.#view.getUint16(PCI_COMMAND, true) & PCI_COMMAND_MASTER) !== 0;
  }

  #check(where: number, width: number): void {
    if (typeof where !== 'number') throw typeError('ERR_INVALID_ARG_TYPE', `config offset must be a number, got ${typeof where}`, `a config offset is an integer number in 0..${256 - width}, a multiple of ${width}.`);
    if (!Number.isInteger(where) || where < 0 || where + width > 256) {
      throw rangeError('ERR_OUT_OF_RANGE', `config offset ${String(where)} (+${width}) is outside the 256-byte config space`, `a config offset is an integer number in 0..${256 - width}, a multiple of ${width}.`);
    }
    if (where % width !== 0) throw rangeError('ERR_UNALIGNED', `config offset 0x${where.toString(16)} is not aligned for a ${width * 8}-bit access`, `a ${width * 8}-bit config access needs an offset that is a multiple of ${width}.`);
  }

  readConfig(where: number, width: 1 | 2 | 4): number {
    this.#check(where, width);
    return width === 1 ? this.#bytes[where] : width === 2 ? this.#view.getUint16(where, true) : this.#view.getUint32(where, true);
  }

  writeConfig(where: number, width: 1 | 2 | 4, value: number): void {
    this.#check(where, width);
    // Only PCI_COMMAND's writable bits change; a write to other bytes is ignored, as to read-only registers.
    for (let i = 0; i < width; i++) {
      const at = where + i;
      if (at !== PCI_COMMAND && at !== PCI_COMMAND + 1) continue;
      const byte = (value >>> (8 * i)) & 0xff;
      const maskByte = (WRITABLE_COMMAND >>> (8 * (at - PCI_COMMAND))) & 0xff;
      this.#bytes[at] = (this.#bytes[at] & ~maskByte) | (byte & maskByte);
    }
  }
}
