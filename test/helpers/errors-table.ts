/**
 * The errors table's harness and renderer. The rows are data: test/errors-table.test.ts holds and runs the host
 * rows, test/hw/errors-table.rows.ts holds the guest rows that test/hw/errors-table.hw.test.ts runs in the QEMU
 * rig, and docs/errors.md is rendered from both (the host test fails when the file differs; regenerate with
 * `npm run docs:errors`).
 *
 * Every row is checked the same way (see {@link checkRow}): the error's class, `code` and exact `message`;
 * that the failing call left no descriptor open and nothing mapped; and, after the row's own cleanup, that
 * the process is back where it started.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** A row of the table. `C` is what the harness hands the row (host or guest fixtures). */
export interface ErrorRow<C, S = unknown> {
  /** Section heading in docs/errors.md. */
  group: string;
  /** The bad input or condition, in words (markdown). */
  condition: string;
  /** Error class: `RangeError`, `TypeError` or `Error`. `null` with `code: null`: the call must not throw. */
  errorClass: 'RangeError' | 'TypeError' | 'Error' | 'AbortError' | null;
  /** The error's `code`, or null for a row documenting a call that succeeds (double iounmap). */
  code: string | null;
  /** The exact message; `{name}` stands for a value of the run (a path, a pid), shown as `<name>` in the docs. */
  message: string;
  /** Makes what the call needs (a mapped region, a claim…); everything made through `t` is released after. */
  setup?: (t: C) => S | Promise<S>;
  /** The failing call. May return a promise (it must reject). */
  act: (s: S, t: C) => unknown;
  /** Extra checks after the failure (e.g. the claim was released). */
  after?: (s: S, t: C) => void | Promise<void>;
  /** The failing access itself changes the mappings (a bus fault maps a page over the faulting one). */
  faultMapsPage?: boolean;
}

/** What every harness context offers. */
export interface BaseContext {
  /** Values for the `{name}` placeholders of messages. */
  vars: Record<string, string>;
  /** Release everything made for the row. */
  dispose(): Promise<void>;
}

/** A description of a thrown value: class, code, message. */
export interface Outcome {
  errorClass: string | null;
  code: string | null;
  message: string;
  /** The error's `hint`, if it has one. */
  hint?: string;
  /** A child process's own leak check (rows that run as another user). */
  child?: { before: Snapshot; after: Snapshot };
}

/** An error that a child process (another user) reported; see {@link runAsUser}. */
export class ChildOutcome extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.message);
  }
}

/** Open descriptors and device/file mappings of this process. */
export interface Snapshot {
  fds: number;
  /** Paths of mappings of device files, sysfs files and the row's temporary files (one entry per VMA). */
  maps: string[];
}

const TRACKED = /(^\/dev\/|^\/sys\/|mmio-errors-)/;

/** The current {@link Snapshot}. */
export function snapshot(): Snapshot {
  const maps = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .map((l) => l.split(/\s+/).slice(5).join(' '))
    .filter((p) => TRACKED.test(p))
    .sort();
  return { fds: readdirSync('/proc/self/fd').length, maps };
}

/** The same in a child process's script (for {@link runAsUser}). */
const SNAPSHOT_SOURCE = `() => ({
  fds: readdirSync('/proc/self/fd').length,
  maps: readFileSync('/proc/self/maps', 'utf8').split('\\n').map((l) => l.split(/\\s+/).slice(5).join(' '))
    .filter((p) => ${TRACKED.toString()}.test(p)).sort(),
})`;

function describeThrown(e: unknown): Outcome {
  if (e instanceof ChildOutcome) return e.outcome;
  const err = e as Error & { code?: unknown };
  const errorClass = err?.name === 'AbortError' ? 'AbortError' : (err?.constructor?.name ?? typeof e);
  const hint = (err as { hint?: unknown })?.hint;
  return { errorClass, code: (err?.code as string | undefined) ?? null, message: String(err?.message ?? e), hint: typeof hint === 'string' ? hint : undefined };
}

async function capture(call: () => unknown): Promise<Outcome> {
  try {
    await call();
    return { errorClass: null, code: null, message: '' };
  } catch (e) {
    return describeThrown(e);
  }
}

/** Replace `{name}` placeholders with the run's values. */
export function expand(message: string, vars: Record<string, string>): string {
  return message.replace(/\{(\w+)\}/g, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`errors table: no value for ${whole} in the message '${message}'`);
    return vars[name];
  });
}

