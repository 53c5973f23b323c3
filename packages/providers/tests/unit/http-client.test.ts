import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProviderError } from '../../src/errors.js';
import { createEventSink, type ProviderEvent } from '../../src/events.js';
import { HttpClient, type HttpClientConfig } from '../../src/http-client.js';
import { resolveRetryOptions } from '../../src/retry.js';
import { statusFallback } from '../../src/status-fallback.js';
import { inVirtualTime } from '../virtual-time.js';

const TOKEN = 'secret-token-value';

interface Call {
  url: string;
  init: RequestInit;
}

function setup(responses: Array<Response | Error | 'hang'>, overrides: Partial<HttpClientConfig> = {}) {
  const calls: Call[] = [];
  const events: ProviderEvent[] = [];
  const fetchStub = async (url: string | URL | Request, init: RequestInit = {}) => {
    calls.push({ url: String(url), init });
    const next = responses.shift() ?? new Response('{}', { status: 200 });
    if (next === 'hang') {
      return new Promise<Response>((_, reject) => {
        init.signal?.addEventListener('abort', () => reject(init.signal?.reason), { once: true });
      });
    }
    if (next instanceof Error) throw next;
    return next;
  };
  const client = new HttpClient({
    provider: 'hetzner',
    baseUrl: 'https://api.example.test/v1',
    authHeaders: { Authorization: `Bearer ${TOKEN}` },
    fetch: fetchStub as typeof fetch,
    timeoutMs: 200,
    maxConnections: 6,
    retry: resolveRetryOptions({ baseDelayMs: 1, maxDelayMs: 5 }),
    mapError: ({ status, body }) => ({
      ...statusFallback(status),
      ...(typeof body === 'object' && body !== null && 'message' in body
        ? { message: String(body.message) }
        : {}),
    }),
    emit: createEventSink('hetzner', (event) => events.push(event), undefined),
    ...overrides,
  });
  return { client, calls, events };
}

const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const schema = z.object({ value: z.number() });

