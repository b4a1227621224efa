// A consumer of the installed package, as a user writes one: the simulated edu (createSimEdu), a register map
// of its own with a simulated twin (defineRegisterMap + createRegisterModel), `using`, and the types the docs
// name. Type-checked strict under moduleResolution NodeNext, bundler and node10, with no @types/node and no
// lib "DOM" (test/package/run.sh); compiled and run by run.mjs.
import {
  createSimEdu,
  defineRegisterMap,
  createRegisterModel,
  SimRegion,
  mapFile,
  nativeAvailable,
  FIELD_GET,
  GENMASK,
  type BusFaultError,
  type IoRegion,
  type NativeRegion,
  type NativeUnavailableError,
  type SystemError,
} from 'mmio';
import { RegisterModel, createSimEdu as createSimEduFromSim, type SimEdu } from 'mmio/sim';

/** The edu's factorial through the simulator, exactly as a driver does it on the real device. */
export async function factorial(n: number): Promise<number> {
  using edu = createSimEdu();
  const regs: IoRegion = edu.regs;
  regs.writel(n, 0x08); // FACTORIAL
  await regs.readl_poll_timeout(0x20, (status) => (status & 0x01) === 0, 10, 1_000_000); // STATUS.COMPUTING clear
  return regs.readl(0x08);
}

/** A timer block of the user's own, and its simulated twin from the same map. */
export const TIMER = defineRegisterMap({
  name: 'timer',
  size: 0x10,
  registers: {
    CTRL: { offset: 0x0, fields: { EN: { bits: 0 }, MODE: { bits: [2, 1], values: { ONESHOT: 0, PERIODIC: 1 } } } },
    COUNT: { offset: 0x4, access: 'ro', reset: 0x1234 },
    INT: { offset: 0x8, access: 'w1c', fields: { DONE: { bits: 0 } } },
  },
});

export function timerDemo(): { ctrl: number; mode: string | undefined; count: number } {
  const model: RegisterModel = createRegisterModel(TIMER);
  using region = new SimRegion(model, { name: 'timer' });
  const timer = TIMER.attach(region);
  timer.updateFields('CTRL', { EN: 1, MODE: 'PERIODIC' });
  const ctrl = timer.read('CTRL');
  return { ctrl, mode: TIMER.valueName('CTRL', 'MODE', FIELD_GET(GENMASK(2, 1), ctrl)), count: timer.read('COUNT') };
}

/** The same two lines against a file (or a device file on a board): NativeRegion is what mapFile returns. */
export function firstWord(path: string): number {
  using region: NativeRegion = mapFile(path, 0, 4096);
  return region.readl(0);
}

export function describeError(e: unknown): string {
  const err = e as Partial<SystemError & BusFaultError & NativeUnavailableError>;
  return `${err.code ?? '?'}: ${err.hint ?? ''}`;
}

export const simAlias: () => SimEdu = createSimEduFromSim;
export { nativeAvailable };
