import {
  HETZNER_EMULATOR_TOKEN,
  HETZNER_ERROR_EXAMPLES,
  HetznerEmulator,
  SCALEWAY_ERROR_EXAMPLES,
  ScalewayEmulator,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isTransientCapacityError } from '../../src/capacity.js';
import { ProviderError } from '../../src/errors.js';
import { mapHetznerError } from '../../src/hetzner-mappers.js';
import type { MappedHttpError } from '../../src/http-client.js';
import { HetznerProvider, ScalewayProvider, type VMConfig } from '../../src/index.js';
import { mapScalewayError } from '../../src/scaleway-mappers.js';
import { FAST_RETRY } from '../contract/hetzner-targets.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

/** The error `HttpClient` throws for a failed response, given the provider's mapping of it. */
function asClientError(provider: string, status: number, mapped: MappedHttpError): ProviderError {
  return new ProviderError({
    provider,
    category: mapped.category,
    message: mapped.message,
    statusCode: status,
    ...(mapped.code === undefined ? {} : { code: mapped.code }),
    ...(mapped.retryable === undefined ? {} : { retryable: mapped.retryable }),
    ...(mapped.retryAfterMs === undefined ? {} : { retryAfterMs: mapped.retryAfterMs }),
  });
}

const scalewayError = (status: number, body: unknown) =>
  asClientError('scaleway', status, mapScalewayError({ status, body, headers: new Headers() }));
const hetznerError = (status: number, body: unknown) =>
  asClientError('hetzner', status, mapHetznerError({ status, body, headers: new Headers() }));

const SCALEWAY_CAPACITY = new Set(['out_of_stock']);
const HETZNER_CAPACITY = new Set(['resource_unavailable', 'placement_error', 'unsupported_location']);

describe('isTransientCapacityError, every error body the emulators produce', () => {
  it('covers the capacity examples (the lists are not vacuous)', () => {
    const scalewayNames = SCALEWAY_ERROR_EXAMPLES.map((example) => example.name);
    const hetznerNames = HETZNER_ERROR_EXAMPLES.map((example) => example.name);
    for (const name of SCALEWAY_CAPACITY) expect(scalewayNames).toContain(name);
    for (const name of HETZNER_CAPACITY) expect(hetznerNames).toContain(name);
    expect(scalewayNames).toContain('quotas_exceeded');
    expect(hetznerNames).toContain('resource_limit_exceeded');
  });

  it.each(SCALEWAY_ERROR_EXAMPLES.map((example) => [example.name, example] as const))(
    'Scaleway %s',
    (name, { status, body }) => {
      expect(isTransientCapacityError(scalewayError(status, body))).toBe(SCALEWAY_CAPACITY.has(name));
    },
  );

  it('Scaleway: true for out_of_stock only, over the whole list', () => {
    const transient = SCALEWAY_ERROR_EXAMPLES.filter(({ status, body }) =>
      isTransientCapacityError(scalewayError(status, body)),
    ).map((example) => example.name);
    expect(transient).toEqual(['out_of_stock']);
  });

  it.each(HETZNER_ERROR_EXAMPLES.map((example) => [example.name, example] as const))(
    'Hetzner %s',
    (name, { status, body }) => {
      expect(isTransientCapacityError(hetznerError(status, body))).toBe(HETZNER_CAPACITY.has(name));
    },
  );

  it('Hetzner: true for resource_unavailable, placement_error and unsupported_location only', () => {
    const transient = HETZNER_ERROR_EXAMPLES.filter(({ status, body }) =>
      isTransientCapacityError(hetznerError(status, body)),
    ).map((example) => example.name);
    expect(transient.sort()).toEqual([...HETZNER_CAPACITY].sort());
  });
});