/**
 * Run one row: setup, the failing call, the checks, cleanup. Throws (a vitest assertion) on any difference.
 * @param makeContext makes a fresh context for the row
 */
export async function checkRow<C extends BaseContext>(row: ErrorRow<C, any>, makeContext: () => C): Promise<void> {
  const start = snapshot();
  const t = makeContext();
  try {
    const state = await row.setup?.(t);
    const before = snapshot();
    const outcome = await capture(() => row.act(state, t));
    const after = snapshot();
    const { child, hint, ...seen } = outcome;
    expect(seen).toEqual({ errorClass: row.errorClass, code: row.code, message: row.code === null ? '' : expand(row.message, t.vars) });
    if (row.code !== null) expect(hint?.trim() ?? '', `${row.code} has no hint`).not.toBe('');
    if (child) expect(child.after, 'the child process leaked a descriptor or a mapping').toEqual(child.before);
    if (!row.faultMapsPage) expect(after, 'the failing call left something open or mapped').toEqual(before);
    await row.after?.(state, t);
  } finally {
    await t.dispose();
  }
  expect(snapshot(), 'the row left something open or mapped after its cleanup').toEqual(start);
}

/**
 * Run `body` (the inside of an async function that gets the library as `m`) in a child process as `uid`/`gid`
 * and throw what it threw as a {@link ChildOutcome}, with the child's own descriptor/mapping check. For rows
 * that need a non-root user (EACCES on /dev/mem, EPERM from ioperm). Root only.
 */
