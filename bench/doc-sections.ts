/**
 * The marked sections of docs/benchmarks.md: generated Markdown goes between a pair of markers, so the document
 * always shows the committed results: the full run's tables (from npm run bench) and the per-Node.js-version
 * table (from npm run bench:per-node). Only bench/update-docs.ts (npm run bench:update-docs) writes them.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** A generated section's start and end markers (HTML comments, invisible when rendered). */
export interface SectionMarkers {
  start: string;
  end: string;
}

/** The full run's results section. */
export const RESULTS_SECTION: SectionMarkers = {
  start: '<!-- bench-results:start (written by npm run bench:update-docs from npm run bench) -->',
  end: '<!-- bench-results:end -->',
};

/** The per-Node.js-version section. */
export const PER_NODE_SECTION: SectionMarkers = {
  start: '<!-- bench-per-node:start (written by npm run bench:update-docs from npm run bench:per-node) -->',
  end: '<!-- bench-per-node:end -->',
};

/** Replace what lies between `section`'s markers in `doc` with `markdown`. Returns false if the markers are missing. */
export function updateSection(doc: string, section: SectionMarkers, markdown: string): boolean {
  const text = readFileSync(doc, 'utf8');
  const from = text.indexOf(section.start);
  const to = text.indexOf(section.end);
  if (from < 0 || to < from) return false;
  writeFileSync(doc, `${text.slice(0, from + section.start.length)}\n${markdown}\n${text.slice(to)}`);
  return true;
}
