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

describe('ProviderError, SAM positional constructor', () => {
  it('sets providerName, provider, statusCode, message, providerCode, code, context and cause', () => {
    const cause = new Error('upstream said no');
    const error = new ProviderError('hetzner', 412, 'hetzner API error (412): error during placement', {
      providerCode: 'placement_error',
      context: { location: 'fsn1', attempts: 2, nested: { ids: [1, 2] } },
      cause,
    });
    expect(error.providerName).toBe('hetzner');
    expect(error.provider).toBe('hetzner');
    expect(error.statusCode).toBe(412);
    expect(error.message).toBe('hetzner API error (412): error during placement');
    expect(error.providerCode).toBe('placement_error');
    expect(error.code).toBe('placement_error');
    expect(error.context).toEqual({ location: 'fsn1', attempts: 2, nested: { ids: [1, 2] } });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('ProviderError');
    expect(error.cleanupErrors).toEqual([]);
    expect(String(error)).toBe('ProviderError: hetzner API error (412): error during placement');
  });

  it('leaves the optional fields undefined without options', () => {
    const error = new ProviderError('scaleway', 500, 'boom');
    expect(error.providerCode).toBeUndefined();
    expect(error.code).toBeUndefined();
    expect(error.context).toBeUndefined();
    expect(error.cause).toBeUndefined();
    expect('cause' in error).toBe(false);
    expect(error.retryAfterMs).toBeUndefined();
    expect(error.requestId).toBeUndefined();
    expect(error.field).toBeUndefined();
  });

  it.each([
    [401, 'auth', false],
    [403, 'permission', false],
    [404, 'not_found', false],
    [409, 'conflict', false],
    [412, 'conflict', false],
    [422, 'invalid_request', false],
    [429, 'rate_limited', true],
    [500, 'unavailable', true],
    [503, 'unavailable', true],
  ] as const)('defaults the category of status %s to %s (retryable: %s)', (status, category, retryable) => {
    const error = new ProviderError('hetzner', status, 'x');
    expect(error.category).toBe(category);
    expect(error.retryable).toBe(retryable);
    expect(error.statusCode).toBe(status);
  });

  it('defaults the category to unknown without a status', () => {
    const error = new ProviderError('hetzner', undefined, 'no status');
    expect(error.category).toBe('unknown');
    expect(error.statusCode).toBeUndefined();
    expect(error.retryable).toBe(false);
  });

  it.each([
    ['transient_capacity', 'capacity'],
    ['quota_exceeded', 'quota'],
    ['invalid_config', 'invalid_request'],
    ['auth_error', 'auth'],
    ['rate_limited', 'rate_limited'],
    ['unknown', 'unknown'],
  ] as const)('maps the SAM category %s to %s, whatever the status', (sam, ours) => {
    expect(new ProviderError('hetzner', 503, 'x', { category: sam }).category).toBe(ours);
    expect(new ProviderError('hetzner', undefined, 'x', { category: sam }).category).toBe(ours);
  });

  it('lets every one of our own categories through unchanged', () => {
    for (const category of PROVIDER_ERROR_CATEGORIES) {
      const error = new ProviderError('scaleway', 400, 'x', { category });
      expect(error.category).toBe(category);
      expect(error.retryable).toBe(isRetryableCategory(category));
    }
  });

  it('honours retryable and retryAfterMs from the options', () => {
    const error = new ProviderError('hetzner', 429, 'slow down', { retryable: false, retryAfterMs: 2_000 });
    expect(error.category).toBe('rate_limited');
    expect(error.retryable).toBe(false);
    expect(error.retryAfterMs).toBe(2_000);
    expect(new ProviderError('hetzner', 409, 'busy', { retryable: true }).retryable).toBe(true);
  });

  it('is a ProviderError and an Error', () => {
    const error = new ProviderError('hetzner', 503, 'down');
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toBeInstanceOf(Error);
    expect(isProviderError(error)).toBe(true);
    expect(isProviderError(error, 'unavailable')).toBe(true);
    expect(error.stack).toContain('down');
  });

  it('serialises providerName, providerCode and context, but never the cause', () => {
    const error = new ProviderError('hetzner', 503, 'No cx23 capacity', {
      providerCode: 'resource_unavailable',
      category: 'transient_capacity',
      context: { location: 'fsn1', serverType: 'cx23' },
      cause: new Error('cause text with token=abcdef123456'),
    });
    const json = error.toJSON();
    expect(json).toMatchObject({
      name: 'ProviderError',
      provider: 'hetzner',
      providerName: 'hetzner',
      providerCode: 'resource_unavailable',
      category: 'capacity',
      statusCode: 503,
      message: 'No cx23 capacity',
      context: { location: 'fsn1', serverType: 'cx23' },
    });
    expect(json).not.toHaveProperty('cause');
    const text = JSON.stringify(error);
    expect(text).not.toContain('cause text');
    expect(text).not.toContain('abcdef123456');
    expect(JSON.parse(text)).toMatchObject({ providerName: 'hetzner', providerCode: 'resource_unavailable' });
  });

  it('still accepts the init object, and fills providerName and providerCode from it', () => {
    const error = new ProviderError({
      provider: 'scaleway',
      category: 'capacity',
      message: 'Scaleway API 503 out_of_stock: resource is out of stock',
      statusCode: 503,
      code: 'out_of_stock',
      requestId: 'req-9',
      field: 'vm.size',
      context: { zone: 'fr-par-1' },
    });
    expect(error).toMatchObject({
      provider: 'scaleway',
      providerName: 'scaleway',
      code: 'out_of_stock',
      providerCode: 'out_of_stock',
      category: 'capacity',
      statusCode: 503,
      requestId: 'req-9',
      field: 'vm.size',
      context: { zone: 'fr-par-1' },
      retryable: false,
    });
    expect(error.toJSON()).toMatchObject({ providerName: 'scaleway', providerCode: 'out_of_stock' });
  });
});