describe('isTransientCapacityError, what is not a capacity shortage', () => {
  const hetznerBody = (code: string, message: string) => ({ error: { code, message, details: {} } });

  it.each([
    [
      'Scaleway quotas_exceeded',
      scalewayError(403, { type: 'quotas_exceeded', message: 'quota(s) exceeded' }),
    ],
    [
      'Scaleway legacy quota',
      scalewayError(400, { type: 'invalid_request_error', message: 'Quota exceeded for DEV1-M' }),
    ],
    ['Hetzner resource_limit_exceeded', hetznerError(403, hetznerBody('resource_limit_exceeded', 'limit'))],
    [
      'Hetzner server_limit_exceeded (403)',
      hetznerError(403, hetznerBody('server_limit_exceeded', 'server limit exceeded')),
    ],
    ['Scaleway denied_authentication', scalewayError(401, { type: 'denied_authentication', message: 'no' })],
    ['Hetzner unauthorized', hetznerError(401, hetznerBody('unauthorized', 'unable to authenticate'))],
    ['Hetzner forbidden', hetznerError(403, hetznerBody('forbidden', 'insufficient permissions'))],
    ['Hetzner invalid_input', hetznerError(422, hetznerBody('invalid_input', 'invalid server_type'))],
    ['Scaleway invalid_arguments', scalewayError(400, { type: 'invalid_arguments', message: 'bad' })],
    ['Scaleway 503 without a type', scalewayError(503, undefined)],
    ['Scaleway 500 internal', scalewayError(500, { type: 'internal_error', message: 'oops' })],
    ['Hetzner 503 unavailable', hetznerError(503, hetznerBody('unavailable', 'service unavailable'))],
    ['Hetzner 500 server_error', hetznerError(500, hetznerBody('server_error', 'internal'))],
    ['Hetzner 412 with another code', hetznerError(412, hetznerBody('conflict', 'placement of the lock'))],
    ['Hetzner 429', hetznerError(429, hetznerBody('rate_limit_exceeded', 'slow down'))],
    [
      'network',
      new ProviderError({ provider: 'hetzner', category: 'network', message: 'the connection failed' }),
    ],
    ['timeout', new ProviderError({ provider: 'scaleway', category: 'timeout', message: 'no response' })],
    [
      'invalid input (ours)',
      new ProviderError({ provider: 'hetzner', category: 'invalid_input', message: 'Invalid vm.size' }),
    ],
  ])('%s → false', (_, error) => {
    expect(isTransientCapacityError(error)).toBe(false);
  });

  it.each([
    ['an Error that says capacity', new Error('capacity')],
    ['an Error carrying a capacity code', Object.assign(new Error('x'), { providerCode: 'out_of_stock' })],
    [
      'a look-alike object',
      {
        name: 'ProviderError',
        providerName: 'hetzner',
        category: 'capacity',
        providerCode: 'placement_error',
      },
    ],
    ['a string', 'out_of_stock'],
    ['undefined', undefined],
    ['null', null],
  ])('%s → false (not a ProviderError)', (_, value) => {
    expect(isTransientCapacityError(value)).toBe(false);
  });
});

describe("isTransientCapacityError, SAM's own constructions", () => {
  it.each([
    [
      'resource_unavailable with transient_capacity',
      new ProviderError('hetzner', 503, 'No X capacity', {
        providerCode: 'resource_unavailable',
        category: 'transient_capacity',
      }),
      true,
    ],
    [
      'placement_error 412',
      new ProviderError('hetzner', 412, 'hetzner API error (412): error during placement', {
        providerCode: 'placement_error',
      }),
      true,
    ],
    [
      'placement 412 without options',
      new ProviderError('hetzner', 412, 'hetzner API error (412): error during placement'),
      true,
    ],
    [
      'unsupported location 422 without options',
      new ProviderError('hetzner', 422, 'hetzner API error (422): unsupported location for server type'),
      true,
    ],
    [
      'unsupported location 422 with invalid_input',
      new ProviderError('hetzner', 422, 'unsupported location for server type', {
        providerCode: 'invalid_input',
      }),
      true,
    ],
    [
      'invalid server_type 422',
      new ProviderError('hetzner', 422, 'invalid server_type', { providerCode: 'invalid_input' }),
      false,
    ],
    [
      'server limit 403',
      new ProviderError('hetzner', 403, 'server limit exceeded', { providerCode: 'server_limit_exceeded' }),
      false,
    ],
    [
      'Scaleway out_of_stock 503',
      new ProviderError('scaleway', 503, 'x', { providerCode: 'out_of_stock' }),
      true,
    ],
    [
      'Scaleway with a Hetzner code',
      new ProviderError('scaleway', 412, 'error during placement', { providerCode: 'placement_error' }),
      false,
    ],
    [
      'Scaleway with resource_unavailable',
      new ProviderError('scaleway', 503, 'x', { providerCode: 'resource_unavailable' }),
      false,
    ],
    [
      'Hetzner with the Scaleway code',
      new ProviderError('hetzner', 503, 'x', { providerCode: 'out_of_stock' }),
      false,
    ],
    [
      'Scaleway 422 unsupported location (a Hetzner-only message)',
      new ProviderError('scaleway', 422, 'unsupported location for server type'),
      false,
    ],
    ['Scaleway 412 placement without a code', new ProviderError('scaleway', 412, 'placement failed'), false],
    [
      'Hetzner 412 placement message with another code',
      new ProviderError('hetzner', 412, 'error during placement', { providerCode: 'locked' }),
      false,
    ],
    [
      'Hetzner 422 unsupported location with another code',
      new ProviderError('hetzner', 422, 'unsupported location for server type', {
        providerCode: 'json_error',
      }),
      false,
    ],
    [
      'quota_exceeded',
      new ProviderError('hetzner', 403, 'quota', { category: 'quota_exceeded', providerCode: 'x' }),
      false,
    ],
    [
      'our own capacity category',
      new ProviderError('scaleway', undefined, 'x', { category: 'capacity' }),
      true,
    ],
  ] as const)('%s → %s', (_, error, expected) => {
    expect(isTransientCapacityError(error)).toBe(expected);
  });
});

const USER_DATA = '#cloud-config\n';

