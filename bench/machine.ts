/**
 * What the figures were measured on, recorded with every run.
 * @module
 */
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { WASM_WINDOW_ENABLED } from '../lib/linux/wasm-window.js';

export interface Machine {
  cpu: string;
  cpus: number;
  virtualized: boolean;
  memory_gib: number;
  kernel: string;
  arch: string;
  node: string;
  v8: string;
  c_compiler: string | null;
  python: string | null;
  mapping: string;
  /** Whether this process's x86-64 single accesses use the Wasm window (WASM_WINDOW_ENABLED, lib/linux/wasm-window.ts). */
  wasm_window?: boolean;
  /** The 1-minute load average when the run started and when it ended: other work sharing the CPUs. */
  load_average: { start: number; end: number };
  date: string;
}

function cpuFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    return /^flags\s*:\s*(.*)$/m.exec(info)?.[1].split(' ') ?? [];
  } catch {
    return [];
  }
}

export function describeMachine(cCompiler: string | null, python: string | null, mapping: string, loadAtStart: number): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: cpus().length,
    virtualized: cpuFlags().includes('hypervisor'),
    memory_gib: Math.round(totalmem() / 2 ** 30),
    kernel: `Linux ${release()}`,
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    c_compiler: cCompiler,
    python,
    mapping,
    wasm_window: WASM_WINDOW_ENABLED,
    load_average: { start: loadAtStart, end: loadavg()[0] },
    date: new Date().toISOString(),
  };
}
