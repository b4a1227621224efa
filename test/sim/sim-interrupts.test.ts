import { describe, expect, it } from 'vitest';
import type { InterruptEvent } from '../../lib/core/interrupts.js';
import { SimInterrupts } from '../../lib/sim/index.js';

/** Resolves true if `promise` has settled by the next macrotask. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('SimInterrupts wait', () => {
  it('a pending wait resolves when the line is raised, with count 1 and nothing missed', async () => {
    const irq = new SimInterrupts({ name: 'dev' });
    const waiting = irq.wait();
    expect(await settled(waiting)).toBe(false);
    irq.raise();
    await expect(waiting).resolves.toEqual({ count: 1, missed: 0 });
    expect(irq.count).toBe(1);
    expect(irq.path).toBe('sim:dev');
  });

  it('an interrupt before the wait is reported at once', async () => {
    const irq = new SimInterrupts();
    irq.setLevel(true);
    await expect(irq.wait()).resolves.toEqual({ count: 1, missed: 0 });
  });

  it('each interrupt is reported once: a second wait waits for the next one', async () => {
    const irq = new SimInterrupts();
    irq.raise();
    await irq.wait();
    const second = irq.wait({ timeoutMs: 5 });
    await expect(second).rejects.toMatchObject({ code: 'ETIMEDOUT' });
  });

  it('interrupts delivered without a waiter are counted as missed', async () => {
    const irq = new SimInterrupts();
    irq.raise(); // delivered, count 1, masked
    irq.unmask(); // line still asserted: delivered again, count 2
    irq.unmask(); // and again, count 3
    expect(irq.count).toBe(3);
    await expect(irq.wait()).resolves.toEqual({ count: 3, missed: 2 });
    irq.lower();
    irq.unmask();
    irq.raise();
    await expect(irq.wait()).resolves.toEqual({ count: 4, missed: 0 });
  });

  it('one wait at a time: a second concurrent wait rejects with ERR_IRQ_WAIT_PENDING (as on UIO)', async () => {
    const irq = new SimInterrupts();
    const first = irq.wait();
    await expect(irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_WAIT_PENDING' });
    irq.raise();
    await expect(first).resolves.toEqual({ count: 1, missed: 0 });
    irq.unmask(); // still asserted: interrupts again
    await expect(irq.wait()).resolves.toEqual({ count: 2, missed: 0 });
  });
});

describe('SimInterrupts masking (UIO semantics)', () => {
  it('masks itself after each interrupt until unmask', async () => {
    const irq = new SimInterrupts();
    irq.raise();
    expect(irq.masked).toBe(true);
    irq.lower();
    irq.raise(); // masked: held, not delivered
    expect(irq.count).toBe(1);
    irq.unmask();
    expect(irq.count).toBe(2);
  });

  it('an interrupt raised while masked is held and delivered on unmask', async () => {
    const irq = new SimInterrupts();
    irq.mask();
    const waiting = irq.wait();
    irq.raise();
    expect(irq.pending).toBe(true);
    expect(await settled(waiting)).toBe(false);
    expect(irq.count).toBe(0);
    irq.unmask();
    await expect(waiting).resolves.toEqual({ count: 1, missed: 0 });
  });

  it('level: a line lowered again while masked delivers nothing on unmask', () => {
    const irq = new SimInterrupts();
    irq.mask();
    irq.setLevel(true);
    irq.setLevel(false);
    expect(irq.level).toBe(false);
    irq.unmask();
    expect(irq.count).toBe(0);
    expect(irq.masked).toBe(false);
  });

  it('edge: edges latched while masked are delivered once on unmask', () => {
    const irq = new SimInterrupts({ trigger: 'edge' });
    irq.mask();
    irq.raise();
    irq.raise();
    irq.lower(); // no effect on a latched edge
    irq.unmask();
    expect(irq.count).toBe(1);
    irq.unmask();
    expect(irq.count).toBe(1);
    irq.setLevel(true);
    expect(irq.count).toBe(2);
  });

  it('rejects an unknown trigger', () => {
    expect(() => new SimInterrupts({ trigger: 'both' as 'edge' })).toThrow(RangeError);
  });
});

describe('SimInterrupts timeout and abort', () => {
  it('timeoutMs rejects with ETIMEDOUT', async () => {
    const irq = new SimInterrupts({ name: 'slow' });
    const started = Date.now();
    const error = await irq.wait({ timeoutMs: 20 }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    expect(error).toMatchObject({ code: 'ETIMEDOUT', errno: -110, syscall: 'poll', path: 'sim:slow' });
    expect((error as Error).message).toMatch(/20 ms/);
  });

  it('timeoutMs 0 only checks', async () => {
    const irq = new SimInterrupts();
    await expect(irq.wait({ timeoutMs: 0 })).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    irq.raise();
    await expect(irq.wait({ timeoutMs: 0 })).resolves.toEqual({ count: 1, missed: 0 });
  });

  it('an interrupt before the timeout wins, and the timer does not fire later', async () => {
    const irq = new SimInterrupts();
    const waiting = irq.wait({ timeoutMs: 30 });
    irq.raise();
    await expect(waiting).resolves.toEqual({ count: 1, missed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    irq.unmask();
    await expect(irq.wait({ timeoutMs: 0 })).resolves.toEqual({ count: 2, missed: 0 });
  });

  it('aborting rejects with an AbortError carrying the reason', async () => {
    const irq = new SimInterrupts();
    const controller = new AbortController();
    const waiting = irq.wait({ signal: controller.signal });
    controller.abort('stop');
    const error = await waiting.catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: 'stop' });
    // The aborted waiter is gone: the next interrupt goes to the next wait.
    irq.raise();
    await expect(irq.wait()).resolves.toEqual({ count: 1, missed: 0 });
  });

  it('an already aborted signal rejects at once', async () => {
    const irq = new SimInterrupts();
    irq.raise();
    await expect(irq.wait({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'ABORT_ERR' });
  });

  it('rejects bad options', async () => {
    const irq = new SimInterrupts();
    await expect(irq.wait({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(irq.wait({ timeoutMs: Infinity })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(irq.wait({ timeoutMs: NaN })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' });
    await expect(irq.wait({ timeoutMs: 2 ** 31 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' }); // MAX_WAIT_MS + 1
    await expect(irq.wait({ timeoutMs: '5' as unknown as number })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(irq.wait(null as unknown as undefined)).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    await expect(irq.wait({ signal: {} as AbortSignal })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('SimInterrupts close', () => {
  it('rejects a pending wait and later waits with ERR_IRQ_CLOSED', async () => {
    const irq = new SimInterrupts({ name: 'gone' });
    const pending = irq.wait({ timeoutMs: 1000 });
    irq.close();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
    await expect(irq.wait()).rejects.toThrow(/sim:gone/);
    expect(irq.closed).toBe(true);
  });

  it('a second close is harmless; mask/unmask throw; the line no longer delivers', () => {
    const irq = new SimInterrupts();
    irq.close();
    expect(() => irq.close()).not.toThrow();
    expect(() => irq.unmask()).toThrow(expect.objectContaining({ code: 'ERR_IRQ_CLOSED' }));
    expect(() => irq.mask()).toThrow(expect.objectContaining({ code: 'ERR_IRQ_CLOSED' }));
    irq.raise();
    expect(irq.count).toBe(0);
  });

  it('Symbol.dispose closes', async () => {
    const irq = new SimInterrupts();
    irq[Symbol.dispose]();
    await expect(irq.wait()).rejects.toMatchObject({ code: 'ERR_IRQ_CLOSED' });
  });
});

describe('SimInterrupts async iterator', () => {
  it('yields one event per interrupt and ends when closed', async () => {
    const irq = new SimInterrupts();
    const events: InterruptEvent[] = [];
    const loop = (async () => {
      for await (const event of irq) {
        events.push(event);
        irq.lower(); // "acknowledge the device"
        irq.unmask();
        if (events.length === 2) setImmediate(() => irq.close());
      }
    })();
    irq.raise();
    await new Promise((resolve) => setImmediate(resolve));
    irq.raise();
    await loop;
    expect(events).toEqual([
      { count: 1, missed: 0 },
      { count: 2, missed: 0 },
    ]);
  });

  it('breaking out of the loop leaves the source open', async () => {
    const irq = new SimInterrupts();
    irq.raise();
    for await (const event of irq) {
      expect(event.count).toBe(1);
      break;
    }
    expect(irq.closed).toBe(false);
    irq.lower();
    irq.unmask();
    irq.raise();
    await expect(irq.wait()).resolves.toEqual({ count: 2, missed: 0 });
  });
});
