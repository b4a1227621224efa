/**
 * The short coverage-guided run (jsfuzz; test/fuzz/coverage/run.mjs) that every `npm test` (and so CI) makes:
 * 3 s per surface (CLI targets and numbers, recordings, register-map definitions), 0 findings, and each surface
 * must really have run (executions and coverage reported), so a fuzzer that stopped working fails here instead of
 * passing quietly. `npm run fuzz` runs it for 60 s per surface; docs/hardening.md has the figures.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { projectRoot } from '../helpers/built-lib.js';

it('jsfuzz, 3 s per surface: every surface runs and gains coverage, 0 findings', () => {
  const run = spawnSync(process.execPath, [join(projectRoot, 'test/fuzz/coverage/run.mjs'), '3'], { encoding: 'utf8', timeout: 90_000 });
  expect(run.status, run.stdout + run.stderr).toBe(0);
  for (const surface of ['cli', 'rec', 'map']) {
    const line = run.stdout.split('\n').find((l) => l.startsWith(`jsfuzz ${surface}:`));
    expect(line, `no report for ${surface}:\n${run.stdout}`).toBeDefined();
    const execs = Number(/#(\d+)/.exec(line!)?.[1] ?? 0);
    const cov = Number(/cov: (\d+)/.exec(line!)?.[1] ?? 0);
    expect(execs, line).toBeGreaterThan(100);
    expect(cov, line).toBeGreaterThan(50);
    expect(line).toContain(', 0 findings');
  }
}, 120_000);
