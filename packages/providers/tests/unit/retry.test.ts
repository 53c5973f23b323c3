import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortable, providerDelay } from '../../src/abort.js';
import {
  DEFAULT_RETRY_OPTIONS,
  parseRetryAfter,
  resolveRetryOptions,
  retryDelayMs,
} from '../../src/retry.js';

describe('retryDelayMs', () => {
  const policy = (random: number) =>
    resolveRetryOptions({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => random });

  it('doubles per retry with half of each step jittered', () => {
    expect([0, 1, 2].map((retry) => retryDelayMs(retry, policy(0)))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((retry) => retryDelayMs(retry, policy(0.999999)))).toEqual([100, 200, 400]);
  });

  it('never exceeds the cap', () => {
    expect(retryDelayMs(20, policy(0.999999))).toBe(1_000);
  });

  it('prefers the server-given delay, capped and never negative', () => {
    expect(retryDelayMs(0, policy(0.5), 700)).toBe(700);
    expect(retryDelayMs(0, policy(0.5), 60_000)).toBe(1_000);
    expect(retryDelayMs(0, policy(0.5), -5)).toBe(0);
  });

  it('defaults to three retries from 500 ms', () => {
    expect(resolveRetryOptions(undefined)).toEqual(DEFAULT_RETRY_OPTIONS);
    expect(DEFAULT_RETRY_OPTIONS).toMatchObject({ maxRetries: 3, baseDelayMs: 500, maxDelayMs: 30_000 });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['3', 3_000],
    ['0.5', 500],
    [' 10 ', 10_000],
    ['Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['Wed, 31 Dec 2025 23:59:00 GMT', 0],
  ])('reads %j as %i ms', (value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it.each([null, '', 'soon', '-3'])('ignores %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('providerDelay', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after the delay', async () => {
    vi.useFakeTimers();
    let done = false;
    const pending = providerDelay(1_000).then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(done).toBe(true);
  });

  it('rejects with the abort reason, before or during the wait', async () => {
    vi.useFakeTimers();
    const reason = new Error('stop');
    await expect(providerDelay(10, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const pending = providerDelay(10_000, { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('resolveRetryOptions and abortable', () => {
  it('keeps defaults for fields given as undefined', () => {
    expect(resolveRetryOptions({ maxRetries: undefined, baseDelayMs: 10 })).toMatchObject({
      maxRetries: 3,
      baseDelayMs: 10,
    });
  });

  it('passes a value through, or the abort reason as soon as the signal fires', async () => {
    expect(await abortable(Promise.resolve(1), undefined)).toBe(1);
    expect(await abortable(Promise.resolve(2), { signal: new AbortController().signal })).toBe(2);
    const reason = new Error('stop');
    await expect(abortable(Promise.resolve(3), { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    const controller = new AbortController();
    const pending = abortable(new Promise(() => {}), { signal: controller.signal });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(
      abortable(Promise.reject(new Error('inner')), { signal: new AbortController().signal }),
    ).rejects.toThrow('inner');
  });
});
