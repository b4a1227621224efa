/**
 * The simulated twin of an AM335x GPIO module, generated from the same register map (regmap.ts) with
 * createRegisterModel, plus: SETDATAOUT / CLEARDATAOUT set / clear DATAOUT bits and read back DATAOUT;
 * DATAIN reads DATAOUT on output lines (OE bit 0) and the outside world on inputs.
 * @module
 */
import { createRegisterModel, SimRegion, type RegisterModel } from '../../lib/index.js';
import { AM335X_GPIO, AM335X_GPIO1_PHYS } from './regmap.js';

/** The twin: a region for the driver, and the lines as the outside world sees them. */
export interface SimAm335xGpio {
  /** The module as an IoRegion (`sim:am335x-gpio1`). */
  readonly region: SimRegion;
  /** The model behind it (`model.get('GPIO_DATAOUT')`). */
  readonly model: RegisterModel;
  /** What an external circuit drives on an input line (undefined: nothing; reads 0). */
  drive(line: number, level: boolean | undefined): void;
}

/** A fresh twin: every line an input (GPIO_OE all ones), DATAOUT 0, nothing driven. */
export function createSimAm335xGpio(): SimAm335xGpio {
  const external = new Array<boolean | undefined>(32).fill(undefined);
  const dataout = () => model.get('GPIO_DATAOUT') as number;
  const model: RegisterModel = createRegisterModel(AM335X_GPIO, {
    hooks: {
      GPIO_SETDATAOUT: {
        onWrite: (v, ctx) => ctx.model.set('GPIO_DATAOUT', (dataout() | (v as number)) >>> 0),
        onRead: () => dataout(),
      },
      GPIO_CLEARDATAOUT: {
        onWrite: (v, ctx) => ctx.model.set('GPIO_DATAOUT', (dataout() & ~(v as number)) >>> 0),
        onRead: () => dataout(),
      },
      GPIO_DATAIN: {
        onRead: () => {
          const oe = model.get('GPIO_OE') as number;
          let inputs = 0;
          for (let line = 0; line < 32; line++) if (external[line]) inputs |= 1 << line;
          return ((dataout() & ~oe) | (inputs & oe)) >>> 0;
        },
      },
    },
  });
  return {
    region: new SimRegion(model, { name: 'am335x-gpio1', phys: AM335X_GPIO1_PHYS }),
    model,
    drive: (line, level) => void (external[line] = level),
  };
}
