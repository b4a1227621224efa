/**
 * Puts a run's Markdown table into BENCHMARKS.md, between its results markers, so the document always
 * shows the committed results.json. Done only when the results go to the default folder (bench/results).
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';

const START = '<!-- bench-results:start (written by npm run bench) -->';
const END = '<!-- bench-results:end -->';

/** Replace what lies between the markers in `doc` with `markdown`. Returns false if the markers are missing. */
export function updateResultsSection(doc: string, markdown: string): boolean {
  const text = readFileSync(doc, 'utf8');
  const from = text.indexOf(START);
  const to = text.indexOf(END);
  if (from < 0 || to < from) return false;
  writeFileSync(doc, `${text.slice(0, from + START.length)}\n${markdown}\n${text.slice(to)}`);
  return true;
}
