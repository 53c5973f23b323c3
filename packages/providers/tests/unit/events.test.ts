import {
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  type ScalewayServerRecord,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventSink,
  type ProviderEvent,
  type ProviderLogContext,
  type ProviderLogger,
} from '../../src/events.js';
import { ScalewayProvider, type ScalewayProviderConfig, type VMConfig } from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

interface LogLine {
  level: 'warn' | 'info';
  message: string;
  context: ProviderLogContext | undefined;
}

function recordingLogger(): ProviderLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    warn: (message, context) => lines.push({ level: 'warn', message, context }),
    info: (message, context) => lines.push({ level: 'info', message, context }),
  };
}

const URL_WITH_QUERY =
  'https://api.scaleway.com/instance/v1/zones/fr-par-1/servers?project=p-1&tags=team%3Da&page=2&per_page=100';

/** One of every event, as the library emits them. */
const EVENTS = {
  request: {
    type: 'request',
    method: 'POST',
    url: URL_WITH_QUERY,
    attempt: 0,
    headers: { 'X-Auth-Token': '[REDACTED]' },
    body: '{"name":"agent-1"}',
  },
  response: { type: 'response', method: 'GET', url: URL_WITH_QUERY, attempt: 1, status: 200, durationMs: 12 },
  error: { type: 'error', method: 'GET', url: URL_WITH_QUERY, attempt: 0, category: 'network' },
  retry: {
    type: 'retry',
    method: 'GET',
    url: URL_WITH_QUERY,
    attempt: 0,
    delayMs: 250,
    category: 'unavailable',
    statusCode: 503,
  },
  capacity_retry: {
    type: 'capacity_retry',
    location: 'fsn1',
    serverType: 'cx23',
    attempt: 2,
    maxAttempts: 5,
    delayMs: 4_000,
    code: 'resource_unavailable',
  },
  placement_retry: { type: 'placement_retry', location: 'nbg1', serverType: 'cx33', delayMs: 3_000 },
  location_fallback: { type: 'location_fallback', from: 'nbg1', to: 'hel1', serverType: 'cx33' },
  cleanup_failed: {
    type: 'cleanup_failed',
    resource: 'server fr-par-1/11111111-2222-4333-8444-555555555555',
    category: 'unavailable',
    message: 'Scaleway API 503: the provider failed',
  },
} as const satisfies { [Type in ProviderEvent['type']]: Extract<ProviderEvent, { type: Type }> };

const ALL_EVENTS: ProviderEvent[] = Object.values(EVENTS);

function expectFlat(context: ProviderLogContext | undefined): void {
  expect(context).toBeDefined();
  for (const [key, value] of Object.entries(context ?? {})) {
    const flat =
      value === null ||
      value === undefined ||
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean';
    expect(flat, `context.${key} is not flat: ${JSON.stringify(value)}`).toBe(true);
  }
}

