/**
 * Runs the hostile battery (test/hostile/cases.ts): the cases that cannot crash the process in batches, one child
 * process per batch (test/hostile/child.mjs); the isolated ones each in a child of its own. A batch child that
 * dies or stalls has its unreported cases run again one per child, so every crash or hang is pinned on its case.
 * Outcomes: `ok` (the exact expected outcome), `wrong` (another value or error), `hang`, `crash`.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HostileCase } from './cases.js';

export type Verdict = 'ok' | 'wrong' | 'hang' | 'crash';

export interface CaseResult {
  id: string;
  expected: string;
  result: string;
  verdict: Verdict;
}

interface ChildRun {
  reported: Map<string, string>;
  /** How the child ended: `exit N`, `signal SIG…`, or `killed (stalled)`. */
  end: string;
  stderr: string;
}

function runChild(built: string, root: string, cases: HostileCase[], budgetMs: number): Promise<ChildRun> {
  const dir = mkdtempSync(join(tmpdir(), 'mmio-battery-'));
  const input = join(dir, 'cases.json');
  writeFileSync(input, JSON.stringify({ built, root, cases }));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'test/hostile/child.mjs'), input], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reported = new Map<string, string>();
    let buffered = '';
    let stderr = '';
    let stalled = false;
    // A stall: nothing reported for longer than the slowest case may take.
    let timer: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stalled = true;
        child.kill('SIGKILL');
      }, budgetMs);
    };
    arm();
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const { id, text } = JSON.parse(line) as { id: string; text: string };
          reported.set(id, text);
          arm();
        } catch {
          // not a result line
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      resolve({ reported, end: stalled ? 'killed (stalled)' : signal ? `signal ${signal}` : `exit ${code}`, stderr });
    });
  });
}

const verdictOf = (expected: string, result: string): Verdict => (result === expected ? 'ok' : result === 'hang' ? 'hang' : 'wrong');

/** Run `cases`; batches of `batchSize`, `parallel` children at a time. */
export async function runBattery(built: string, root: string, cases: HostileCase[], batchSize = 150, parallel = 2): Promise<CaseResult[]> {
  const results = new Map<string, CaseResult>();
  const budget = (list: HostileCase[]) => Math.max(...list.map((c) => c.timeoutMs ?? 3000)) + 5000;
  const alone = async (c: HostileCase): Promise<void> => {
    const run = await runChild(built, root, [c], budget([c]));
    const text = run.reported.get(c.id);
    if (text !== undefined && (run.end === 'exit 0' || c.isolate !== true)) {
      results.set(c.id, { id: c.id, expected: c.expected, result: text, verdict: verdictOf(c.expected, text) });
    } else if (text !== undefined) {
      results.set(c.id, { id: c.id, expected: c.expected, result: `${text}, then ${run.end}`, verdict: 'crash' });
    } else {
      const hang = run.end === 'killed (stalled)';
      const last = run.stderr.trim().split('\n').slice(-2).join(' | ');
      results.set(c.id, { id: c.id, expected: c.expected, result: `${run.end}${last ? `: ${last}` : ''}`, verdict: hang ? 'hang' : 'crash' });
    }
  };
  const batched = cases.filter((c) => c.isolate !== true);
  const jobs: (() => Promise<void>)[] = [];
  for (let i = 0; i < batched.length; i += batchSize) {
    const batch = batched.slice(i, i + batchSize);
    jobs.push(async () => {
      const run = await runChild(built, root, batch, budget(batch));
      for (const c of batch) {
        const text = run.reported.get(c.id);
        if (text !== undefined) results.set(c.id, { id: c.id, expected: c.expected, result: text, verdict: verdictOf(c.expected, text) });
      }
      // The child died or stalled: pin it on the case (run each unreported one alone).
      for (const c of batch) if (!run.reported.has(c.id)) await alone(c);
    });
  }
  for (const c of cases.filter((x) => x.isolate === true)) jobs.push(() => alone(c));
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) await jobs[next++]();
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return cases.map((c) => results.get(c.id) ?? { id: c.id, expected: c.expected, result: 'not run', verdict: 'crash' as Verdict });
}

/** The table for docs/reliability.md: counts, then one row per case. */
export function renderBattery(results: CaseResult[], where: string): string {
  const count = (v: Verdict) => results.filter((r) => r.verdict === v).length;
  const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/`/g, "'");
  const lines = [
    `${where}: ${results.length} cases, ${count('ok')} as expected, ${count('crash')} crashes, ${count('hang')} hangs, ${count('wrong')} wrong.`,
    '',
    '| case | expected | result |',
    '| --- | --- | --- |',
    ...results.map((r) => `| ${esc(r.id)} | ${esc(r.expected)} | ${r.verdict === 'ok' ? 'as expected' : `**${r.verdict}**: ${esc(r.result)}`} |`),
  ];
  return lines.join('\n');
}
