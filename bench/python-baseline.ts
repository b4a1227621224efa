/**
 * The python-periphery baseline (Debian's python3-periphery): `MMIO(0, size, path=<the same file>)`,
 * read32/write32 in a loop, run once per round. The bench installs nothing: a missing module is reported.
 * @module
 */
import { execFileSync, spawnSync } from 'node:child_process';
import type { MissingBaseline } from './c-baseline.js';
import { MAP_SIZE, REG } from './layout.js';

/** The periphery_loop.py exit status when `import periphery` fails. */
const NO_PERIPHERY = 3;

export class PythonBaseline {
  private constructor(
    readonly python: string,
    readonly version: string,
    private readonly script: string,
  ) {}

  /**
   * The first interpreter that can import periphery: $PYTHON, then python3 on PATH, then Debian's own
   * /usr/bin/python3 (where apt installs python3-periphery, even when PATH leads to another python).
   */
  static find(script: string): PythonBaseline | MissingBaseline {
    const candidates = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
    for (const python of candidates) {
      const probe = spawnSync(python, ['-c', 'import periphery, sys; print(sys.version.split()[0], periphery.__version__)'], {
        encoding: 'utf8',
      });
      if (probe.status === 0) return new PythonBaseline(python, probe.stdout.trim(), script);
    }
    return {
      baseline: 'python-periphery',
      reason: `no python3 with the periphery module (tried ${candidates.join(', ')}): apt-get install python3-periphery`,
    };
  }

  /** One timed run of each op (read32, write32) on `path`: ns per call. */
  time(path: string, ops: readonly string[], targetMs: number): Map<string, number> {
    try {
      const out = execFileSync(this.python, [this.script, path, String(MAP_SIZE), String(REG), String(targetMs), ...ops], {
        encoding: 'utf8',
      });
      return new Map(out.trim().split('\n').map((line) => {
        const [op, ns] = line.split(' ');
        return [op, Number(ns)] as const;
      }));
    } catch (e) {
      if ((e as { status?: number }).status === NO_PERIPHERY) throw new Error(`${this.python} lost the periphery module`);
      throw e;
    }
  }
}
