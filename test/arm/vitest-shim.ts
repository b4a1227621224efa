/**
 * A stand-in for `vitest` where the suite runs without it: on the official ARM Node.js builds (arm64 24,
 * armv7l 20) under qemu-user and in the ARM QEMU guests, where vitest would need its bundler's native
 * binding for that architecture (see test/hw-arm64/run.sh). The test files are bundled unchanged by
 * test/arm/bundle-tests.mjs with `vitest` pointing here: `expect` is vitest's own (@vitest/expect on chai,
 * the same matchers), and describe/it/hooks are node:test's, which reports with its TAP summary
 * ("# pass N", "# fail N") under `--test-reporter=tap` (Node 24 reports as spec by default, even into a file).
 */
import * as nodeTest from 'node:test';
import {
  ASYMMETRIC_MATCHERS_OBJECT,
  ChaiStyleAssertions,
  GLOBAL_EXPECT,
  JestAsymmetricMatchers,
  JestChaiExpect,
  JestExtend,
  chai,
  getState,
  setState,
} from '@vitest/expect';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(ChaiStyleAssertions);
chai.use(JestAsymmetricMatchers);

type Fn = (...args: never[]) => unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const expect: any = (value: unknown, message?: string) => {
  const { assertionCalls } = getState(expect);
  setState({ assertionCalls: assertionCalls + 1 }, expect);
  return chai.expect(value, message);
};
Object.assign(expect, chai.expect);
Object.assign(expect, (globalThis as Record<symbol, unknown>)[ASYMMETRIC_MATCHERS_OBJECT]);
expect.getState = () => getState(expect);
expect.setState = (s: object) => setState(s, expect);
setState({ assertionCalls: 0, isExpectingAssertions: false, currentTestName: '' }, expect);
expect.assert = chai.assert;
expect.extend = (m: object) => chai.expect.extend(expect, m);
(globalThis as Record<symbol, unknown>)[GLOBAL_EXPECT] = expect;
export { expect };

function withTimeout(timeout: unknown): { timeout?: number } {
  return typeof timeout === 'number' ? { timeout } : {};
}
function format(name: string, args: unknown[]): string {
  let k = 0;
  return name.replace(/%[sdijo]/g, () => String(args[k++]));
}
function eachOf(run: (name: string, fn: Fn, timeout?: number) => unknown) {
  return (cases: unknown[]) => (name: string, fn: Fn, timeout?: number) => {
    for (const c of cases) {
      const args = Array.isArray(c) ? c : [c];
      run(format(name, args), () => (fn as (...a: unknown[]) => unknown)(...args), timeout);
    }
  };
}

// MMIO_TEST_SKIP: a regular expression; tests whose name matches are reported as skipped, with the reason in
// MMIO_TEST_SKIP_REASON (e.g. under qemu-user a test that starts another node process cannot run).
const skipRe = process.env.MMIO_TEST_SKIP ? new RegExp(process.env.MMIO_TEST_SKIP) : undefined;
const skipWhy = process.env.MMIO_TEST_SKIP_REASON ?? 'MMIO_TEST_SKIP';

function makeIt(base: typeof nodeTest.it) {
  const it = (name: string, fn?: Fn, timeout?: number) =>
    skipRe?.test(name)
      ? base.skip(`${name} [${skipWhy}]`)
      : base(name, withTimeout(timeout), fn ? async () => void (await (fn as () => unknown)()) : undefined);
  return Object.assign(it, {
    skip: (name: string, fn?: Fn) => base.skip(name, fn as never),
    only: it,
    todo: (name: string) => base.todo(name),
    each: eachOf(it),
    skipIf: (cond: unknown) => (cond ? (name: string) => base.skip(name) : it),
    runIf: (cond: unknown) => (cond ? it : (name: string) => base.skip(name)),
  });
}
export const it = makeIt(nodeTest.it);
export const test = it;

const describeBase = (name: string, fn: () => void) => nodeTest.describe(name, () => void fn());
export const describe = Object.assign(describeBase, {
  skip: (name: string, fn: () => void) => nodeTest.describe.skip(name, fn),
  only: describeBase,
  each: eachOf((name, fn) => describeBase(name, fn as () => void)),
  skipIf: (cond: unknown) => (cond ? (name: string, fn: () => void) => nodeTest.describe.skip(name, fn) : describeBase),
  runIf: (cond: unknown) => (cond ? describeBase : (name: string, fn: () => void) => nodeTest.describe.skip(name, fn)),
});

const hook = (h: (fn: Fn, opts?: object) => void) => (fn: Fn, timeout?: number) => h(async () => void (await (fn as () => unknown)()), withTimeout(timeout));
export const beforeAll = hook(nodeTest.before as never);
export const afterAll = hook(nodeTest.after as never);
export const beforeEach = hook(nodeTest.beforeEach as never);
export const afterEach = hook(nodeTest.afterEach as never);
