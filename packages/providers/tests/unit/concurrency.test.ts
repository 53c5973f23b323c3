import { describe, expect, it } from 'vitest';
import { mapConcurrent } from '../../src/concurrency.js';

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
