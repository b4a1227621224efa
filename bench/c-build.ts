/**
 * Building the bench's C programs (bench/c/volatile-loop.c, bench/irq/irq-latency.c) with `$CC` (default cc) at
 * run time, into a cache folder: they are measuring instruments, never shipped. A build is reused while the source,
 * the local headers it includes (`#include "../bench-c.h"`: bench/bench-c.h, the interrupt benches' shared timing
 * and output code) and the compiler are the same (their hash names the executable).
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A built C program. */
export interface BuiltC {
  /** The executable's path. */
  binary: string;
  /** The compiler's `--version` first line, recorded with the results. */
  compiler: string;
}

/**
 * Build `source` (a single C file) into `cacheDir` with `-O2 -Wall -Wextra`, unless this exact build is there.
 * @throws Error saying what to install when there is no compiler, or the compiler's message when the build fails.
 */
export function buildC(source: string, cacheDir: string): BuiltC {
  const cc = process.env.CC ?? 'cc';
  let compiler: string;
  try {
    compiler = execFileSync(cc, ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    throw new Error(`no C compiler (${cc}) found: install one (Debian: apt-get install gcc) or set CC`);
  }
  const text = readFileSync(source, 'utf8');
  const hasher = createHash('sha256').update(text);
  for (const [, header] of text.matchAll(/^#include "([^"]+)"/gm)) hasher.update(readFileSync(resolve(dirname(source), header)));
  const hash = hasher.update(compiler).digest('hex').slice(0, 16);
  const binary = join(cacheDir, `${basename(source, '.c')}-${hash}`);
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
