import { z } from 'zod';

/** How retryable failures are retried. */
export interface RetryOptions {
  /** Retries after the first attempt. Default 3. */
  maxRetries: number;
  /** Delay before the first retry, in milliseconds; doubles on each retry. Default 500. */
  baseDelayMs: number;
  /** Upper bound of any delay, including one asked for by `Retry-After`, in milliseconds. Default 30 000. */
  maxDelayMs: number;
  /**
   * Longest time one request may take, retries and waits included, in milliseconds: no retry starts that would end
   * past it. Default 60 000, so that no call blocks a request handler for long.
   */
  maxElapsedMs: number;
  /** Source of randomness for jitter, returning [0, 1). Default `Math.random`. */
  random: () => number;
}

/** The default retry policy. */
export const DEFAULT_RETRY_OPTIONS: Readonly<RetryOptions> = Object.freeze({
  maxRetries: 3,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxElapsedMs: 60_000,
  random: Math.random,
});

/** A caller's partial retry policy, validated (a NaN or infinite count would retry forever). */
export const retryOptionsSchema = z
  .object({
    maxRetries: z.number().int().min(0).max(10),
    baseDelayMs: z.number().min(0).max(60_000),
    maxDelayMs: z.number().min(0).max(600_000),
    maxElapsedMs: z.number().min(0).max(3_600_000),
    random: z.custom<() => number>((value) => typeof value === 'function', 'must be a function'),
  })
  .partial()
  .optional();

/** Merge a partial policy over the defaults; fields given as `undefined` keep their default. */
export function resolveRetryOptions(
  options: { [Key in keyof RetryOptions]?: RetryOptions[Key] | undefined } | undefined,
): RetryOptions {
  const given = Object.entries(options ?? {}).filter(([, value]) => value !== undefined);
  return { ...DEFAULT_RETRY_OPTIONS, ...Object.fromEntries(given) };
}

/**
 * Delay before retry number `retry` (0 for the first retry). A server-given delay wins (capped); otherwise
 * exponential backoff with "equal jitter": half the exponential step is fixed, half random, so retries from many
 * clients spread out without ever retrying at once.
 */
export function retryDelayMs(retry: number, options: RetryOptions, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), options.maxDelayMs);
  const exponential = Math.min(options.baseDelayMs * 2 ** retry, options.maxDelayMs);
  return Math.round(exponential / 2 + (exponential / 2) * options.random());
}

/**
 * Parse a `Retry-After` header: delta-seconds or an HTTP date. Returns milliseconds from `now`, or `undefined`
 * when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP date always names its day and month; without letters, Date.parse would read "-3" as a year.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(date - now, 0);
}
