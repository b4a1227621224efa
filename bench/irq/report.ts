/**
 * The interrupt-latency results as a table: plain text for the terminal, Markdown for irq.md.
 * Same rows and columns as each other, laid out by bench/report.ts's table formatters.
 * @module
 */
import { markdownTable, textTable } from '../report.js';
import type { IrqResults, IrqRowResult } from './results.js';

const HEADER = ['case', 'what is timed', 'median µs', 'min µs', 'p90 µs', '× C', '× C per round'];
/** Columns from this one on are numbers, right-aligned. */
const FIRST_NUMBER = 2;

function num(v: number): string {
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

function cells(r: IrqRowResult): string[] {
  const ratio = r.ratio_to_c === null ? '–' : `${num(r.ratio_to_c)}×`;
  const spread = r.round_ratios === null ? '–' : `${num(Math.min(...r.round_ratios))}–${num(Math.max(...r.round_ratios))}×`;
  return [r.name, r.path, num(r.median_us), num(r.min_us), num(r.p90_us), ratio, spread];
}

/** One sentence on where and how the figures were taken. */
function describe(results: IrqResults): string {
  const { guest: g, host: h, config: c } = results;
  return (
    `QEMU guest (${h.qemu}, TCG on ${h.cpu}, ${h.cpus} CPUs; host load average ${h.load_average.start.toFixed(2)} → ${h.load_average.end.toFixed(2)}), ` +
    `${g.kernel}, Node ${g.node} (V8 ${g.v8}), ${g.c_compiler ?? 'unknown C compiler'}; ${results.device}. ` +
    `${c.rounds} rounds × ${c.iterations} interrupts per row (each after ${c.warmUp} unrecorded; ${c.warmUpRounds} unrecorded rounds first), rows alternating within each round. ` +
    `${c.timing} Times are the guest's emulated clock: compare the ratios, not the µs.`
  );
}

/** The terminal report. */
export function formatIrqText(results: IrqResults): string {
  const rows = [HEADER, ...results.rows.map(cells)];
  return `${describe(results)}\n\n${textTable(rows, FIRST_NUMBER)}\n`;
}

/** The same as Markdown. */
export function formatIrqMarkdown(results: IrqResults): string {
  const rows = [HEADER, ...results.rows.map(cells)];
  return `Measured ${results.guest.date.slice(0, 10)}. ${describe(results)}\n\n${markdownTable(rows, FIRST_NUMBER)}\n`;
}
