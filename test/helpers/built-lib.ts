/**
 * The project compiled for child processes (which cannot load .ts): dist/ when it is newer than every source under
 * lib/ and cli/, else a fresh compile into .cache/<name>/ (so a stale dist/ never hides a change, and dist/ is not
 * rewritten under other test files). The addon is found from there as from dist/ (lib/linux/addon.ts walks up to
 * binding.gyp).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/** The folder holding the compiled lib/ and cli/ (as dist/ does), compiling into .cache/`name` if dist/ is stale. */
export function builtProject(name: string): string {
  const sources = Math.max(newestSource(join(projectRoot, 'cli')), newestSource(join(projectRoot, 'lib')));
  const dist = join(projectRoot, 'dist');
  const marker = (dir: string) => join(dir, 'lib/index.js');
  if (existsSync(marker(dist)) && statSync(marker(dist)).mtimeMs >= sources) return dist;
  const out = join(projectRoot, '.cache', name);
  if (existsSync(marker(out)) && statSync(marker(out)).mtimeMs >= sources) return out;
  try {
    execFileSync(process.execPath, [join(projectRoot, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', out], {
      cwd: projectRoot,
      stdio: 'pipe',
    });
  } catch (e) {
    // Type errors elsewhere in the tree still emit JavaScript (the type-check reports them); a failed emit does not.
    if (!(existsSync(marker(out)) && statSync(marker(out)).mtimeMs >= sources)) {
      throw new Error(`could not compile the project into ${out}: run npm run build`, { cause: e });
    }
  }
  return out;
}
