/**
 * Commit a bench run's results to the documentation: `npm run bench:update-docs [-- DIR]`.
 *
 * The benches (npm run bench, bench:per-node, bench:irq) write only to their output folder (default
 * bench/out, git-ignored). This script takes such a folder (default bench/out) and, for each result it finds:
 *   results.json, results.md, chart.svg  copied to bench/results/; results.md becomes the results section
 *                                        of docs/benchmarks.md
 *   per-node.json, per-node.md           copied to bench/results/; per-node.md becomes the per-version section
 *                                        of docs/benchmarks.md
 *   irq.json, irq.md                     copied to bench/results/ (the interrupt-latency prose is written by hand)
 * It fails if the folder holds none of them, or if docs/benchmarks.md lacks a section's markers.
 * @module
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PER_NODE_SECTION, RESULTS_SECTION, updateSection, type SectionMarkers } from './doc-sections.js';

/** The repository root: dist/bench/update-docs.js is two levels below it. */
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const committed = join(repo, 'bench', 'results');
const doc = join(repo, 'docs', 'benchmarks.md');

const { positionals } = parseArgs({ allowPositionals: true, options: {} });
const from = resolve(positionals[0] ?? join(repo, 'bench', 'out'));
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);

/** Each result set: its files, and the Markdown file (with the section) that goes into docs/benchmarks.md. */
// `chomp`: per-node.ts adds a final newline to per-node.md that the section never had; results.md is the section as is.
const SETS: { files: string[]; section?: { markdown: string; markers: SectionMarkers; chomp: boolean } }[] = [
  { files: ['results.json', 'results.md', 'chart.svg'], section: { markdown: 'results.md', markers: RESULTS_SECTION, chomp: false } },
  { files: ['per-node.json', 'per-node.md'], section: { markdown: 'per-node.md', markers: PER_NODE_SECTION, chomp: true } },
  { files: ['irq.json', 'irq.md'] },
];

let found = 0;
for (const set of SETS) {
  const present = set.files.filter((f) => existsSync(join(from, f)));
  if (present.length === 0) continue;
  found += present.length;
  if (from !== committed) {
    for (const f of present) copyFileSync(join(from, f), join(committed, f));
    log(`copied ${present.join(', ')} from ${from} to ${committed}`);
  }
  if (set.section && present.includes(set.section.markdown)) {
    const text = readFileSync(join(from, set.section.markdown), 'utf8');
    const markdown = set.section.chomp ? text.replace(/\n$/, '') : text;
    if (!updateSection(doc, set.section.markers, markdown)) throw new Error(`docs/benchmarks.md has no ${set.section.markers.start} … ${set.section.markers.end} markers`);
    log(`updated the section of docs/benchmarks.md after ${set.section.markers.start}`);
  }
}
if (found === 0) {
  log(`no bench results in ${from} (results.json, per-node.json, irq.json, …): run npm run bench (or bench:per-node, bench:irq) first`);
  process.exitCode = 1;
}