export function runAsUser(uid: number, gid: number, body: string, libUrl: string): never {
  const script = `
    import { chmodSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
    const m = await import(${JSON.stringify(libUrl)});
    const snap = ${SNAPSHOT_SOURCE};
    snap();
    const before = snap();
    let out;
    try {
      await (async () => { ${body} })();
      out = { errorClass: null, code: null, message: '' };
    } catch (e) {
      out = { errorClass: e?.name === 'AbortError' ? 'AbortError' : e?.constructor?.name, code: e?.code ?? null, message: String(e?.message ?? e), hint: typeof e?.hint === 'string' ? e.hint : undefined };
    }
    out.child = { before, after: snap() };
    process.stdout.write(JSON.stringify(out));`;
  const res = spawnSync(nodeForOtherUsers(), ['--input-type=module', '-e', script], { uid, gid, encoding: 'utf8', timeout: 30_000 });
  if (res.status !== 0 || !res.stdout) {
    throw new Error(`child as uid ${uid} failed (status ${res.status}): ${res.stderr || res.error}`);
  }
  throw new ChildOutcome(JSON.parse(res.stdout) as Outcome);
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/**
 * This process's node binary, made reachable for other users together with the repository (its dist/, build/ and
 * node_modules/), for tests that run a child as another user. Every folder above them must be searchable by others;
 * where one is not (the pinned Node versions of test/node-versions live under /root/.cache, and a clone may too),
 * it is given o+x, but only inside the QEMU rig (MMIO_VM set), whose writes go to a RAM overlay and vanish.
 * @throws outside the rig when something is out of reach.
 */
export function nodeForOtherUsers(): string {
  const node = realpathSync(process.execPath);
  for (const target of [node, realpathSync(REPO)]) {
    const parts = target.split('/').filter(Boolean);
    for (let i = 0; i < parts.length; i++) {
      const p = '/' + parts.slice(0, i + 1).join('/');
      const { mode } = statSync(p);
      const last = i === parts.length - 1;
      const need = last && target === node ? 0o005 : 0o001;
      if ((mode & need) === need) continue;
      if (process.env.MMIO_VM === undefined) {
        throw new Error(`${p} is out of reach for other users (mode ${(mode & 0o777).toString(8)}): cannot run a test as another user here`);
      }
      chmodSync(p, (mode & 0o7777) | need);
    }
  }
  return node;
}

// ---------------------------------------------------------------------------------------------------------
// docs/errors.md

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return '`' + cell(text).replace(/`/g, "'") + '`';
}

/** The message as the docs show it: placeholders as `<name>`. */
function docMessage(message: string): string {
  return message.replace(/\{(\w+)\}/g, '<$1>');
}

/** docs/errors.md, rendered from the rows. */
export function renderErrorsMarkdown(
  host: ErrorRow<any, any>[],
  guest: ErrorRow<any, any>[],
  placeholders: Record<string, string>,
  calls: Map<string, SourceCall>,
): string {
  const callOf = (r: ErrorRow<any, any>): string => {
    const call = calls.get(r.condition);
    if (call === undefined) throw new Error(`errors table: no act in the source for '${r.condition}'`);
    return call.shown;
  };
  const rows = [...host.map((r) => ({ r, where: 'host' })), ...guest.map((r) => ({ r, where: 'guest' }))];
  const groups = [...new Set(rows.map(({ r }) => r.group))];
  const errors = rows.filter(({ r }) => r.code !== null).length;
  const codes = [...new Set(rows.map(({ r }) => r.code).filter((c): c is string => c !== null))].sort();
  const out: string[] = [
    '# Errors: every bad input and condition, and what it gets',
    '',
    '<!-- Generated from the rows in test/errors-table.test.ts and test/hw/errors-table.rows.ts by `npm run docs:errors`. Do not edit. -->',
    '',
    `${rows.length} rows (${errors} errors, ${rows.length - errors} documented non-errors), ${codes.length} codes: ${codes.map((c) => '`' + c + '`').join(', ')}.`,
    'Each row is a test: test/errors-table.test.ts runs the rows marked *host* on every `npm test`, and',
    'test/hw/errors-table.hw.test.ts runs the rows marked *guest* in the QEMU rig (`npm run test:vm`: real',
    '`/dev/mem`, UIO, PCI sysfs, a non-root user). Each checks the class, the `code` and the exact message, that the',
    'failing call left no file descriptor open and nothing mapped (from `/proc/self/fd` and `/proc/self/maps`), and',
    'that everything is back where it started after the row. The host test also fails when this file differs from the',
    'rows, so the two cannot drift. The call column is generated from each row\'s `act` as written in the source',
    '(harness names shown as a driver writes them: `t.file` as `file`, run-time values as `<name>`), so a row cannot',
    'show one call and run another.',
    '',
    'System call errors (`EACCES`, `ENOENT`, …) also carry `errno` (negative, as Node\'s fs errors), `syscall`,',
    '`path` and `hint`; the message is Node\'s fs message and the hint, `CODE: description, syscall \'path\' (hint)`.',
    'Argument errors are `RangeError` / `TypeError` with a Node-style `code`; every error here also carries a one-line',
    '`hint` (for an argument error: what a valid value looks like), checked non-empty by each row. Placeholders in messages:',
    '',
    '| placeholder | stands for |',
    '| --- | --- |',
    ...Object.entries(placeholders).map(([k, v]) => `| \`<${k}>\` | ${cell(v)} |`),
    '',
  ];
  for (const group of groups) {
    out.push(`## ${group}`, '', '| # | where | condition | call | class | code | message |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const { r, where } of rows.filter(({ r }) => r.group === group)) {
      const n = rows.findIndex((x) => x.r === r) + 1;
      out.push(
        `| ${n} | ${where} | ${cell(r.condition)} | ${code(callOf(r))} | ${r.errorClass ?? '—'} | ${r.code === null ? '— (no error)' : '`' + r.code + '`'} | ${r.code === null ? cell(r.message) : code(docMessage(r.message))} |`,
      );
    }
    out.push('');
  }
  return out.join('\n');
}

/** A row's `act` as its source file has it. */
export interface SourceCall {
  /** The act as written (the whole function). */
  source: string;
  /** Its body in the docs' spelling: the call column. */
  shown: string;
}

/**
 * The call column of docs/errors.md, generated from the code that runs: for each object literal with a
 * string-literal `condition` and an arrow or function `act` in a rows file, the act's body as written in the source
 * (read with the TypeScript parser, so literals stay as typed: `0x1000`, not the 4096 a transpiled
 * `Function.prototype.toString` gives), in the docs' spelling ({@link normalizeCall}). No row types its call by
 * hand, so no row can show one call and run another; {@link callNames} ties each row's run-time `act` to the
 * source shown.
 * @returns condition → the row's act as the source has it, and as the docs show it
 * @throws when two rows share a condition (the column could not tell them apart)
 */
export async function sourceCalls(...files: string[]): Promise<Map<string, SourceCall>> {
  const ts = (await import('typescript')).default;
  const out = new Map<string, SourceCall>();
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (node: import('typescript').Node): void => {
      if (ts.isObjectLiteralExpression(node)) {
        const prop = (name: string) =>
          node.properties.find((p): p is import('typescript').PropertyAssignment => ts.isPropertyAssignment(p) && p.name.getText(source) === name);
        const condition = prop('condition')?.initializer;
        const act = prop('act')?.initializer;
        if (condition && act && ts.isStringLiteralLike(condition) && (ts.isArrowFunction(act) || ts.isFunctionExpression(act))) {
          if (out.has(condition.text)) throw new Error(`errors table: two rows with the condition '${condition.text}'`);
          out.set(condition.text, { source: act.getText(source), shown: normalizeCall(act.body.getText(source)) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return out;
}

/** The docs' spelling of harness code (see {@link sourceCalls}): `t.file` → `file`, `any(x)` → `x`, `t.vars.x` → `<x>`… */
export function normalizeCall(text: string): string {
  let s = text.replace(/\s+/g, ' ').trim();
  if (s.startsWith('{') && s.endsWith('}')) s = s.slice(1, -1).trim();
  s = s.replace(/^return /, '').replace(/;$/, '');
  s = s.replace(/\bt\.(file|dir)\b/g, '$1');
  // any<T>(x) / any(x) → x, innermost first (x may itself hold parentheses)
  for (let guard = 0; guard < 20 && /\bany(<(?:=>|[^<>])*>)?\(/.test(s); guard++) {
    const m = /\bany(<(?:=>|[^<>])*>)?\(/.exec(s)!;
    let depth = 1;
    let k = m.index + m[0].length;
    for (; k < s.length && depth > 0; k++) depth += s[k] === '(' ? 1 : s[k] === ')' ? -1 : 0;
    s = s.slice(0, m.index) + s.slice(m.index + m[0].length, k - 1) + s.slice(k);
  }
  s = s.replace(/\bu8\(/g, 'new Uint8Array(');
  s = s.replace(/\(\(([^()]*) as unknown\) as \w+\)/g, '($1)').replace(/ as unknown as \w+/g, '');
  s = s.replace(/(\w+(?:\.\w+)*)\.call\(\w+\)/g, '$1()'); // f.call(r) is r.f()
  // Run-time values as the docs' placeholders.
  s = s.replace(/\$\{JSON\.stringify\(t\.vars\.(\w+)\)\}/g, "'<$1>'").replace(/\$\{t\.vars\.(\w+)\}/g, '<$1>').replace(/\bt\.vars\.(\w+)/g, '<$1>');
  s = s.replace(/\$\{(\w+)\}/g, '<$1>'); // `${t.file}.missing` reads '<file>.missing', as the messages show it
  s = s.replace(/[`"]/g, "'");
  s = s.replace(/^asNobody\('m\.(.*)'\)$/, '$1 // as nobody');
  return s.replace(/^await /, '').replace(/; await /g, '; ');
}

/**
 * The names called in `code`, in order (`r.readl(0x1000)` → `['readl']`): what a run-time `act.toString()` and the
 * source text shown for it must share, whatever the transpiler did to literals, types and spacing.
 */
export function callNames(code: string): string[] {
  // A transpiler may call an import as (0, __vite_ssr_import_1__.mapFile)(…): that is a call of mapFile.
  const plain = code.replace(/\(0,\s*[\w$]+\.([\w$]+)\)/g, '$1').replace(/\bany(<(?:=>|[^<>])*>)?\(/g, '(');
  return [...plain.matchAll(/([A-Za-z_$][\w$]*)\s*(?:<[^<>()]*>)?\(/g)]
    .map((m) => m[1])
    .filter((n) => !['any', 'u8', 'async', 'function'].includes(n));
}

/**
 * The rows whose run-time `act` does not make the calls of the act the source shows for their condition (or whose
 * act is not found in the source): what the docs' call column must never hide. Empty when every row agrees.
 */
export function rowsWithWrongCalls(rows: readonly { condition: string; act: (...args: never[]) => unknown }[], calls: Map<string, SourceCall>): string[] {
  const wrong: string[] = [];
  for (const row of rows) {
    const call = calls.get(row.condition);
    if (call === undefined) wrong.push(`${row.condition}: act not found in the source`);
    else if (callNames(row.act.toString()).join() !== callNames(call.source).join()) {
      wrong.push(`${row.condition}: shows '${call.shown}', runs '${row.act.toString()}'`);
    }
  }
  return wrong;
}
