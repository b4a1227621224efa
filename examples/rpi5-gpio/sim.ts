/**
 * The simulated twin of RP1's GPIO window, generated from the same register map (regmap.ts) with
 * createRegisterModel, plus what a layout cannot say:
 * - the atomic aliases: a write at a register + 0x1000 / 0x2000 / 0x3000 XORs / sets / clears those bits of
 *   the register (through the model, so read-only registers stay as they are); a read there answers the
 *   register's value;
 * - RIO SYNC_IN: on a pin whose FUNCSEL is SYS_RIO, with RIO OE set and the pad's OD clear, the RIO OUT bit;
 *   otherwise what the outside world drives, else the pad's pull (PUE high, PDE low); 0 while the pad's IE is clear.
 * @module
 */
import { createRegisterModel, SimRegion, type AccessHandler, type AccessWidth, type BusValue, type RegisterModel } from '../../lib/index.js';
import { ctrlOf, padOf, RP1_GPIO, RP1_GPIO_COUNT, RP1_IO_BANK0_PHYS } from './regmap.js';

/** The twin: a region for the driver, and the pins as the outside world sees them. */
export interface SimRp1Gpio {
  /** The /dev/gpiomem0 window as an IoRegion (`sim:rp1-gpio`). */
  readonly region: SimRegion;
  /** The model behind it (`model.get('RIO_OUT')`). */
  readonly model: RegisterModel;
  /** What an external circuit drives on a pin (undefined: nothing, the pull decides; floating reads 0). */
  drive(pin: number, level: boolean | undefined): void;
  /** The writes that reached the window, as [offset, value]: to check a driver used the aliases. */
  readonly writes: Array<[offset: number, value: number]>;
}

const ALIAS_MASK = 0x3000;

/** A fresh twin: every register at its reset value, nothing driven, no write seen. */
export function createSimRp1Gpio(): SimRp1Gpio {
  const external: (boolean | undefined)[] = new Array(RP1_GPIO_COUNT).fill(undefined);
  const writes: Array<[number, number]> = [];

  // Accesses that hit no register: the aliases of the registers there are, else plain (zero) memory.
  const aliases: AccessHandler = {
    read(offset: number, width: AccessWidth, model: RegisterModel): BusValue {
      const base = offset & ~ALIAS_MASK;
      if (width === 4 && base !== offset && RP1_GPIO.at(base, 4) !== undefined) return model.read(base, 4);
      return model.peek(offset, width);
    },
    write(offset: number, width: AccessWidth, value: BusValue, model: RegisterModel): void {
      const base = offset & ~ALIAS_MASK;
      if (width !== 4 || base === offset || RP1_GPIO.at(base, 4) === undefined) return model.poke(offset, width, value);
      const bits = Number(value) >>> 0;
      const old = model.get(base) as number;
      const op = offset & ALIAS_MASK;
      const next = op === 0x1000 ? old ^ bits : op === 0x2000 ? old | bits : old & ~bits;
      model.write(base, 4, next >>> 0);
    },
  };

  const model = createRegisterModel(RP1_GPIO, {
    unmodelled: aliases,
    hooks: { RIO_SYNC_IN: { onRead: () => syncIn() } },
  });

  const has = (value: number, mask: number) => (value & mask) !== 0;
  function level(pin: number): boolean {
    const [pad, ctrl] = [padOf(pin), ctrlOf(pin)];
    const padValue = model.get(pad) as number;
    if (!has(padValue, RP1_GPIO.mask(pad, 'IE'))) return false;
    const rio = RP1_GPIO.get(ctrl, 'FUNCSEL', model.get(ctrl) as number) === RP1_GPIO.spec.registers[ctrl].fields.FUNCSEL.values.SYS_RIO;
    const driven = rio && has(model.get('RIO_OE') as number, 1 << pin) && !has(padValue, RP1_GPIO.mask(pad, 'OD'));
    if (driven) return has(model.get('RIO_OUT') as number, 1 << pin);
    return external[pin] ?? has(padValue, RP1_GPIO.mask(pad, 'PUE'));
  }
  function syncIn(): number {
    let v = 0;
    for (let pin = 0; pin < RP1_GPIO_COUNT; pin++) if (level(pin)) v |= 1 << pin;
    return v >>> 0;
  }

  const region = new SimRegion(
    {
      size: model.size,
      read: (offset, width) => model.read(offset, width),
      write: (offset, width, value) => {
        writes.push([offset, Number(value)]);
        model.write(offset, width, value);
      },
    },
    { name: 'rp1-gpio', phys: RP1_IO_BANK0_PHYS },
  );
  return { region, model, drive: (pin, value) => void (external[pin] = value), writes };
}
