/**
 * The README's quick start runs as written: the TypeScript block after `<!-- quickstart -->` is extracted,
 * its `from 'mmio'` pointed at the library's entry (lib/index.ts), written to a temporary module and imported;
 * what it prints must be what the block's `// …` comments on its console.log lines say it prints, and what the
 * prose under the block says. The README's "real hardware" line must be a drop-in for the block's one line
 * that opens the device.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const MARKER = '<!-- quickstart -->';

/** The first fenced block after the marker: its language and its text. */
function quickstart(): { lang: string; code: string } {
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md has no ${MARKER} marker`);
  const m = /^```(\w*)\n([\s\S]*?)^```$/m.exec(readme.slice(at + MARKER.length));
  if (!m) throw new Error(`README.md has no fenced code block after ${MARKER}`);
  return { lang: m[1], code: m[2] };
}

/** The expected output: the `// …` comment of each line that calls console.log, in order. */
function expectedLines(code: string): string[] {
  return code
    .split('\n')
    .filter((line) => /^\s*console\.log\(/.test(line))
    .map((line) => {
      const comment = /\/\/\s*(.*?)\s*$/.exec(line);
      if (!comment) throw new Error(`quick-start line without its expected output as a comment: ${line.trim()}`);
      return comment[1];
    });
}

const dir = mkdtempSync(join(tmpdir(), 'mmio-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README quick start', () => {
  const { lang, code } = quickstart();

  it('is a TypeScript block that imports from mmio', () => {
    expect(lang).toBe('ts');
    expect(code).toMatch(/from 'mmio';/);
  });

  it('runs on the simulator and prints what its comments say', async () => {
    const entry = join(root, 'lib', 'index.js');
    const local = code.replaceAll("from 'mmio'", `from '${entry}'`);
    expect(local).not.toContain("'mmio'");
    const file = join(dir, 'quickstart.ts');
    writeFileSync(file, local);

    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map(String).join(' '));
    });
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mockRestore();
    }

    const expected = expectedLines(code);
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(printed).toEqual(expected);
    // The prose right after the block names the same output.
    const after = readme.slice(readme.indexOf(code) + code.length, readme.indexOf(code) + code.length + 400);
    for (const line of expected) expect(after).toContain(`\`${line}\``);
  });

  it('has one line that the real-hardware version replaces', () => {
    const opening = code.split('\n').filter((line) => /^const edu = /.test(line));
    expect(opening).toEqual(['const edu = createSimEdu(), regs = edu.regs;']);
    const hardware = /^const edu = openUio\('uio_pci_generic'\), regs = edu\.map\(0\);/m.exec(readme);
    expect(hardware, 'README: the hardware version of the opening line').not.toBeNull();
    expect(code).toMatch(/import \{[^}]*\bopenUio\b[^}]*\} from 'mmio'/);
  });
});