describe('createEventSink', () => {
  it('hands every event, as is, to onEvent', () => {
    const seen: ProviderEvent[] = [];
    const emit = createEventSink('scaleway', (event) => seen.push(event), recordingLogger());
    for (const event of ALL_EVENTS) emit(event);
    expect(seen).toHaveLength(ALL_EVENTS.length);
    ALL_EVENTS.forEach((event, index) => {
      expect(seen[index]).toBe(event);
    });
  });

  it.each([
    ['retry', 'warn'],
    ['capacity_retry', 'warn'],
    ['placement_retry', 'warn'],
    ['location_fallback', 'info'],
    ['cleanup_failed', 'warn'],
  ] as const)('logs exactly one %s line, at %s, with a flat context naming the provider', (type, level) => {
    const logger = recordingLogger();
    createEventSink('hetzner', undefined, logger)(EVENTS[type]);
    expect(logger.lines).toHaveLength(1);
    const [line] = logger.lines;
    expect(line?.level).toBe(level);
    expect(line?.message).not.toBe('');
    expectFlat(line?.context);
    expect(line?.context?.provider).toBe('hetzner');
  });

  it.each(['request', 'response', 'error'] as const)('logs nothing for %s', (type) => {
    const logger = recordingLogger();
    const seen: ProviderEvent[] = [];
    createEventSink('scaleway', (event) => seen.push(event), logger)(EVENTS[type]);
    expect(seen).toEqual([EVENTS[type]]);
    expect(logger.lines).toEqual([]);
  });

  it('writes one line per notable event over a mixed stream, and none for the rest', () => {
    const logger = recordingLogger();
    const emit = createEventSink('scaleway', undefined, logger);
    for (const event of ALL_EVENTS) emit(event);
    expect(logger.lines.map((line) => line.level)).toEqual(['warn', 'warn', 'warn', 'info', 'warn']);
    for (const line of logger.lines) {
      expectFlat(line.context);
      expect(line.context?.provider).toBe('scaleway');
    }
  });

  it('gives the retry line the path without its query, and the retry details', () => {
    const logger = recordingLogger();
    createEventSink('scaleway', undefined, logger)(EVENTS.retry);
    const [line] = logger.lines;
    expect(line?.context).toEqual({
      provider: 'scaleway',
      method: 'GET',
      path: '/instance/v1/zones/fr-par-1/servers',
      attempt: 1,
      delayMs: 250,
      category: 'unavailable',
      statusCode: 503,
    });
    expect(line?.message).toContain('/instance/v1/zones/fr-par-1/servers');
    expect(line?.message).toContain('250');
    // The query may hold names and labels: it is in neither the message nor the context.
    expect(line?.message).not.toContain('?');
    expect(line?.message).not.toContain('team');
    expect(JSON.stringify(line?.context)).not.toContain('team');
  });

  it('logs a retry without a status code as a null statusCode, and a URL without a path as /', () => {
    const logger = recordingLogger();
    createEventSink(
      'hetzner',
      undefined,
      logger,
    )({
      type: 'retry',
      method: 'GET',
      url: 'https://api.hetzner.cloud',
      attempt: 2,
      delayMs: 10,
      category: 'network',
    });
    expect(logger.lines[0]?.context).toMatchObject({ path: '/', statusCode: null, attempt: 3 });
  });

  it('puts the capacity details in the capacity_retry context, the code as providerCode', () => {
    const logger = recordingLogger();
    const emit = createEventSink('hetzner', undefined, logger);
    emit(EVENTS.capacity_retry);
    const { code: _code, ...withoutCode } = EVENTS.capacity_retry;
    emit(withoutCode);
    expect(logger.lines[0]?.context).toEqual({
      provider: 'hetzner',
      location: 'fsn1',
      serverType: 'cx23',
      attempt: 2,
      maxAttempts: 5,
      delayMs: 4_000,
      providerCode: 'resource_unavailable',
    });
    expect(logger.lines[1]?.context?.providerCode).toBeNull();
    expect(logger.lines[0]?.message).toContain('cx23');
    expect(logger.lines[0]?.message).toContain('fsn1');
  });

  it('names the locations of a placement retry and a fallback', () => {
    const logger = recordingLogger();
    const emit = createEventSink('hetzner', undefined, logger);
    emit(EVENTS.placement_retry);
    emit(EVENTS.location_fallback);
    expect(logger.lines[0]?.context).toEqual({
      provider: 'hetzner',
      location: 'nbg1',
      serverType: 'cx33',
      delayMs: 3_000,
    });
    expect(logger.lines[1]?.context).toEqual({
      provider: 'hetzner',
      from: 'nbg1',
      to: 'hel1',
      serverType: 'cx33',
    });
    expect(logger.lines[1]?.message).toContain('hel1');
  });

  it('names the resource and category of a failed cleanup', () => {
    const logger = recordingLogger();
    createEventSink('scaleway', undefined, logger)(EVENTS.cleanup_failed);
    expect(logger.lines[0]?.context).toEqual({
      provider: 'scaleway',
      resource: EVENTS.cleanup_failed.resource,
      category: 'unavailable',
    });
    expect(logger.lines[0]?.message).toContain(EVENTS.cleanup_failed.resource);
  });

  it('survives a throwing onEvent: the logger still gets its line', () => {
    const logger = recordingLogger();
    const emit = createEventSink(
      'scaleway',
      () => {
        throw new Error('observer broke');
      },
      logger,
    );
    expect(() => emit(EVENTS.retry)).not.toThrow();
    expect(() => emit(EVENTS.request)).not.toThrow();
    expect(logger.lines).toHaveLength(1);
  });

  it('survives a throwing logger, at either level', () => {
    const seen: ProviderEvent[] = [];
    const throwing: ProviderLogger = {
      warn: () => {
        throw new Error('warn broke');
      },
      info: () => {
        throw new Error('info broke');
      },
    };
    const emit = createEventSink('hetzner', (event) => seen.push(event), throwing);
    expect(() => emit(EVENTS.retry)).not.toThrow();
    expect(() => emit(EVENTS.location_fallback)).not.toThrow();
    expect(seen).toHaveLength(2);
  });

  it('works without an observer and without a logger', () => {
    const emit = createEventSink('hetzner', undefined, undefined);
    for (const event of ALL_EVENTS) expect(() => emit(event)).not.toThrow();
  });
});

