/**
 * The C baseline: bench/c/volatile-loop.c, compiled with the machine's cc at run time into a cache folder
 * (never shipped), then run once per round on the same mapping.
 * @module
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

  /**
   * Build the C loop with `$CC` (default cc) into `cacheDir`, unless a build of this exact source is there.
   * Returns why not when there is no working compiler.
   */
  static build(source: string, cacheDir: string): CBaseline | MissingBaseline {
    const cc = process.env.CC ?? 'cc';
    let compiler: string;
    try {
      compiler = execFileSync(cc, ['--version'], { encoding: 'utf8' }).split('\n')[0];
    } catch {
      return { baseline: 'C volatile loop', reason: `no C compiler (${cc}) found: install one (Debian: apt-get install gcc) or set CC` };
    }
    const text = readFileSync(source);
    const hash = createHash('sha256').update(text).update(compiler).digest('hex').slice(0, 16);
    const binary = join(cacheDir, `volatile-loop-${hash}`);
    if (!existsSync(binary)) {
      mkdirSync(dirname(binary), { recursive: true });
      try {
        execFileSync(cc, ['-O2', '-Wall', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (e) {
        const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
        return { baseline: 'C volatile loop', reason: `${cc} could not build ${source}: ${stderr ?? e}` };
      }
    }
    return new CBaseline(binary, compiler);
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
