// Coverage-guided fuzzing with jsfuzz (npm, pure JS, istanbul coverage) of the surfaces that parse untrusted
// text: CLI targets and numbers, recordings, register-map definitions (test/fuzz/coverage/targets.cjs).
// Usage: node test/fuzz/coverage/run.mjs [seconds per surface, default 10]. Compiles the parsers to CommonJS
// (jsfuzz instruments only require()d code), runs each surface from its seeds for the budget, prints the
// executions, coverage and corpus it reached, and exits 1 on any finding (jsfuzz writes crash-<sha256> files).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const seconds = Number(process.argv[2] ?? process.env.MMIO_JSFUZZ_SECONDS ?? 10);
const out = join(root, '.cache/fuzz-cjs');

// tsc reports the addon's import.meta under CommonJS (a file the parsers never load) but emits every file. The
// old build goes first, so that a compile that emits nothing fails the check below instead of fuzzing stale code.
rmSync(out, { recursive: true, force: true });
spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')], { stdio: 'ignore' });
for (const f of ['cli/targets.js', 'lib/observe/recording-format.js', 'lib/regmap/map.js']) {
  if (!existsSync(join(out, f))) throw new Error(`jsfuzz: the CommonJS build has no ${f}`);
}
writeFileSync(join(out, 'package.json'), '{"type":"commonjs"}\n');

async function runSurface(surface) {
  const work = mkdtempSync(join(tmpdir(), `mmio-jsfuzz-${surface}-`));
  const corpus = join(work, 'corpus');
  cpSync(join(here, 'seeds', surface), corpus, { recursive: true });
  const jsfuzz = join(root, 'node_modules/jsfuzz/build/src/index.js');
  const child = spawn(process.execPath, [jsfuzz, relative(work, join(here, 'targets.cjs')), corpus], {
    cwd: work,
    env: { ...process.env, MMIO_FUZZ_SURFACE: surface },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000);
  const code = await new Promise((r) => child.on('exit', (c, s) => r(s ?? c)));
  clearTimeout(timer);
  const crashes = readdirSync(work).filter((f) => f.startsWith('crash-'));
  const findings = crashes.map((f) => ({ file: f, input: readFileSync(join(work, f)).toString('utf8').slice(0, 200) }));
  const lines = text.split('\n').filter((l) => /^#\d+/.test(l));
  const last = lines.at(-1) ?? '(no progress line)';
  const corpusSize = readdirSync(corpus).length;
  rmSync(work, { recursive: true, force: true });
  const failed = findings.length > 0 || code !== 'SIGKILL';
  return { surface, last, corpusSize, findings, failed, ended: String(code), log: failed ? text.slice(-3000) : '' };
}

let failed = false;
for (const surface of ['cli', 'rec', 'map']) {
  const r = await runSurface(surface);
  console.log(`jsfuzz ${surface}: ${seconds} s, last progress ${r.last.trim()}, corpus ${r.corpusSize} inputs, ${r.findings.length} findings`);
  if (r.failed) {
    failed = true;
    console.log(`jsfuzz ${surface} ended ${r.ended}:\n${r.log}`);
    for (const f of r.findings) console.log(`finding ${f.file}: ${JSON.stringify(f.input)}`);
  }
}
process.exit(failed ? 1 : 0);
