/**
 * A GPIO driver for Raspberry Pi 4 (BCM2711), written against {@link IoRegion} only: the same code drives
 * /dev/gpiomem on the board and the simulated twin (sim.ts) in CI.
 * @module
 */
import { FIELD_GET, FIELD_PREP, GENMASK, type IoRegion } from '../../lib/index.js';
import { BCM2711_GPIO, BCM2711_GPIO_COUNT, FSEL, GPCLR, GPFSEL, GPLEV, GPSET, PULL, PUP_PDN, type GpioFunction, type GpioPull } from './regmap.js';

/** @throws RangeError `ERR_OUT_OF_RANGE` for a pin that is not 0–57. */
function checkPin(pin: number): void {
  if (Number.isInteger(pin) && pin >= 0 && pin < BCM2711_GPIO_COUNT) return;
  const err = new RangeError(`pin must be an integer 0..${BCM2711_GPIO_COUNT - 1}, got ${pin}`) as RangeError & { code: string };
  err.code = 'ERR_OUT_OF_RANGE';
  throw err;
}

/** The BCM2711 GPIO block: pin functions, levels and pulls. Pins 0–57; methods throw `ERR_OUT_OF_RANGE` for others. */
export class Bcm2711Gpio {
  readonly #regs;

  /** @param region the GPIO block: `mapFile('/dev/gpiomem', 0, 0x1000)`, `ioremap(0xfe200000n, 0x1000)` or the twin. */
  constructor(region: IoRegion) {
    this.#regs = BCM2711_GPIO.attach(region);
  }

  /** Select a pin's function (GPFSELn: one read-modify-write). */
  setFunction(pin: number, fn: GpioFunction): void {
    checkPin(pin);
    const shift = 3 * (pin % 10);
    this.#regs.updateBits(GPFSEL[Math.floor(pin / 10)], GENMASK(shift + 2, shift), FIELD_PREP(GENMASK(shift + 2, shift), FSEL[fn]));
  }

  /** A pin's function, from GPFSELn. */
  getFunction(pin: number): GpioFunction {
    checkPin(pin);
    const shift = 3 * (pin % 10);
    const code = FIELD_GET(GENMASK(shift + 2, shift), this.#regs.read(GPFSEL[Math.floor(pin / 10)]));
    return (Object.keys(FSEL) as GpioFunction[]).find((k) => FSEL[k] === code)!;
  }

  /** Drive an output high or low: one write of a single bit to GPSETn or GPCLRn (no read-modify-write). */
  write(pin: number, high: boolean): void {
    checkPin(pin);
    this.#regs.write((high ? GPSET : GPCLR)[pin >> 5], 1 << (pin & 31) >>> 0);
  }

  /** A pin's level, from GPLEVn. */
  read(pin: number): boolean {
    checkPin(pin);
    return ((this.#regs.read(GPLEV[pin >> 5]) >>> (pin & 31)) & 1) === 1;
  }

  /** Pull-up, pull-down or neither (GPIO_PUP_PDN_CNTRL_REGn, 2 bits per pin). */
  setPull(pin: number, pull: GpioPull): void {
    checkPin(pin);
    const shift = 2 * (pin % 16);
    this.#regs.updateBits(PUP_PDN[pin >> 4], GENMASK(shift + 1, shift), FIELD_PREP(GENMASK(shift + 1, shift), PULL[pull]));
  }
}
