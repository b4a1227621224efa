/**
 * The chart of a run, rendered headless to SVG with Vega-Lite (compiled to Vega, drawn by Vega's SVG
 * renderer; no browser, no canvas). Three panels: single accesses, block operations per word, polling.
 * Bars are medians (printed beside them) on a log scale; the thin rules span min to max.
 * @module
 */
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { BenchResults, CaseResult } from './results-model.js';

interface Bar {
  label: string;
  impl: string;
  median: number;
  min: number;
  max: number;
}

const MMIO_FAST = 'mmio (x86-64 fast path)';
const MMIO_NATIVE = 'mmio (native call)';
const C_LOOP = 'C volatile loop';
const PYTHON = 'python-periphery';
const NODE_BUFFER = 'Node Buffer';
const SET_IMMEDIATE = 'setImmediate turn';

function bar(label: string, impl: string, c: CaseResult | undefined): Bar[] {
  return c ? [{ label, impl, median: c.ns_per_op, min: c.min_ns, max: c.max_ns }] : [];
}

/** Which implementation a polling row stands for: the native spin, the JS spin, or the bare event-loop yield. */
function pollImpl(c: CaseResult): string {
  if (c.path.startsWith('native')) return MMIO_NATIVE;
  if (c.name === 'setImmediate turn') return SET_IMMEDIATE;
  return MMIO_FAST;
}

/** The rows of each panel, picked from the results by case name. */
function panels(results: BenchResults): { title: string; unit: string; bars: Bar[] }[] {
  const byName = new Map(results.cases.map((c) => [c.name, c]));
  const get = (name: string | null | undefined): CaseResult | undefined => (name ? byName.get(name) : undefined);
  const fastPath = (c: CaseResult | undefined): string => (c?.path.startsWith('Atomics') ? MMIO_FAST : MMIO_NATIVE);

  const single: Bar[] = [];
  for (const name of ['readl', 'readl_relaxed', 'readq', 'ioread32be', 'writel', 'writel_relaxed', 'writeq', 'iowrite32be']) {
    const c = get(name);
    single.push(...bar(name, fastPath(c), c), ...bar(name, MMIO_NATIVE, get(`${name} [native call]`)), ...bar(name, C_LOOP, get(c?.c_baseline)));
  }
  single.push(...bar('readl', PYTHON, get('python-periphery read32')), ...bar('writel', PYTHON, get('python-periphery write32')));
  single.push(...bar('readl', NODE_BUFFER, get('Buffer.readUInt32LE')), ...bar('writel', NODE_BUFFER, get('Buffer.writeUInt32LE')));

  const block: Bar[] = results.cases
    .filter((c) => c.group === 'block')
    .flatMap((c) => [...bar(c.name, MMIO_NATIVE, c), ...bar(c.name, C_LOOP, get(c.c_baseline))]);

  const poll: Bar[] = results.cases
    .filter((c) => c.group === 'poll')
    .flatMap((c) => {
      const label = c.name.replace('readl_poll_timeout_atomic reaction', 'atomic poll reaction');
      return [...bar(label, pollImpl(c), c), ...bar(label, C_LOOP, get(c.c_baseline))];
    });

  return [
    { title: 'Single accesses (ns per call, log scale)', unit: 'ns per call', bars: single },
    { title: 'Block operations (ns per 32-bit word, log scale)', unit: 'ns per word', bars: block },
    { title: 'Polling (ns, log scale)', unit: 'ns', bars: poll },
  ];
}

/** The chart as an SVG document. */
export async function renderChart(results: BenchResults): Promise<string> {
  const m = results.machine;
  const colors = [MMIO_FAST, MMIO_NATIVE, C_LOOP, PYTHON, NODE_BUFFER, SET_IMMEDIATE];
  const spec: vegaLite.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'mmio: median cost per operation, same-run baselines',
      subtitle: `${m.cpu}, ${m.cpus} CPUs${m.virtualized ? ' (VM)' : ''}, Node ${m.node}, ${m.date.slice(0, 10)}; rules: min–max of ${results.config.rounds} rounds`,
    },
    config: { font: 'sans-serif', view: { stroke: null } },
    resolve: { scale: { yOffset: 'independent', x: 'independent' } },
    vconcat: panels(results)
      .filter((p) => p.bars.length > 0)
      .map((p) => {
        // Log-scale bars need a start above zero: the power of ten at or below the smallest value.
        const floor = 10 ** Math.floor(Math.log10(Math.min(...p.bars.map((b) => b.min))));
        const impls = colors.filter((c) => p.bars.some((b) => b.impl === c));
        return {
          title: p.title,
          data: { values: p.bars },
          width: 520,
          height: { step: 11, for: 'offset' as const },
          encoding: {
            y: { field: 'label', type: 'nominal' as const, sort: null, title: null, axis: { labelLimit: 320 } },
            yOffset: { field: 'impl', type: 'nominal' as const, scale: { domain: impls } },
            color: { field: 'impl', type: 'nominal' as const, title: null, scale: { domain: colors }, legend: { orient: 'bottom' as const, columns: 3, labelLimit: 300 } },
          },
          layer: [
            {
              mark: { type: 'bar' as const },
              encoding: {
                x: { field: 'median', type: 'quantitative' as const, scale: { type: 'log' as const, domainMin: floor }, title: p.unit },
                x2: { datum: floor },
              },
            },
            { mark: { type: 'rule' as const, color: '#333' }, encoding: { x: { field: 'min', type: 'quantitative' as const }, x2: { field: 'max' } } },
            {
              mark: { type: 'text' as const, align: 'left' as const, dx: 3, dy: -4, fontSize: 8 },
              encoding: { x: { field: 'median', type: 'quantitative' as const }, text: { field: 'median', type: 'quantitative' as const, format: '.3~r' } },
            },
          ],
        };
      }),
  };
  const view = new vega.View(vega.parse(vegaLite.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