describe('ScalewayProvider logging (end to end, msw emulator)', () => {
  const emulator = new ScalewayEmulator();
  const server = setupServer(...emulator.handlers());
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());
  beforeEach(() => {
    emulator.reset();
    emulator.clock.setMode({ mode: 'instant' });
  });

  const USER_DATA = '#cloud-config\nwrite_files:\n  - content: "token-abc-123-very-secret"\n';
  const vmConfig = (overrides: Partial<VMConfig> = {}): VMConfig => ({
    name: 'agent-1',
    size: 'small',
    location: 'fr-par-1',
    userData: USER_DATA,
    labels: { team: 'a' },
    ...overrides,
  });

  function observed(overrides: Partial<ScalewayProviderConfig> = {}) {
    const logger = recordingLogger();
    const events: ProviderEvent[] = [];
    const provider = new ScalewayProvider(
      scalewayTestConfig({ logger, onEvent: (event) => events.push(event), ...overrides }),
    );
    return { provider, logger, events };
  }

  const leftoverCount = () => {
    emulator.clock.settle();
    const { servers, volumes, ips } = emulator.leftovers();
    return servers.length + volumes.length + ips.length;
  };

  const expectNoSecrets = (lines: LogLine[]) => {
    const text = JSON.stringify(lines);
    expect(text).not.toContain(SCALEWAY_EMULATOR_SECRET_KEY);
    expect(text).not.toContain('token-abc-123-very-secret');
    expect(text).not.toContain('cloud-config');
  };

  const seedServer = (): ScalewayServerRecord =>
    emulator.seedServer({ zone: 'fr-par-1', name: 'seeded', state: 'running' });

  it('writes one warn line for the one retry of a GET answered 503 once', async () => {
    const seeded = seedServer();
    const { provider, logger, events } = observed();
    const path = `/instance/v1/zones/fr-par-1/servers/${seeded.id}`;
    const fault = emulator.injectFault({ method: 'GET', path, status: 503, times: 1 });
    const vm = await provider.getVM(`fr-par-1/${seeded.id}`);
    expect(vm?.id).toBe(`fr-par-1/${seeded.id}`);
    expect(fault.hits).toBe(1);
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(1);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({
      level: 'warn',
      context: { provider: 'scaleway', method: 'GET', path, category: 'unavailable', statusCode: 503 },
    });
    expectFlat(logger.lines[0]?.context);
    expectNoSecrets(logger.lines);
  });

  it('logs nothing for a call that needed no retry', async () => {
    const seeded = seedServer();
    const { provider, logger, events } = observed();
    await provider.getVM(`fr-par-1/${seeded.id}`);
    expect(events.length).toBeGreaterThan(0);
    expect(logger.lines).toEqual([]);
  });

  it('logs the path of a retried list without its query (the label filter)', async () => {
    const { provider, logger } = observed({ zones: ['fr-par-1'], zone: 'fr-par-1' });
    emulator.injectFault({
      method: 'GET',
      path: '/instance/v1/zones/fr-par-1/servers',
      status: 503,
      times: 1,
    });
    await expect(provider.listVMs({ team: 'secret-team-label' })).resolves.toEqual([]);
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]?.context?.path).toBe('/instance/v1/zones/fr-par-1/servers');
    expect(JSON.stringify(logger.lines)).not.toContain('secret-team-label');
  });

  it('keeps the key and the user data out of every line when a create fails at its PATCH', async () => {
    const { provider, logger, events } = observed();
    // The user-data PATCH keeps failing, with a body that even echoes the user data back.
    emulator.injectFault({
      method: 'PATCH',
      path: /\/user_data\/cloud-init$/,
      status: 503,
      body: { type: 'server_error', message: `cannot store ${USER_DATA}` },
    });
    const failure = await provider.createVM(vmConfig()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ name: 'ProviderError', category: 'unavailable' });
    const retries = events.filter((event) => event.type === 'retry');
    expect(retries.length).toBeGreaterThan(0);
    // One warn line per retry, each naming the PATCH.
    expect(logger.lines).toHaveLength(retries.length);
    for (const line of logger.lines) {
      expect(line.level).toBe('warn');
      expect(line.context).toMatchObject({ provider: 'scaleway', method: 'PATCH', statusCode: 503 });
      expectFlat(line.context);
    }
    expectNoSecrets(logger.lines);
    // The created server was removed before the promise rejected.
    expect(leftoverCount()).toBe(0);
  });

  it('redacts the key and the user data from a cleanup_failed line after a failed PATCH', async () => {
    const { provider, logger, events } = observed();
    emulator.injectFault({
      method: 'PATCH',
      path: /\/user_data\/cloud-init$/,
      status: 400,
      body: { type: 'invalid_arguments', message: `bad user data ${USER_DATA}` },
    });
    // The cleanup's DELETE fails too, with a body that echoes both secrets.
    emulator.injectFault({
      method: 'DELETE',
      path: /^\/instance\/v1\/zones\/fr-par-1\/servers\/[^/]+$/,
      status: 400,
      body: {
        type: 'invalid_arguments',
        message: `refused for key ${SCALEWAY_EMULATOR_SECRET_KEY} and ${USER_DATA}`,
      },
    });
    await expect(provider.createVM(vmConfig())).rejects.toMatchObject({ category: 'invalid_request' });
    expect(events.some((event) => event.type === 'cleanup_failed')).toBe(true);
    const cleanup = logger.lines.filter((line) => line.context?.resource !== undefined);
    expect(cleanup).toHaveLength(1);
    expect(cleanup[0]).toMatchObject({ level: 'warn', context: { provider: 'scaleway' } });
    expect(cleanup[0]?.message).toContain('[REDACTED]');
    expectNoSecrets(logger.lines);
    for (const line of logger.lines) expectFlat(line.context);
  });
});