const scaleway = new ScalewayEmulator();
const hetzner = new HetznerEmulator();
const server = setupServer(...scaleway.handlers(), ...hetzner.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  for (const emulator of [scaleway, hetzner]) {
    emulator.reset();
    emulator.clock.setMode({ mode: 'instant' });
  }
});

describe('isTransientCapacityError on ScalewayProvider.createVM rejections (msw emulator)', () => {
  const emulator = scaleway;

  const provider = () => new ScalewayProvider(scalewayTestConfig());
  const config: VMConfig = { name: 'agent-1', size: 'small', location: 'fr-par-1', userData: USER_DATA };
  const CREATE_PATH = '/instance/v1/zones/fr-par-1/servers';
  const ACTION_PATH = /^\/instance\/v1\/zones\/fr-par-1\/servers\/[^/]+\/action$/;

  const leftovers = () => {
    emulator.clock.settle();
    return emulator.leftovers();
  };
  const rejectionOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('createVM resolved');
      },
      (error: unknown) => error,
    );

  it.each(SCALEWAY_ERROR_EXAMPLES.map((example) => [example.name, example] as const))(
    'a create POST answered %s',
    async (name, { status, body }) => {
      const fault = emulator.injectFault({ method: 'POST', path: CREATE_PATH, status, body });
      const error = await rejectionOf(provider().createVM(config));
      expect(fault.hits).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).statusCode).toBe(status);
      expect(isTransientCapacityError(error)).toBe(SCALEWAY_CAPACITY.has(name));
      expect(leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    },
  );

  it('an out_of_stock on poweron ends transient, and the created server is deleted', async () => {
    const outOfStock = SCALEWAY_ERROR_EXAMPLES.find((example) => example.name === 'out_of_stock');
    if (outOfStock === undefined) throw new Error('SCALEWAY_ERROR_EXAMPLES lost its out_of_stock entry');
    const fault = emulator.injectFault({
      method: 'POST',
      path: ACTION_PATH,
      status: outOfStock.status,
      body: outOfStock.body,
      times: 1,
    });
    const error = await rejectionOf(provider().createVM(config));
    expect(fault.hits).toBe(1);
    expect(isTransientCapacityError(error)).toBe(true);
    expect(error).toMatchObject({ provider: 'scaleway', providerCode: 'out_of_stock', statusCode: 503 });
    // The POST made a server; the failed poweron must not leave it (nor its volume or IP) behind.
    expect(
      emulator.requestCount({ method: 'POST', path: /^\/instance\/v1\/zones\/fr-par-1\/servers$/ }),
    ).toBe(1);
    expect(emulator.requestCount({ method: 'POST', path: ACTION_PATH })).toBe(1);
    expect(emulator.requestCount({ method: 'DELETE' })).toBeGreaterThan(0);
    expect(leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });
});

describe('isTransientCapacityError on HetznerProvider.createVM rejections (msw emulator)', () => {
  const emulator = hetzner;

  const provider = () =>
    new HetznerProvider({
      token: HETZNER_EMULATOR_TOKEN,
      timeoutMs: 2_000,
      retry: FAST_RETRY,
      capacityRetryMaxAttempts: 1,
      placementRetryDelayMs: 0,
      placementFallbackEnabled: false,
    });
  const config: VMConfig = { name: 'agent-1', size: 'small', location: 'fsn1', userData: USER_DATA };
  const rejectionOf = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('createVM resolved');
      },
      (error: unknown) => error,
    );

  it.each(HETZNER_ERROR_EXAMPLES.map((example) => [example.name, example] as const))(
    'a create POST answered %s',
    async (name, { status, body }) => {
      const fault = emulator.injectFault({ method: 'POST', path: '/v1/servers', status, body });
      const error = await rejectionOf(provider().createVM(config));
      expect(fault.hits).toBeGreaterThan(0);
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).statusCode).toBe(status);
      expect(isTransientCapacityError(error)).toBe(HETZNER_CAPACITY.has(name));
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    },
  );

  it.each(['resource_unavailable', 'placement_error', 'unsupported_location'] as const)(
    'a create the emulator refuses for capacity (%s) ends transient with nothing left',
    async (failure) => {
      const rule = emulator.setCapacityFailure({ location: 'fsn1', failure });
      const error = await rejectionOf(provider().createVM(config));
      expect(rule.hits).toBeGreaterThan(0);
      expect(isTransientCapacityError(error)).toBe(true);
      expect(error).toMatchObject({ provider: 'hetzner', category: 'capacity' });
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    },
  );

  it('a create the emulator refuses for its server limit is not transient', async () => {
    const limited = new HetznerEmulator({ serverLimit: 0 });
    server.use(...limited.handlers());
    try {
      const error = await rejectionOf(provider().createVM(config));
      expect(error).toMatchObject({ provider: 'hetzner', category: 'quota', statusCode: 403 });
      expect(isTransientCapacityError(error)).toBe(false);
      expect(limited.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    } finally {
      server.resetHandlers();
    }
  });
});