describe('HttpClient', () => {
  it('sends JSON with auth and query, and validates the answer', async () => {
    const { client, calls } = setup([json({ value: 7, extra: true }, 200, { 'x-request-id': 'r1' })]);
    const result = await client.request({
      method: 'POST',
      path: '/things',
      query: { a: 'b c', skip: undefined, n: 2 },
      json: { hello: 'world' },
      schema,
    });
    expect(result.data).toEqual({ value: 7 });
    expect(result.status).toBe(200);
    expect(calls[0]?.url).toBe('https://api.example.test/v1/things?a=b+c&n=2');
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(headers['Content-Type']).toBe('application/json');
    expect(calls[0]?.init.body).toBe('{"hello":"world"}');
  });

  it('sends text bodies as text/plain and never logs them', async () => {
    const { client, calls, events } = setup([new Response(null, { status: 204 })]);
    await client.request({ method: 'PATCH', path: '/user_data', text: '#cloud-config secret' });
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers['Content-Type']).toBe('text/plain');
    expect(calls[0]?.init.body).toBe('#cloud-config secret');
    const logged = JSON.stringify(events);
    expect(logged).not.toContain('#cloud-config secret');
    expect(logged).not.toContain(TOKEN);
    expect(events[0]).toMatchObject({ type: 'request', headers: { Authorization: '[REDACTED]' } });
  });

  it('redacts request secrets inside JSON bodies in the log', async () => {
    const { client, events } = setup([json({ value: 1 })]);
    const userData = 'line1\n"quoted" secret';
    await client.request({
      method: 'POST',
      path: '/x',
      json: { user_data: userData },
      secrets: [userData],
      schema,
    });
    const request = events.find((event) => event.type === 'request');
    expect(request && 'body' in request ? request.body : '').toBe('{"user_data":"[REDACTED]"}');
  });

  it.each([
    ['an empty body', new Response('', { status: 200 })],
    ['a body that is not JSON', new Response('<html>oops</html>', { status: 200 })],
    ['an unexpected body', json({ value: 'seven' })],
  ])('rejects %s with invalid_response', async (problem, response) => {
    const { client } = setup([response]);
    const failure = await client
      .request({ method: 'GET', path: '/x', schema })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ category: 'invalid_response', retryable: false, statusCode: 200 });
    expect((failure as Error).message).toContain(problem);
  });

  it('maps error responses through the provider mapper, keeping status, request id and Retry-After', async () => {
    const { client } = setup([
      json({ message: `denied for ${TOKEN}` }, 403, { 'x-request-id': 'req-9', 'retry-after': '2' }),
    ]);
    const failure = (await client
      .request({ method: 'GET', path: '/x' })
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({
      category: 'permission',
      statusCode: 403,
      requestId: 'req-9',
      retryAfterMs: 2_000,
    });
    expect(failure.message).not.toContain(TOKEN);
  });

  it('retries idempotent requests on retryable failures, then succeeds', async () => {
    const { client, calls, events } = setup([
      json({}, 503),
      new TypeError('fetch failed'),
      json({ value: 1 }),
    ]);
    const result = await client.request({ method: 'GET', path: '/x', schema });
    expect(result.data.value).toBe(1);
    expect(calls).toHaveLength(3);
    expect(
      events.filter((event) => event.type === 'retry').map((event) => 'category' in event && event.category),
    ).toEqual(['unavailable', 'network']);
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const { client, calls } = setup([
      json({}, 500),
      json({}, 502),
      json({}, 503),
      json({}, 504),
      json({}, 500),
    ]);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({ statusCode: 504 });
    expect(calls).toHaveLength(4);
  });

  it('does not retry a POST after a 5xx or a dropped connection, which may have reached the provider', async () => {
    for (const failure of [json({}, 500), new TypeError('fetch failed')]) {
      const { client, calls } = setup([failure, json({ value: 1 })]);
      await expect(client.request({ method: 'POST', path: '/x', schema })).rejects.toBeInstanceOf(
        ProviderError,
      );
      expect(calls).toHaveLength(1);
    }
  });

  it('retries a POST after a 429, which proves it did not reach the provider', async () => {
    const { client, calls } = setup([new Response(null, { status: 429 }), json({ value: 1 })]);
    await expect(client.request({ method: 'POST', path: '/x', schema })).resolves.toMatchObject({
      data: { value: 1 },
    });
    expect(calls).toHaveLength(2);
  });

  it('retries an idempotent POST and honours retry: false', async () => {
    const first = setup([json({}, 503), json({ value: 1 })]);
    await first.client.request({ method: 'POST', path: '/x', idempotent: true, schema });
    expect(first.calls).toHaveLength(2);
    const second = setup([json({}, 503), json({ value: 1 })]);
    await expect(second.client.request({ method: 'GET', path: '/x', retry: false })).rejects.toMatchObject({
      statusCode: 503,
    });
    expect(second.calls).toHaveLength(1);
  });

  it('does not retry non-retryable failures', async () => {
    const { client, calls } = setup([json({}, 404)]);
    await expect(client.request({ method: 'GET', path: '/x' })).rejects.toMatchObject({
      category: 'not_found',
    });
    expect(calls).toHaveLength(1);
  });

  it('times out a request that gets no answer, as a retryable timeout', async () => {
    const { client, calls } = setup(['hang', 'hang'], {
      retry: resolveRetryOptions({ maxRetries: 1, baseDelayMs: 1 }),
    });
    const failure = (await client
      .request({ method: 'GET', path: '/x' })
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toContain('200 ms');
    expect(calls).toHaveLength(2);
  });

  it('classifies a failed connection as network, with a sanitised cause', async () => {
    const cause = Object.assign(new Error(`connect ECONNREFUSED Bearer ${TOKEN}`), { code: 'ECONNREFUSED' });
    const { client } = setup([new TypeError('fetch failed', { cause })], {
      retry: resolveRetryOptions({ maxRetries: 0 }),
    });
    const failure = (await client
      .request({ method: 'GET', path: '/x' })
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure.category).toBe('network');
    const nested = (failure.cause as Error).cause as Error & { code?: string };
    expect(nested.code).toBe('ECONNREFUSED');
    expect(nested.message).not.toContain(TOKEN);
  });

  it('passes the caller’s abort reason through, during a request and during a retry wait', async () => {
    const reason = new Error('caller aborted');
    const hanging = setup(['hang']);
    const controller = new AbortController();
    const pending = hanging.client.request({ method: 'GET', path: '/x', signal: controller.signal });
    setTimeout(() => controller.abort(reason), 5);
    await expect(pending).rejects.toBe(reason);

    const waiting = setup([json({}, 503, { 'retry-after': '60' })], {
      retry: resolveRetryOptions({ maxDelayMs: 60_000, maxElapsedMs: 120_000 }),
    });
    const second = new AbortController();
    const retrying = waiting.client.request({ method: 'GET', path: '/x', signal: second.signal });
    setTimeout(() => second.abort(reason), 20);
    await expect(retrying).rejects.toBe(reason);
    expect(waiting.calls).toHaveLength(1);
  });

  it('survives an observer that throws', async () => {
    const { client } = setup([json({ value: 3 })], {
      emit: createEventSink(
        'hetzner',
        () => {
          throw new Error('observer bug');
        },
        undefined,
      ),
    });
    await expect(client.request({ method: 'GET', path: '/x', schema })).resolves.toMatchObject({
      data: { value: 3 },
    });
  });

  it('falls back to globalThis.fetch, read at call time', async () => {
    const original = globalThis.fetch;
    const { client } = setup([], { fetch: undefined });
    let called = 0;
    globalThis.fetch = (async () => {
      called++;
      return json({ value: 5 });
    }) as typeof fetch;
    try {
      await expect(client.request({ method: 'GET', path: '/x', schema })).resolves.toMatchObject({
        data: { value: 5 },
      });
      expect(called).toBe(1);
    } finally {
      globalThis.fetch = original;
    }
  });
});

