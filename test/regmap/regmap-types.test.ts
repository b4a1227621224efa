/**
 * "A typo fails to compile": test/fixtures/regmap-typos.ts is compiled with the project's compiler options through
 * the TypeScript API, twice.
 * 1. As it is: no diagnostics at all. So every `// @ts-expect-error` directive is used (tsc reports an unused one
 *    as error TS2578), and every line without one compiles with the types its `assertType` checks state.
 * 2. With the directives removed: exactly the lines after them fail, each with the error text its directive
 *    names, and nothing else does. So each marked line fails on its own, for the reason stated.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/regmap-typos.ts');
const DIRECTIVE = /\/\/ @ts-expect-error: (.*)$/;

function compilerOptions(): ts.CompilerOptions {
  const configFile = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  return { ...parsed.options, noEmit: true };
}

interface Found {
  line: number; // 1-based
  text: string;
}

let previous: ts.Program | undefined;

/**
 * Compile `fixture` with its text replaced by `text`: its own diagnostics and the global ones (the library's
 * files are checked by the build; here only the fixture is). The second compile reuses the first's files.
 */
function compile(text: string): Found[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.readFile = (name) => (resolve(name) === fixture ? text : readFile(name));
  host.getSourceFile = (name, version, onError, create) =>
    resolve(name) === fixture ? ts.createSourceFile(name, text, version) : getSourceFile(name, version, onError, create);
  const program = ts.createProgram([fixture], options, host, previous);
  previous = program;
  const file = program.getSourceFile(fixture);
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getGlobalDiagnostics(),
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  return diagnostics.map((d) => ({
    line: d.file === undefined || d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line + 1,
    text: `${d.file === undefined ? '' : d.file.fileName.replace(root + '/', '') + ': '}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`,
  }));
}

const source = readFileSync(fixture, 'utf8');
const expectations = source
  .split('\n')
  .map((line, index) => ({ directiveLine: index + 1, match: DIRECTIVE.exec(line) }))
  .filter((e) => e.match !== null)
  .map((e) => ({ line: e.directiveLine + 1, text: e.match![1].trim() }));

let asIs: Found[];
let stripped: Found[];
beforeAll(() => {
  asIs = compile(source);
  stripped = compile(source.replace(/\/\/ @ts-expect-error: .*$/gm, '// (expected error)'));
}, 60_000);

describe('register map types (test/fixtures/regmap-typos.ts)', () => {
  it('has a good number of checks', () => {
    expect(expectations.length).toBeGreaterThanOrEqual(20);
  });

  it('compiles cleanly as it is: every @ts-expect-error is needed, every assertType holds', () => {
    expect(asIs).toEqual([]);
  });

  it('without the directives, exactly the marked lines fail, each for the stated reason', () => {
    const failingLines = [...new Set(stripped.map((d) => d.line))].sort((a, b) => a - b);
    expect(failingLines).toEqual(expectations.map((e) => e.line));
    for (const { line, text } of expectations) {
      const messages = stripped.filter((d) => d.line === line).map((d) => d.text);
      expect(messages.some((m) => m.includes(text)), `line ${line}: expected an error containing ${JSON.stringify(text)}, got ${JSON.stringify(messages)}`).toBe(true);
    }
  });
});
