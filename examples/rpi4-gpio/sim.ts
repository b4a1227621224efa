/**
 * The simulated twin of the BCM2711 GPIO block, generated from the same register map (regmap.ts) with
 * createRegisterModel, plus what a layout cannot say: GPSETn/GPCLRn set and clear the output latch, GPLEVn
 * reads the latch on output pins and the outside world (or the pull resistor) on the others.
 * @module
 */
import { createRegisterModel, SimRegion } from '../../lib/index.js';
import { BCM2711_GPIO, BCM2711_GPIO_COUNT, BCM2711_GPIO_PHYS, FSEL, GPFSEL, PULL, PUP_PDN } from './regmap.js';

/** The twin: a region for the driver, and the pins as the outside world sees them. */
export interface SimBcm2711Gpio {
  /** The GPIO block as an IoRegion (`sim:bcm2711-gpio`). */
  readonly region: SimRegion;
  /** What an external circuit drives on an input pin (undefined: nothing, the pull resistor decides; floating reads 0). */
  drive(pin: number, level: boolean | undefined): void;
  /** The level on a pin: the output latch on output pins, else as {@link drive} and the pulls give it. */
  level(pin: number): boolean;
}

/** A fresh twin: every register at its reset value, all pins inputs, nothing driven. */
export function createSimBcm2711Gpio(): SimBcm2711Gpio {
  const latch = [0, 0]; // the output latch, 2 × 32 pins
  const external: (boolean | undefined)[] = new Array(BCM2711_GPIO_COUNT).fill(undefined);

  const model = createRegisterModel(BCM2711_GPIO, {
    hooks: {
      GPSET0: { onWrite: (v) => void (latch[0] = (latch[0] | (v as number)) >>> 0) },
      GPSET1: { onWrite: (v) => void (latch[1] = (latch[1] | (v as number)) >>> 0) },
      GPCLR0: { onWrite: (v) => void (latch[0] = (latch[0] & ~(v as number)) >>> 0) },
      GPCLR1: { onWrite: (v) => void (latch[1] = (latch[1] & ~(v as number)) >>> 0) },
      GPLEV0: { onRead: () => levels(0) },
      GPLEV1: { onRead: () => levels(1) },
    },
  });

  function fsel(pin: number): number {
    return ((model.get(GPFSEL[Math.floor(pin / 10)]) as number) >>> (3 * (pin % 10))) & 0b111;
  }
  function pull(pin: number): number {
    return ((model.get(PUP_PDN[pin >> 4]) as number) >>> (2 * (pin % 16))) & 0b11;
  }
  function level(pin: number): boolean {
    if (fsel(pin) === FSEL.OUTPUT) return ((latch[pin >> 5] >>> (pin & 31)) & 1) === 1;
    return external[pin] ?? pull(pin) === PULL.up;
  }
  function levels(bank: number): number {
    let v = 0;
    for (let bit = 0; bit < 32 && bank * 32 + bit < BCM2711_GPIO_COUNT; bit++) if (level(bank * 32 + bit)) v |= 1 << bit;
    return v >>> 0;
  }

  return {
    region: new SimRegion(model, { name: 'bcm2711-gpio', phys: BCM2711_GPIO_PHYS }),
    drive: (pin, value) => void (external[pin] = value),
    level,
  };
}