describe('statusFallback', () => {
  it.each([
    [401, 'auth'],
    [403, 'permission'],
    [404, 'not_found'],
    [409, 'conflict'],
    [412, 'conflict'],
    [423, 'conflict'],
    [429, 'rate_limited'],
    [500, 'unavailable'],
    [503, 'unavailable'],
    [400, 'invalid_request'],
    [422, 'invalid_request'],
    [302, 'unknown'],
  ])('%i → %s', (status, category) => {
    expect(statusFallback(status).category).toBe(category);
  });
});

describe('HttpClient time budget', () => {
  it('starts no retry that would end past maxElapsedMs, and shortens the last attempt', async () => {
    const { client, calls } = setup(['hang', 'hang', 'hang', 'hang'], {
      timeoutMs: 100,
      retry: resolveRetryOptions({
        maxRetries: 3,
        baseDelayMs: 40,
        maxDelayMs: 40,
        maxElapsedMs: 200,
        random: () => 0.999,
      }),
    });
    // Virtual time: attempt 1 times out at 100 ms; attempt 2 starts at 140 ms with the 60 ms left; no third.
    const failure = (await inVirtualTime(() =>
      client.request({ method: 'GET', path: '/x' }).catch((error: unknown) => error),
    )) as ProviderError;
    expect(failure.category).toBe('timeout');
    expect(failure.message).toContain('within 60 ms');
    expect(calls).toHaveLength(2);
  });
});

describe('HttpClient connection limit', () => {
  const slow =
    (ms: number) =>
    async (_url: string | URL | Request, init: RequestInit = {}) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        init.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(init.signal?.reason);
        });
      });
      return json({ value: 1 });
    };

  it('holds at most maxConnections requests at once and queues the rest in order', async () => {
    let inFlight = 0;
    let peak = 0;
    const order: string[] = [];
    const fetchStub = async (url: string | URL | Request) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      order.push(String(url));
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return json({ value: 1 });
    };
    const { client } = setup([], { fetch: fetchStub as typeof fetch, maxConnections: 2 });
    const results = await Promise.all(
      Array.from({ length: 7 }, (_, index) => client.request({ method: 'GET', path: `/n${index}`, schema })),
    );
    expect(results).toHaveLength(7);
    expect(peak).toBe(2);
    expect(order.map((url) => url.slice(url.lastIndexOf('/') + 1))).toEqual([
      'n0',
      'n1',
      'n2',
      'n3',
      'n4',
      'n5',
      'n6',
    ]);
  });

  it('does not count the time in the queue against timeoutMs', async () => {
    // Each request takes 150 ms of a 200 ms timeout; one at a time, the third waits 300 ms before it starts.
    const { client } = setup([], { fetch: slow(150) as typeof fetch, maxConnections: 1 });
    const results = await Promise.all(
      [1, 2, 3].map((index) => client.request({ method: 'GET', path: `/q${index}`, schema })),
    );
    expect(results.map((result) => result.data.value)).toEqual([1, 1, 1]);
  });

  it('rejects a queued request with the caller’s reason when it aborts, and frees nothing it never held', async () => {
    let calls = 0;
    const fetchStub = async (url: string | URL | Request, init: RequestInit = {}) => {
      calls++;
      return slow(50)(url, init);
    };
    const { client } = setup([], { fetch: fetchStub as typeof fetch, maxConnections: 1 });
    const first = client.request({ method: 'GET', path: '/first', schema });
    const controller = new AbortController();
    const reason = new Error('gave up while queued');
    const queued = client.request({ method: 'GET', path: '/queued', schema, signal: controller.signal });
    const third = client.request({ method: 'GET', path: '/third', schema });
    controller.abort(reason);
    await expect(queued).rejects.toBe(reason);
    await expect(first).resolves.toMatchObject({ status: 200 });
    await expect(third).resolves.toMatchObject({ status: 200 });
    expect(calls).toBe(2);
  });
});
