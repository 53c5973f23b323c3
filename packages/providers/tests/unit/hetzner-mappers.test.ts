import { describe, expect, it } from 'vitest';
import { mapHetznerError, mapHetznerServer, mapHetznerStatus } from '../../src/hetzner-mappers.js';

const headers = (values: Record<string, string> = {}) => new Headers(values);
const body = (code: string, message = 'something happened') => ({ error: { code, message, details: {} } });

describe('mapHetznerError', () => {
  it.each([
    [401, 'unauthorized', 'auth', false],
    [403, 'forbidden', 'permission', false],
    [403, 'token_readonly', 'permission', false],
    [400, 'invalid_input', 'invalid_request', false],
    [400, 'json_error', 'invalid_request', false],
    [404, 'not_found', 'not_found', false],
    [409, 'uniqueness_error', 'conflict', false],
    [409, 'conflict', 'conflict', true],
    [423, 'locked', 'conflict', true],
    [423, 'protected', 'conflict', false],
    [403, 'resource_limit_exceeded', 'quota', false],
    [412, 'resource_unavailable', 'capacity', false],
    [412, 'placement_error', 'capacity', false],
    [429, 'rate_limit_exceeded', 'rate_limited', true],
    [500, 'server_error', 'unavailable', true],
    [503, 'service_error', 'unavailable', true],
    [503, 'maintenance', 'unavailable', true],
    [503, 'unavailable', 'unavailable', true],
    [504, 'timeout', 'unavailable', true],
  ])('%i %s → %s', (status, code, category, retryable) => {
    const mapped = mapHetznerError({ status, body: body(code), headers: headers() });
    expect(mapped.category).toBe(category);
    expect(mapped.code).toBe(code);
    expect(mapped.retryable ?? ['rate_limited', 'unavailable', 'network', 'timeout'].includes(category)).toBe(
      retryable,
    );
    expect(mapped.message).toContain('something happened');
  });

  it('falls back to the status for unreadable or unknown bodies', () => {
    expect(mapHetznerError({ status: 502, body: undefined, headers: headers() })).toMatchObject({
      category: 'unavailable',
      message: 'Hetzner API 502: the provider failed',
    });
    expect(mapHetznerError({ status: 418, body: body('brand_new_code'), headers: headers() }).category).toBe(
      'invalid_request',
    );
    expect(
      mapHetznerError({ status: 401, body: { error: 'not an object' }, headers: headers() }).category,
    ).toBe('auth');
  });

  it('reads RateLimit-Reset as the retry delay of a 429', () => {
    const reset = Math.ceil(Date.now() / 1000) + 30;
    const mapped = mapHetznerError({
      status: 429,
      body: body('rate_limit_exceeded'),
      headers: headers({ 'ratelimit-reset': String(reset) }),
    });
    expect(mapped.retryAfterMs).toBeGreaterThan(25_000);
    expect(mapped.retryAfterMs).toBeLessThanOrEqual(31_000);
    expect(
      mapHetznerError({
        status: 500,
        body: undefined,
        headers: headers({ 'ratelimit-reset': String(reset) }),
      }),
    ).not.toHaveProperty('retryAfterMs');
  });
});

describe('mapHetznerStatus', () => {
  it.each([
    ['initializing', 'initializing'],
    ['starting', 'starting'],
    ['running', 'running'],
    ['stopping', 'stopping'],
    ['off', 'off'],
    ['deleting', 'deleting'],
    ['migrating', 'busy'],
    ['rebuilding', 'busy'],
    ['unknown', 'unknown'],
    ['a-future-status', 'unknown'],
  ])('%s → %s', (status, expected) => {
    expect(mapHetznerStatus(status)).toBe(expected);
  });
});

describe('mapHetznerServer', () => {
  it('maps a full server and tolerates missing optional parts', () => {
    const full = mapHetznerServer({
      id: 42,
      name: 'agent-1',
      status: 'running',
      created: '2026-01-01T00:00:00+00:00',
      public_net: { ipv4: { ip: '203.0.113.4' } },
      server_type: { name: 'cx23' },
      datacenter: { location: { name: 'fsn1' } },
      labels: { team: 'a' },
    });
    expect(full).toEqual({
      id: '42',
      name: 'agent-1',
      ip: '203.0.113.4',
      status: 'running',
      statusDetail: 'running',
      serverType: 'cx23',
      location: 'fsn1',
      createdAt: '2026-01-01T00:00:00.000Z',
      labels: { team: 'a' },
    });
    const sparse = mapHetznerServer({
      id: 43,
      name: 'agent-2',
      status: 'initializing',
      created: '2026-01-01T00:00:00+00:00',
      public_net: { ipv4: null },
      server_type: { name: 'cx23' },
      datacenter: null,
      labels: null,
    });
    expect(sparse).toMatchObject({ ip: '', location: '', labels: {} });
  });
});
