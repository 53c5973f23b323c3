import { describe, expect, it } from 'vitest';
import { TransitionClock } from '../src/core/clock.js';
import { FaultPlan } from '../src/core/faults.js';
import { createRandom, randomUuid } from '../src/core/random.js';

describe('TransitionClock', () => {
  it('applies steps at once in instant mode', () => {
    const clock = new TransitionClock();
    const applied: string[] = [];
    clock.schedule(1_000, () => {
      applied.push('a');
      clock.schedule(500, () => applied.push('b'));
    });
    expect(applied).toEqual(['a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('holds steps in manual mode until virtual time reaches them, in due order', () => {
    const clock = new TransitionClock({ mode: 'manual' });
    const applied: string[] = [];
    clock.schedule(300, () => applied.push('late'));
    clock.schedule(100, () => {
      applied.push('early');
      clock.schedule(100, () => applied.push('chained'));
    });
    expect(clock.advance(99)).toBe(0);
    expect(clock.advance(1)).toBe(1);
    expect(applied).toEqual(['early']);
    expect(clock.advance(200)).toBe(2);
    expect(applied).toEqual(['early', 'chained', 'late']);
    clock.schedule(5, () => applied.push('settled'));
    expect(clock.settle()).toBe(1);
    expect(applied.at(-1)).toBe('settled');
  });

  it('runs steps on real timers in realtime mode, scaled by speed', async () => {
    const clock = new TransitionClock({ mode: 'realtime', speed: 100 });
    const done = new Promise<void>((resolve) => clock.schedule(500, resolve));
    expect(clock.pending).toBe(1);
    await done;
    expect(clock.pending).toBe(0);
  });

  it('can switch modes and drop pending steps', () => {
    const clock = new TransitionClock({ mode: 'manual' });
    const applied: string[] = [];
    clock.schedule(100, () => applied.push('a'));
    clock.setMode({ mode: 'realtime', speed: 1 });
    clock.setMode({ mode: 'instant' });
    expect(applied).toEqual(['a']);
    clock.setMode({ mode: 'manual' });
    clock.schedule(100, () => applied.push('b'));
    clock.clear();
    expect(clock.settle()).toBe(0);
    expect(clock.mode).toEqual({ mode: 'manual' });
  });
});

describe('FaultPlan', () => {
  it('matches by method and path, counts hits and expires after `times`', () => {
    const plan = new FaultPlan(createRandom(1));
    const handle = plan.add({ method: 'get', path: '/v1/servers*', status: 503, times: 2 });
    expect(plan.take('POST', '/v1/servers')).toBeUndefined();
    expect(plan.take('GET', '/v2/servers')).toBeUndefined();
    expect(plan.take('GET', '/v1/servers/1')?.status).toBe(503);
    expect(plan.take('GET', '/v1/servers')?.status).toBe(503);
    expect(plan.take('GET', '/v1/servers')).toBeUndefined();
    expect(handle.hits).toBe(2);
  });

  it('supports exact paths, patterns, removal and clearing', () => {
    const plan = new FaultPlan(createRandom(1));
    const exact = plan.add({ path: '/a', drop: true });
    plan.add({ path: /^\/b\/\d+$/, status: 500 });
    expect(plan.take('GET', '/a/b')).toBeUndefined();
    expect(plan.take('GET', '/a')?.drop).toBe(true);
    expect(plan.take('GET', '/b/12')?.status).toBe(500);
    exact.remove();
    expect(plan.take('GET', '/a')).toBeUndefined();
    plan.clear();
    expect(plan.take('GET', '/b/12')).toBeUndefined();
  });

  it('fires with the given probability from a seeded source, repeatably', () => {
    const run = (seed: number) => {
      const plan = new FaultPlan(createRandom(seed));
      plan.add({ probability: 0.25, status: 429 });
      return Array.from({ length: 4_000 }, () => plan.take('GET', '/x') !== undefined);
    };
    const first = run(7);
    expect(run(7)).toEqual(first);
    const rate = first.filter(Boolean).length / first.length;
    expect(rate).toBeGreaterThan(0.22);
    expect(rate).toBeLessThan(0.28);
  });
});

describe('FaultPlan repeats', () => {
  it('comes back on the next min–max requests to the same method and path, whatever the probability', () => {
    const plan = new FaultPlan(createRandom(3));
    const handle = plan.add({
      path: '/v1/volumes*',
      status: 503,
      probability: 0.5,
      repeat: { min: 2, max: 2 },
    });
    // Draws until the first hit, then exactly two repeats on that path, while another path is untouched by them.
    let first = 0;
    while (plan.take('DELETE', '/v1/volumes/1') === undefined) first++;
    expect(first).toBeLessThan(50);
    const other = new FaultPlan(createRandom(3));
    other.add({ path: '/v1/volumes*', status: 503, probability: 0, repeat: { min: 2, max: 2 } });
    expect(other.take('DELETE', '/v1/volumes/1')).toBeUndefined();
    expect(plan.take('DELETE', '/v1/volumes/1')?.status).toBe(503);
    expect(plan.take('DELETE', '/v1/volumes/1')?.status).toBe(503);
    expect(handle.hits).toBe(3);
  });

  it('draws the number of repeats from min–max, keeps them per path, and stops at `times`', () => {
    const plan = new FaultPlan(createRandom(11));
    plan.add({ path: '/x*', status: 500, probability: 0.05, repeat: { min: 1, max: 4 } });
    // Interleaved paths: a burst on /x/a is owed to /x/a only.
    const runs = { a: [] as number[], b: [] as number[] };
    const current = { a: 0, b: 0 };
    for (let take = 0; take < 40_000; take++) {
      const path = take % 2 === 0 ? 'a' : 'b';
      if (plan.take('GET', `/x/${path}`) !== undefined) current[path]++;
      else if (current[path] > 0) {
        runs[path].push(current[path]);
        current[path] = 0;
      }
    }
    for (const lengths of [runs.a, runs.b]) {
      // Every hit comes back at least once; bursts of 1 + 1…4 all occur.
      expect(lengths.length).toBeGreaterThan(50);
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(2);
      for (const length of [2, 3, 4, 5]) expect(lengths).toContain(length);
    }
    const capped = new FaultPlan(createRandom(5));
    const handle = capped.add({ path: '/y', status: 500, times: 2, repeat: { min: 4, max: 4 } });
    expect(capped.take('GET', '/y')).toBeDefined();
    expect(capped.take('GET', '/y')).toBeDefined();
    expect(capped.take('GET', '/y')).toBeUndefined();
    expect(handle.hits).toBe(2);
    expect(() => capped.add({ repeat: { min: 3, max: 1 } })).toThrow('repeat needs');
  });
});

describe('random', () => {
  it('draws repeatable, well-formed UUIDs', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const first = randomUuid(a);
    expect(randomUuid(b)).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(randomUuid(a)).not.toBe(first);
  });
});
