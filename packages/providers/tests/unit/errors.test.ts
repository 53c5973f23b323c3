import { describe, expect, it } from 'vitest';
import {
  invalidInput,
  isProviderError,
  isRetryableCategory,
  PROVIDER_ERROR_CATEGORIES,
  ProviderError,
  redact,
  sanitizeCause,
} from '../../src/errors.js';

describe('ProviderError', () => {
  it('keeps every field and defaults retryable from the category', () => {
    const error = new ProviderError({
      provider: 'hetzner',
      category: 'rate_limited',
      message: 'slow down',
      statusCode: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 1500,
      requestId: 'req-1',
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'ProviderError',
      provider: 'hetzner',
      category: 'rate_limited',
      retryable: true,
      statusCode: 429,
      code: 'rate_limit_exceeded',
      retryAfterMs: 1500,
      requestId: 'req-1',
    });
    expect(String(error)).toBe('ProviderError: slow down');
  });

  it('lets the mapper override the retry verdict', () => {
    expect(
      new ProviderError({ provider: 'hetzner', category: 'conflict', message: 'x', retryable: true })
        .retryable,
    ).toBe(true);
    expect(
      new ProviderError({ provider: 'hetzner', category: 'unavailable', message: 'x', retryable: false })
        .retryable,
    ).toBe(false);
  });

  it('serialises to a secret-free summary without the cause', () => {
    const error = new ProviderError({
      provider: 'hetzner',
      category: 'network',
      message: 'failed',
      cause: new Error('socket hang up'),
    });
    error.cleanupErrors.push(
      new ProviderError({ provider: 'hetzner', category: 'timeout', message: 'cleanup timed out' }),
    );
    error.cleanupErrors.push('plain failure');
    const json = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;
    expect(json).toMatchObject({
      name: 'ProviderError',
      category: 'network',
      message: 'failed',
      retryable: true,
    });
    expect(json.cleanupErrors).toEqual([expect.objectContaining({ category: 'timeout' }), 'plain failure']);
    expect(JSON.stringify(error)).not.toContain('socket hang up');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('classifies exactly the transient categories as retryable', () => {
    const retryable = PROVIDER_ERROR_CATEGORIES.filter(isRetryableCategory);
    expect(retryable).toEqual(['rate_limited', 'unavailable', 'network', 'timeout']);
  });

  it('recognises provider errors by category', () => {
    const error = invalidInput('hetzner', 'vm.name', 'must not be empty');
    expect(error.message).toBe('Invalid vm.name: must not be empty');
    expect(error.field).toBe('vm.name');
    expect(isProviderError(error)).toBe(true);
    expect(isProviderError(error, 'invalid_input')).toBe(true);
    expect(isProviderError(error, 'auth', 'network')).toBe(false);
    expect(isProviderError(new Error('x'))).toBe(false);
  });
});

describe('redact', () => {
  it('removes raw and JSON-escaped secrets and ignores tiny ones', () => {
    const secret = 'line one\nline "two"';
    const text = `raw: ${secret} / json: ${JSON.stringify(secret)} / abc`;
    const result = redact(text, [secret, 'abc']);
    expect(result).not.toContain('line one');
    expect(result).toContain('[REDACTED]');
    expect(result.endsWith('abc')).toBe(true);
  });
});

describe('sanitizeCause', () => {
  it('copies name, message and code through the chain with secrets removed', () => {
    const inner = Object.assign(new Error('connect ECONNREFUSED token=supersecret'), {
      code: 'ECONNREFUSED',
    });
    const outer = new TypeError('fetch failed', { cause: inner });
    const copy = sanitizeCause(outer, ['supersecret']);
    expect(copy?.name).toBe('TypeError');
    expect(copy?.message).toBe('fetch failed');
    const nested = copy?.cause as Error & { code?: string };
    expect(nested.message).toBe('connect ECONNREFUSED token=[REDACTED]');
    expect(nested.code).toBe('ECONNREFUSED');
    expect(nested).not.toBe(inner);
    expect(copy?.stack).not.toContain('supersecret');
  });

  it('handles non-errors, absent causes and deep chains', () => {
    expect(sanitizeCause(undefined, [])).toBeUndefined();
    expect(sanitizeCause('text failure', [])?.message).toBe('text failure');
    let chain: Error = new Error('level 0');
    for (let level = 1; level < 10; level++) chain = new Error(`level ${level}`, { cause: chain });
    let depth = 0;
    for (let current: unknown = sanitizeCause(chain, []); current instanceof Error; current = current.cause)
      depth++;
    expect(depth).toBe(4);
  });
});
