/**
 * worker_threads: the addon is context-aware (one state per thread); several workers and the main thread
 * mapping one region see each other's stores; a worker's mappings (and interrupt waits) are released however it
 * ends; nothing a worker leaves behind can crash the process. Workers run the built library (dist/), as a
 * program would.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync, truncateSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { beforeAll, describe, expect, it } from 'vitest';
import { mapFile, pageSize } from '../lib/index.js';
import { mappingsOf, tempFile } from './helpers/temp-file.js';

const libUrl = new URL('../dist/lib/index.js', import.meta.url).href;
const nodeGypBuild = createRequire(import.meta.url).resolve('node-gyp-build');
const root = new URL('..', import.meta.url).pathname;

/** How many lines of /proc/self/maps name this file: its live mappings, in every thread. */
const openFds = () => readdirSync('/proc/self/fd').length;

/**
 * Start a worker running `body` (an async function body with `m` = the library, `data` = workerData,
 * `post` = postMessage). Resolves with its messages and exit code once it has exited.
 */
function runWorker(
  body: string,
  data: Record<string, unknown> = {},
  onMessage?: (msg: unknown, worker: Worker) => void,
): { worker: Worker; done: Promise<{ messages: unknown[]; code: number; error?: Error }> } {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const post = (v) => parentPort.postMessage(v);
    const data = workerData;
    import(${JSON.stringify(libUrl)}).then(async (m) => { ${body} });`;
  const worker = new Worker(code, { eval: true, workerData: data });
  const messages: unknown[] = [];
  let error: Error | undefined;
  worker.on('message', (msg) => {
    messages.push(msg);
    onMessage?.(msg, worker);
  });
  worker.on('error', (e) => {
    error = e;
  });
  const done = new Promise<{ messages: unknown[]; code: number; error?: Error }>((resolve) =>
    worker.once('exit', (code) => resolve({ messages, code, error })),
  );
  return { worker, done };
}

// Node's first worker opens a descriptor of its own for good (/dev/null): start one before anything counts them.
beforeAll(async () => {
  await new Promise((resolve) => new Worker('', { eval: true }).once('exit', resolve));
});

describe('worker_threads', () => {
  it('four workers and the main thread map one region and pass a token around through it, each seeing the others\' stores', async () => {
    const WORKERS = 4;
    const ROUNDS = 25;
    const file = tempFile(4096);
    try {
      const main = mapFile(file.path, 0, 4096);
      // Slot i (a 32-bit word at 4 * i) holds the round in which node i got the token; node 0 is the main thread.
      const body = `
        const r = m.mapFile(data.path, 0, 4096);
        const me = data.index, next = (me + 1) % (data.workers + 1);
        post('ready');
        for (let round = 1; round <= data.rounds; round++) {
          await r.readl_poll_timeout(4 * me, { mask: 0xffffffff, value: round }, 1000, 10_000_000);
          r.writel(round, 4 * next);
        }
        r.writeb(0xa0 + me, 0x100 + me);             // every width, from every thread
        r.writeq(BigInt(me) << 40n | 0xbeefn, 0x200 + 8 * me);
        post('done');`;
      const workers = Array.from({ length: WORKERS }, (_, i) =>
        runWorker(body, { path: file.path, index: i + 1, workers: WORKERS, rounds: ROUNDS }),
      );
      await Promise.all(
        workers.map(({ worker }) => new Promise((resolve) => worker.once('message', resolve))), // all mapped
      );
      expect(mappingsOf(file.path)).toBe(WORKERS + 1);
      for (let round = 1; round <= ROUNDS; round++) {
        main.writel(round, 4);
        await main.readl_poll_timeout(0, { mask: 0xffffffff, value: round }, 1000, 10_000_000);
      }
      const results = await Promise.all(workers.map(({ done }) => done));
      expect(results.map((r) => [r.code, r.error, r.messages])).toEqual(
        Array.from({ length: WORKERS }, () => [0, undefined, ['ready', 'done']]),
      );
      for (let i = 1; i <= WORKERS; i++) {
        expect(main.readl(4 * i)).toBe(ROUNDS);
        expect(main.readb(0x100 + i)).toBe(0xa0 + i);
        expect(main.readq(0x200 + 8 * i)).toBe((BigInt(i) << 40n) | 0xbeefn);
      }
      expect(mappingsOf(file.path)).toBe(1); // the workers' mappings went with them
      main.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it.each([
    ['returns normally (mappings left mapped)', '', undefined],
    ['calls process.exit()', 'process.exit(3);', undefined],
    ['throws an uncaught exception', 'throw new Error("boom");', undefined],
    ['is terminated in a tight access loop', 'for (;;) { for (const r of rs) { r.writel(r.readl(0) + 1, 0); } }', 'terminate'],
    ['is terminated during a sleeping poll', 'await rs[0].readl_poll_timeout(0, () => false, 1000, 0);', 'terminate'],
  ] as const)('a worker that %s releases its mappings; the process lives on', async (_name, tail, how) => {
    const file = tempFile(4096);
    const fds = openFds();
    let seenMapped = -1;
    try {
      const { done } = runWorker(
        `const rs = Array.from({ length: 8 }, () => m.mapFile(data.path, 0, 4096));
         post('mapped');
         await new Promise((resolve) => parentPort.once('message', resolve));
         ${tail}`,
        { path: file.path },
        (msg, worker) => {
          if (msg === 'mapped') {
            seenMapped = mappingsOf(file.path);
            worker.postMessage('go');
            if (how === 'terminate') setTimeout(() => void worker.terminate(), 20);
          }
        },
      );
      const result = await done;
      expect(result.messages).toEqual(['mapped']);
      expect(seenMapped).toBe(8);
      expect(mappingsOf(file.path)).toBe(0);
      expect(openFds()).toBe(fds);
      // The main thread maps and accesses the same file as before.
      const r = mapFile(file.path, 0, 4096);
      r.writel(1, 0);
      expect(r.readl(0)).toBe(1);
      r.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it.each(['terminate', 'process.exit'] as const)(
    'a worker with an interrupt wait pending can end (%s): the wait is closed, the process lives on',
    (how) => {
      // In a fresh process whose main thread never loads the addon, so the worker's teardown unloads it: a poll
      // handle closed after that would call into unloaded code. A FIFO stands in for /dev/uioN (pollable; a
      // 4-byte write is an interrupt count).
      const file = tempFile(0, 'irq');
      const fifo = `${file.path}.fifo`;
      execFileSync('mkfifo', [fifo]);
      try {
        const script = `
          const { Worker } = require('node:worker_threads');
          const fs = require('node:fs');
          // Node's first worker opens a descriptor of its own (/dev/null) for good: start one before counting.
          new Worker('', { eval: true }).once('exit', () => {
          const fdsBefore = fs.readdirSync('/proc/self/fd').length;
          const w = new Worker(\`
            const { parentPort } = require('node:worker_threads');
            import(${JSON.stringify(libUrl)}).then(async (m) => {
              const irq = new m.UioInterrupts(${JSON.stringify(fifo)}, 0);
              parentPort.postMessage('open');
              const first = await irq.wait({ timeoutMs: 5000 });   // a real wake-up first
              parentPort.postMessage(first.count);
              irq.wait().catch(() => {});                            // then one left pending
              parentPort.postMessage('waiting');
              ${how === 'process.exit' ? 'setTimeout(() => process.exit(0), 20);' : ''}
            });\`, { eval: true });
          const seen = [];
          w.on('message', (msg) => {
            seen.push(msg);
            if (msg === 'open') {
              const writer = fs.openSync(${JSON.stringify(fifo)}, 'r+');
              fs.writeSync(writer, Buffer.from(Uint32Array.of(7).buffer));
              fs.closeSync(writer);
            }
            if (msg === 'waiting' && ${JSON.stringify(how)} === 'terminate') setTimeout(() => w.terminate(), 20);
          });
          w.on('exit', () => setTimeout(() => {
            const fdsAfter = fs.readdirSync('/proc/self/fd').length;
            console.log(JSON.stringify({ seen, fdsLeaked: fdsAfter - fdsBefore, alive: true }));
          }, 50));
          });`;
        const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
        expect(JSON.parse(out)).toEqual({ seen: ['open', 7, 'waiting'], fdsLeaked: 0, alive: true });
      } finally {
        file.cleanup();
      }
    },
  );

  it('a bus fault in a worker is an EFAULT error there; the main thread\'s mapping of the same file is unharmed', async () => {
    const page = pageSize();
    const file = tempFile(4 * page);
    try {
      const main = mapFile(file.path, 0, page);
      main.writel(0x5a5a, 0);
      const { done } = runWorker(
        `const r = m.mapFile(data.path, 0, 4 * data.page);
         post('mapped');
         await new Promise((resolve) => require('node:worker_threads').parentPort.once('message', resolve));
         try { r.readl(3 * data.page); post('no fault'); } catch (e) { post({ code: e.code, signal: e.signal, offset: e.offset }); }
         r.iounmap();`,
        { path: file.path, page },
        (msg, worker) => {
          if (msg === 'mapped') {
            truncateSync(file.path, page);
            worker.postMessage('go');
          }
        },
      );
      const result = await done;
      expect(result.code).toBe(0);
      expect(result.messages).toEqual(['mapped', { code: 'EFAULT', signal: 'SIGBUS', offset: 3 * page }]);
      expect(main.readl(0)).toBe(0x5a5a);
      main.iounmap();
    } finally {
      file.cleanup();
    }
  });

  it('workers that leave thousands of mappings behind give back the fault guard\'s slots: faults in the main thread stay guarded', async () => {
    const file = tempFile(4096);
    try {
      // 5 × 1000 mappings left to teardown: more than the guard's 4096 slots if teardown did not release them.
      for (let i = 0; i < 5; i++) {
        const { done } = runWorker(
          `globalThis.keep = Array.from({ length: 1000 }, () => m.mapFile(data.path, 0, 4096)); post(keep.length);`,
          { path: file.path },
        );
        expect((await done).messages).toEqual([1000]);
      }
      expect(mappingsOf(file.path)).toBe(0);
      const page = pageSize();
      const victim = tempFile(2 * page);
      try {
        const r = mapFile(victim.path, 0, 2 * page);
        truncateSync(victim.path, page);
        expect(() => r.readl(page)).toThrow(expect.objectContaining({ code: 'EFAULT' }));
        r.iounmap();
      } finally {
        victim.cleanup();
      }
    } finally {
      file.cleanup();
    }
  });

  it('a mapping\'s memory posted from a worker arrives as a copy (or is refused): usable after the worker is gone, never the unmapped memory', async () => {
    const file = tempFile(4096);
    try {
      const code = `
        const { parentPort, workerData } = require('node:worker_threads');
        const addon = require(workerData.nodeGypBuild)(workerData.root);
        const m = addon.map(workerData.path, 0n, 4096, { sync: true, readOnly: false });
        addon.bindAccessors(m.handle).write32(0x1234, 0);
        try {
          parentPort.postMessage({ buffer: m.buffer }, [m.buffer]);   // asks to transfer it: Node 20 copies it
          parentPort.postMessage({ transfer: 'copied' });
        } catch (e) {
          parentPort.postMessage({ transfer: e.name });               // Node 22 and later refuse
          parentPort.postMessage({ buffer: m.buffer });               // a plain post clones it
        }
        import(workerData.libUrl).then((lib) => {
          const r = lib.mapFile(workerData.path, 0, 4096);
          parentPort.postMessage({ region: r });                      // a region clones to plain data
        });`;
      const worker = new Worker(code, { eval: true, workerData: { path: file.path, nodeGypBuild, root, libUrl } });
      const messages: Array<Record<string, unknown>> = [];
      worker.on('message', (m) => messages.push(m));
      await new Promise((resolve) => worker.once('exit', resolve));
      expect(mappingsOf(file.path)).toBe(0);
      const find = <T>(key: string) => (messages.find((m) => key in m) as Record<string, T>)[key];
      expect(['copied', 'DataCloneError']).toContain(find<string>('transfer'));
      const buffer = find<ArrayBuffer>('buffer');
      const region = find<Record<string, unknown>>('region');
      const words = new Uint32Array(buffer);
      expect(words[0]).toBe(0x1234);
      words[1] = 0xffff; // the copy, not the file
      expect(readFileSync(file.path).readUInt32LE(4)).toBe(0);
      expect(region).toEqual({ size: 4096, phys: 0n, path: file.path });
      expect((region as { readl?: unknown }).readl).toBeUndefined();
    } finally {
      file.cleanup();
    }
  });
});
