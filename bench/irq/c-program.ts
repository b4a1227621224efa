/**
 * The C side of the interrupt-latency benchmark: bench/irq/irq-latency.c, compiled on the host with `$CC`
 * (default cc) into the bench's cache folder (never shipped), then run inside the guest, which sees the
 * host's files at the same paths. Building on the host keeps the compiler out of the emulated guest.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A built irq-latency program. */
export interface CProgram {
  /** The executable's path. */
  binary: string;
  /** The compiler's `--version` first line, recorded with the results. */
  compiler: string;
}

/**
 * Build `source` into `cacheDir`, unless a build of this exact source by this compiler is there.
 * @throws Error naming the compiler when there is none or the build fails (the bench has no other baseline).
 */
export function buildCProgram(source: string, cacheDir: string): CProgram {
  const cc = process.env.CC ?? 'cc';
  let compiler: string;
  try {
    compiler = execFileSync(cc, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error(`no C compiler (${cc}) found: install one (Debian: apt-get install gcc) or set CC`);
  }
  const hash = createHash('sha256').update(readFileSync(source)).update(compiler).digest('hex').slice(0, 16);
  const binary = join(cacheDir, `irq-latency-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(cacheDir, { recursive: true });
    try {
      execFileSync(cc, ['-O2', '-Wall', '-Wextra', '-o', binary, source], { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (e) {
      const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim();
      throw new Error(`${cc} could not build ${source}: ${stderr ?? e}`);
    }
  }
  return { binary, compiler };
}

/**
 * One run of the C program on `devicePath` (/dev/uioN) with the PCI function's sysfs `config` file:
 * `warmUp` unrecorded interrupts, then `iterations` timed ones.
 * @returns one latency in ns per timed interrupt.
 * @throws Error with the program's message when it fails (a lost interrupt, a failed system call).
 */
export function cLatencies(binary: string, devicePath: string, pciConfig: string, iterations: number, warmUp: number, raise: number): number[] {
  const args = [devicePath, pciConfig, String(iterations), String(warmUp), `0x${raise.toString(16)}`];
  const out = execFileSync(binary, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const latencies = out.trim().split('\n').map(Number);
  if (latencies.length !== iterations || latencies.some((ns) => !Number.isFinite(ns))) {
    throw new Error(`${binary} printed ${latencies.length} latencies, expected ${iterations}`);
  }
  return latencies;
}
