/**
 * What the Wasm-window tests (test/linux/wasm-window.test.ts on x86-64, test/arm/wasm-window-region.arm64.ts on
 * arm64) share: a plain NativeRegion over the same file (the native call path, no window), and the check that
 * every bad call throws exactly what the native call throws, while mapped and after iounmap.
 */
import { expect } from 'vitest';
import { addon } from '../../lib/linux/addon.js';
import { NativeRegion } from '../../lib/linux/native-region.js';

/** A region over `path` on the native call path: the addon's mapping with no Wasm window. */
export function plainNativeRegion(path: string, size: number): NativeRegion {
  return new NativeRegion(addon().map(path, 0n, size, { sync: true, readOnly: false }), { fileOffset: 0n, phys: 0n, size, path, readOnly: false });
}

/** A call's result, or its error's class, code and message. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    return { error: (e as Error).constructor.name, code: (e as { code?: unknown }).code, message: (e as Error).message };
  }
}

/**
 * Each of `calls` must throw on `window`, and exactly as it throws on `plain`; then both are unmapped and every
 * call must still throw the same on both (ERR_IOMEM_UNMAPPED first).
 */
export function expectSameErrors<R extends { iounmap(): void }>(window: R, plain: R, calls: ((r: R) => unknown)[]): void {
  for (const call of calls) {
    const w = outcome(() => call(window));
    expect(w !== null && typeof w === 'object' && 'error' in w, String(call)).toBe(true);
    expect(w, String(call)).toEqual(outcome(() => call(plain)));
  }
  window.iounmap();
  plain.iounmap();
  for (const call of calls) expect(outcome(() => call(window)), String(call)).toEqual(outcome(() => call(plain)));
}
