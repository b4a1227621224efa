/**
 * The rooms of lib/ and the direction of imports between them (.dependency-cruiser.cjs, CONTRIBUTING.md
 * "Layout"), checked by dependency-cruiser on the real tree; and the check shown to fail: the same tree copied
 * with one deliberate bad import per rule must report exactly that rule.
 */
import { execFile } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const depcruise = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
}

/** Run dependency-cruiser over `dir`/lib with the project's rules; the violations it reports. */
async function violations(dir: string): Promise<Violation[]> {
  const run = promisify(execFile);
  const args = [depcruise, 'lib', '--config', '.dependency-cruiser.cjs', '--output-type', 'json'];
  const { stdout } = await run(process.execPath, args, { cwd: dir, maxBuffer: 64 << 20 }).catch((e: { stdout?: string }) => {
    // It exits non-zero when it finds violations; the JSON is still on stdout.
    if (typeof e.stdout === 'string' && e.stdout.startsWith('{')) return { stdout: e.stdout };
    throw e;
  });
  const result = JSON.parse(stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  expect(result.summary.totalCruised).toBeGreaterThan(30); // it did read lib/
  return result.summary.violations;
}

/** A copy of lib/ and the rules in a temporary folder, with `file` given one more import line. */
function treeWith(file: string, line: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmio-house-'));
  cpSync(join(root, 'lib'), join(dir, 'lib'), { recursive: true });
  cpSync(join(root, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
  cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  if (file.endsWith('.new.ts')) writeFileSync(join(dir, file), `${line}\nexport {};\n`);
  else appendFileSync(join(dir, file), `\n${line}\n`);
  return dir;
}

describe.concurrent('lib/ imports run one way between its rooms', () => {
  it('lib/ holds the five rooms and the entry point, nothing else', () => {
    const entries = readdirSync(join(root, 'lib'), { withFileTypes: true });
    expect(entries.filter((e) => e.isDirectory()).map((e) => e.name).sort()).toEqual(['core', 'linux', 'observe', 'regmap', 'sim']);
    expect(entries.filter((e) => !e.isDirectory()).map((e) => e.name)).toEqual(['index.ts']);
  });

  it('the tree as it is has no violation', async () => {
    expect(await violations(root)).toEqual([]);
  }, 60_000);

  const bad: Array<[string, string, string, string]> = [
    ['core imports sim (a back-edge, and a circle)', 'lib/core/checks.ts', "import type { SimRegion } from '../sim/sim-region.js';", 'core-is-the-bottom'],
    ['regmap imports sim', 'lib/regmap/bits.ts', "import { SimRegion } from '../sim/sim-region.js';", 'regmap-on-core-only'],
    ['sim imports linux', 'lib/sim/busy.ts', "import { mapFile } from '../linux/map-file.js';", 'sim-on-core-and-regmap'],
    ['linux imports sim', 'lib/linux/sysfs.ts', "import { SimRegion } from '../sim/sim-region.js';", 'linux-never-sim'],
    ['sim imports observe', 'lib/sim/busy.ts', "import { traceRegion } from '../observe/trace.js';", 'nothing-on-observe'],
    ['core loads the addon', 'lib/core/swab.ts', "import { addon } from '../linux/addon.js';", 'only-linux-loads-the-addon'],
    ['a loose file beside the rooms', 'lib/helpers.new.ts', "import { swab16 } from './core/swab.js';", 'rooms-only'],
    ['a circle inside one room', 'lib/core/swab.ts', "import type { AccessWidth } from './width-dispatch.js';", 'no-circular'],
  ];
  for (const [what, file, line, rule] of bad) {
    it(`fails on a deliberate bad import: ${what}`, async () => {
      const dir = treeWith(file, line);
      try {
        const found = await violations(dir);
        expect(found.map((v) => v.rule.name)).toContain(rule);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
  }
});
