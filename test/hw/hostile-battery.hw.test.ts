/**
 * The hostile battery's device-backend cases (test/hostile/cases.ts guestCases) in the QEMU guest, each batch in
 * a child process as on the host: 0 crashes, 0 hangs, 0 wrong outcomes. The guest's writes stay in its overlay,
 * so the table goes to stdout between markers; `npm run docs:reliability:guest` runs this in the guest and
 * splices the table into docs/reliability.md (test/hostile/splice-guest.mjs).
 */
import { describe, expect, it } from 'vitest';
import { builtProject, projectRoot } from '../helpers/built-lib.js';
import { guestCases } from '../hostile/cases.js';
import { renderBattery, runBattery } from '../hostile/battery.js';
import { findEduHardware } from './edu-hw.js';

describe('hostile battery (guest, device backends)', () => {
  it('0 crashes, 0 hangs, 0 wrong outcomes', async () => {
    findEduHardware(); // throws loudly where there is no edu on UIO
    const cases = guestCases();
    const results = await runBattery(builtProject('hostile-build'), projectRoot, cases, 100, 1);
    process.stdout.write(`\nMMIO-GUEST-BATTERY-BEGIN\n${renderBattery(results, 'Guest (QEMU edu through UIO, /dev/mem)')}\nMMIO-GUEST-BATTERY-END\n`);
    const bad = results.filter((r) => r.verdict !== 'ok');
    expect(bad.map((r) => `${r.verdict}: ${r.id}: expected ${r.expected}, got ${r.result}`)).toEqual([]);
    expect(cases.length).toBeGreaterThanOrEqual(100);
  }, 300_000);
});
