/**
 * BeagleBone Black's GPIO1 module (AM335x Technical Reference Manual, chapter 25 "General-Purpose
 * Input/Output"; the memory map's L4_PER section): 4 KiB of 32-bit registers at 0x4804C000 (GPIO0 0x44E07000,
 * GPIO2 0x481AC000, GPIO3 0x481AE000 have the same layout). The user LEDs USR0–USR3 are GPIO1_21–24.
 *
 * GPIO_OE: a 1 makes the pin an input (the reset state), a 0 an output. GPIO_DATAIN: the pins' levels.
 * GPIO_DATAOUT: the output latch. GPIO_CLEARDATAOUT / GPIO_SETDATAOUT: write ones to clear / set those latch
 * bits, the others are untouched (reads return DATAOUT). A module whose clock is off does not answer: the
 * access is a bus error, which mmio reports as EFAULT naming the address.
 * @module
 */
import { defineRegisterMap } from '../../lib/index.js';

/** Physical address of GPIO1. Through /dev/mem (root), or a UIO map of it. */
export const AM335X_GPIO1_PHYS = 0x4804_c000n;
/** Bytes of a GPIO module's register space. */
export const AM335X_GPIO_SIZE = 0x1000;
/** The user LEDs' lines in GPIO1. */
export const USR_LEDS = [21, 22, 23, 24] as const;

/** A GPIO module's registers (offsets in bytes from the module's base; all 32-bit). */
export const AM335X_GPIO = defineRegisterMap({
  name: 'am335x-gpio',
  size: AM335X_GPIO_SIZE,
  registers: {
    GPIO_REVISION: { offset: 0x000, access: 'ro', reset: 0x50600801 },
    GPIO_SYSCONFIG: { offset: 0x010 },
    GPIO_OE: { offset: 0x134, reset: 0xffff_ffff },
    GPIO_DATAIN: { offset: 0x138, access: 'ro' },
    GPIO_DATAOUT: { offset: 0x13c },
    GPIO_CLEARDATAOUT: { offset: 0x190 },
    GPIO_SETDATAOUT: { offset: 0x194 },
  },
});
