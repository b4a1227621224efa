/**
 * The C baseline: bench/c/volatile-loop.c, built by bench/c-build.ts, run once per round on the same mapping.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { buildC } from './c-build.js';
import { BLOCK, MAP_SIZE, POLL_PAGE, REG } from './layout.js';
import { WARM_UP_FLIPS } from './poll-protocol.js';

/** A baseline that could not be set up, and why (printed with the results). */
export interface MissingBaseline {
  baseline: string;
  reason: string;
}

export class CBaseline {
  private constructor(
    readonly binary: string,
    readonly compiler: string,
  ) {}

  /** Build the C loop into `cacheDir` (bench/c-build.ts); returns why not when there is no working compiler. */
  static build(source: string, cacheDir: string): CBaseline | MissingBaseline {
    try {
      const { binary, compiler } = buildC(source, cacheDir);
      return new CBaseline(binary, compiler);
    } catch (e) {
      return { baseline: 'C volatile loop', reason: (e as Error).message };
    }
  }

  /** One timed run of each case (volatile-loop.c names) on `path`; ns per op (per 32-bit word for blocks). */
  time(path: string, cases: readonly string[], targetMs: number): Map<string, number> {
    const args = ['time', path, String(MAP_SIZE), String(REG), String(BLOCK), String(targetMs), ...cases];
    const out = execFileSync(this.binary, args, { encoding: 'utf8' });
    const result = new Map<string, number>();
    for (const line of out.trim().split('\n')) {
      const [name, ns] = line.split(' ');
      result.set(name, Number(ns));
    }
    return result;
  }

  /** The C poller's side of the reaction protocol: one reaction time in ns per flip. */
  poll(path: string, flips: number, timeoutMs: number): Promise<number[]> {
    const args = ['poll', path, String(MAP_SIZE), String(POLL_PAGE), String(flips), String(timeoutMs), String(WARM_UP_FLIPS)];
    const child = spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    return new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code === 0) resolve(out.trim().split('\n').map(Number));
        else reject(new Error(`the C poller exited with ${code}`));
      });
    });
  }
}
