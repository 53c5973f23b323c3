import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConnectionSlots, mapConcurrent } from '../../src/concurrency.js';

describe('mapConcurrent', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapConcurrent([5, 1, 4, 2, 3], 2, async (value) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, value));
      running--;
      return value * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(peak).toBe(2);
  });

  it('rejects with the first failure and starts no new task after it', async () => {
    const started: number[] = [];
    const failure = await mapConcurrent([1, 2, 3, 4, 5], 1, async (value) => {
      started.push(value);
      if (value === 2) throw new Error('task 2 failed');
      return value;
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe('task 2 failed');
    expect(started).toEqual([1, 2]);
    expect(await mapConcurrent([], 3, async () => 1)).toEqual([]);
  });
});

describe('ConnectionSlots', () => {
  it('watches a caller’s signal once however many of its requests queue, and aborts them all', async () => {
    const slots = new ConnectionSlots(2);
    const controller = new AbortController();
    const held = [
      await slots.acquire(10_000, controller.signal),
      await slots.acquire(10_000, controller.signal),
    ];
    const queued = Array.from({ length: 30 }, () => slots.acquire(10_000, controller.signal));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    // A granted waiter stops being watched; the last one removes the listener.
    held[0]?.release();
    await queued[0];
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    const outcomes = await Promise.allSettled(queued.slice(1));
    expect(outcomes.every((outcome) => outcome.status === 'rejected' && outcome.reason === reason)).toBe(
      true,
    );
    expect(slots.queued).toBe(0);
    const other = new AbortController();
    const again = slots.acquire(10_000, other.signal);
    held[1]?.release();
    await again;
    expect(getEventListeners(other.signal, 'abort')).toHaveLength(0);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('grants up to the limit at once, then in arrival order as slots are released', async () => {
    const slots = new ConnectionSlots(2);
    const first = await slots.acquire(1_000, undefined);
    const second = await slots.acquire(1_000, undefined);
    const granted: string[] = [];
    const third = slots.acquire(1_000, undefined).then((slot) => {
      granted.push('third');
      return slot;
    });
    const fourth = slots.acquire(1_000, undefined).then((slot) => {
      granted.push('fourth');
      return slot;
    });
    expect([slots.active, slots.queued]).toEqual([2, 2]);
    first.release();
    first.release(); // idempotent: frees one slot only
    await third;
    expect(granted).toEqual(['third']);
    expect([slots.active, slots.queued]).toEqual([2, 1]);
    second.release();
    (await fourth).release();
    (await third).release();
    expect([slots.active, slots.queued]).toEqual([0, 0]);
  });

  it('rejects a waiter with its own reason when it aborts, and forgets it', async () => {
    const slots = new ConnectionSlots(1);
    const held = await slots.acquire(1_000, undefined);
    const controller = new AbortController();
    const reason = new Error('left the queue');
    const waiting = slots.acquire(1_000, controller.signal);
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    expect(slots.queued).toBe(0);
    await expect(slots.acquire(1_000, AbortSignal.abort(reason))).rejects.toBe(reason);
    held.release();
    expect(slots.active).toBe(0);
  });

  it('takes back a slot whose holder vanished once its lease ran out, so the queue never stalls', async () => {
    vi.useFakeTimers();
    const slots = new ConnectionSlots(1);
    await slots.acquire(5_000, undefined); // never released: its context is gone
    let granted = false;
    const waiting = slots.acquire(5_000, undefined).then((slot) => {
      granted = true;
      return slot;
    });
    await vi.advanceTimersByTimeAsync(4_999);
    expect(granted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    (await waiting).release();
    expect(granted).toBe(true);
    expect([slots.active, slots.queued]).toEqual([0, 0]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
