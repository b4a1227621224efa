/**
 * The results as a table: plain text for the terminal, Markdown for results.md and the results section of
 * docs/benchmarks.md. Same rows, same columns.
 * @module
 */
import type { BenchResults, CaseResult, ResultGroup } from './results-model.js';

const SECTIONS: [ResultGroup, string][] = [
  ['read', 'Reads'],
  ['write', 'Writes'],
  ['block', 'Block operations (per 32-bit word)'],
  ['poll', 'Polling'],
  ['context', 'Context (same memory, no device semantics)'],
  ['baseline', 'Baselines measured in the same run'],
];

const HEADER = ['case', 'path', 'median', 'min', 'max', 'C loop', '× C'];

function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v >= 1000) return v.toFixed(0);
  if (v >= 100) return v.toFixed(1);
  return v.toFixed(2);
}

function row(c: CaseResult): string[] {
  const unit = c.unit === 'ns' ? '' : c.unit === 'ns/word' ? ' /word' : '';
  const ratio = c.ratio_to_c === null ? '–' : `${num(c.ratio_to_c)}×`;
  const python = c.speedup_vs_python ? ` (${num(c.speedup_vs_python)}× faster than python-periphery)` : '';
  return [c.name + python, c.path, num(c.ns_per_op) + unit, num(c.min_ns), num(c.max_ns), num(c.c_ns_per_op), ratio];
}

/** Rows (the first is the header) as aligned plain text; columns from `firstNumeric` on are right-aligned. */
export function textTable(rows: string[][], firstNumeric = 2): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((cell, i) => (i >= firstNumeric ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join('  ').trimEnd())
    .join('\n');
}

/** Rows (the first is the header) as a Markdown table; columns from `firstNumeric` on are right-aligned. */
export function markdownTable(rows: string[][], firstNumeric = 2): string {
  const [head, ...body] = rows;
  const align = head.map((_, i) => (i >= firstNumeric ? '---:' : '---'));
  return [head, align, ...body].map((r) => `| ${r.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`).join('\n');
}

function goalLines(results: BenchResults, bullet: string): string[] {
  return results.goals.map((g) => {
    const mark = g.met === null ? 'NOT MEASURED' : g.met ? 'met' : 'MISSED';
    return `${bullet}${mark}: ${g.goal}: ${g.measured}${g.note ? ` (${g.note})` : ''}`;
  });
}

/** The terminal report: sections of rows, then the goals and any missing baseline. */
export function formatText(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [
    `${m.cpu}, ${m.cpus} CPUs${m.virtualized ? ' (VM)' : ''}, ${m.kernel}, Node ${m.node}, Wasm window ${m.wasm_window ? 'on' : 'off'}; load average ${m.load_average.start.toFixed(2)} → ${m.load_average.end.toFixed(2)}`,
  ];
  for (const [group, title] of SECTIONS) {
    const rows = results.cases.filter((c) => c.group === group).map(row);
    if (rows.length === 0) continue;
    out.push(`\n${title} (ns; median of ${results.config.rounds} rounds)`, textTable([HEADER, ...rows]));
  }
  out.push('\nGoals', ...goalLines(results, '  '));
  for (const m of results.missing_baselines) out.push(`\nBASELINE MISSING: ${m.baseline}: ${m.reason}`);
  return out.join('\n') + '\n';
}

/** The same as Markdown, with the machine it ran on. */
export function formatMarkdown(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [
    `Measured ${m.date.slice(0, 10)} on ${m.cpu} (${m.cpus} CPUs${m.virtualized ? ', virtual machine' : ''}, ${m.memory_gib} GiB), ` +
      `${m.kernel}, Node ${m.node} (V8 ${m.v8}, Wasm window ${m.wasm_window ? 'on' : 'off'}), ${m.c_compiler ?? 'no C compiler'}, ` +
      `${m.python ? `python ${m.python} with periphery` : 'no python-periphery'}; mapping: ${m.mapping}; ` +
      `load average ${m.load_average.start.toFixed(2)} at the start, ${m.load_average.end.toFixed(2)} at the end. ` +
      `${results.config.rounds} rounds; each figure is the median of one sample per round (min and max beside it).`,
  ];
  for (const [group, title] of SECTIONS) {
    const rows = results.cases.filter((c) => c.group === group).map(row);
    if (rows.length === 0) continue;
    out.push(`\n**${title}** (ns)\n`, markdownTable([HEADER, ...rows]));
  }
  out.push('\n**Goals**\n', ...goalLines(results, '- '));
  for (const b of results.missing_baselines) out.push(`\n**Baseline missing**: ${b.baseline}: ${b.reason}`);
  return out.join('\n') + '\n';
}
