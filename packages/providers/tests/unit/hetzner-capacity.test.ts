import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_CAPACITY_RETRY_BUDGET_MS,
  DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
  DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
  DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
  DEFAULT_PLACEMENT_RETRY_DELAY_MS,
  HetznerProvider,
  isTransientCapacityError,
  ProviderError,
  type ProviderEvent,
  type ProviderLogContext,
  type ProviderLogger,
  type VMConfig,
  type VMInstance,
} from '../../src/index.js';
import { inVirtualTime } from '../virtual-time.js';

// Capacity and placement handling of HetznerProvider.createVM (SAM contract §6), against the Hetzner emulator
// through msw. Every case runs in virtual time: the 15 s … 120 s capacity waits and the 3 s placement pause take
// no real time, and the timings asserted below are exact.

const emulator = new HetznerEmulator();
/** A second project whose server limit is 0: every create is refused with `resource_limit_exceeded`. */
const LIMITED_API = 'https://limited.hetzner.test/v1';
const limited = new HetznerEmulator({ serverLimit: 0 });
const server = setupServer(...emulator.handlers(), ...limited.handlers(LIMITED_API));
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  limited.reset();
  emulator.clock.setMode({ mode: 'instant' });
});
afterEach(() => {
  vi.useRealTimers();
});

type Settings = Omit<ConstructorParameters<typeof HetznerProvider>[0], 'token' | 'apiToken' | 'provider'>;

interface LogLine {
  level: 'warn' | 'info';
  message: string;
  context: ProviderLogContext | undefined;
}

/** A provider bound to the emulator, with its events and log lines captured. */
function harness(settings: Settings = {}) {
  const events: ProviderEvent[] = [];
  const logs: LogLine[] = [];
  const logger: ProviderLogger = {
    warn: (message, context) => logs.push({ level: 'warn', message, context }),
    info: (message, context) => logs.push({ level: 'info', message, context }),
  };
  const provider = new HetznerProvider({
    token: HETZNER_EMULATOR_TOKEN,
    logger,
    onEvent: (event) => events.push(event),
    ...settings,
  });
  return { provider, events, logs };
}

const CAPACITY_EVENT_TYPES: ReadonlySet<string> = new Set([
  'capacity_retry',
  'placement_retry',
  'location_fallback',
]);

/** The capacity, placement and fallback events, in order. */
function capacityEvents(events: readonly ProviderEvent[]): ProviderEvent[] {
  return events.filter((event) => CAPACITY_EVENT_TYPES.has(event.type));
}

function delaysOf(events: readonly ProviderEvent[], type: 'capacity_retry' | 'placement_retry'): number[] {
  return events.flatMap((event) => (event.type === type ? [event.delayMs] : []));
}

const config = (overrides: Partial<VMConfig> = {}): VMConfig => ({
  name: 'agent-1',
  size: 'small',
  location: 'fsn1',
  userData: '#cloud-config\n',
  labels: { team: 'a' },
  ...overrides,
});

interface Outcome {
  vm: VMInstance | undefined;
  error: unknown;
  /** Virtual milliseconds from the call to its settlement. */
  elapsedMs: number;
  /** Fake timers still pending when the call settled (a wait or timeout left behind). */
  timersLeft: number;
  startedAt: number;
}

/**
 * Run `operation` in virtual time and capture how it settled, when, and what it left pending. `before` runs first,
 * at the same virtual instant (to schedule an abort, say).
 */
function settle(operation: () => Promise<VMInstance>, before?: () => void): Promise<Outcome> {
  return inVirtualTime(async () => {
    const startedAt = Date.now();
    before?.();
    let vm: VMInstance | undefined;
    let error: unknown;
    try {
      vm = await operation();
    } catch (caught) {
      error = caught;
    }
    return { vm, error, elapsedMs: Date.now() - startedAt, timersLeft: vi.getTimerCount(), startedAt };
  });
}

interface Post {
  location: unknown;
  at: number;
  status: number | undefined;
}

/** The `POST /servers` the emulator received: the location each asked for, when (virtual ms from the call), answer. */
function posts(startedAt: number, on: HetznerEmulator = emulator): Post[] {
  return on.requests
    .filter((entry) => entry.method === 'POST' && entry.path === '/v1/servers')
    .map((entry) => ({
      location: (JSON.parse(entry.body ?? '{}') as Record<string, unknown>).location,
      at: entry.at - startedAt,
      status: entry.status,
    }));
}

/** The error a call rejected with, asserted to be a ProviderError. */
function providerError(outcome: Outcome): ProviderError {
  expect(outcome.vm).toBeUndefined();
  expect(outcome.error).toBeInstanceOf(ProviderError);
  return outcome.error as ProviderError;
}

const NOTHING = { servers: [], volumes: [], ips: [] };

describe('HetznerProvider capacity retries (resource_unavailable, unsupported location)', () => {
  it('retries resource_unavailable twice with 15 000 then 30 000 ms of backoff and lands in the requested location', async () => {
    const rule = emulator.setCapacityFailure({ failure: 'resource_unavailable', times: 2 });
    const { provider, events, logs } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.error).toBeUndefined();
    expect(outcome.vm).toMatchObject({ name: 'agent-1', location: 'fsn1', serverType: 'cx23' });
    expect(rule.hits).toBe(2);
    expect(emulator.requestCount({ method: 'POST' })).toBe(3);
    expect(emulator.requests).toHaveLength(3);
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 15_000, status: 412 },
      { location: 'fsn1', at: 45_000, status: 201 },
    ]);
    expect(outcome.elapsedMs).toBe(45_000);
    expect(outcome.timersLeft).toBe(0);
    expect(capacityEvents(events)).toEqual([
      {
        type: 'capacity_retry',
        location: 'fsn1',
        serverType: 'cx23',
        attempt: 1,
        maxAttempts: 10,
        delayMs: 15_000,
        code: 'resource_unavailable',
      },
      {
        type: 'capacity_retry',
        location: 'fsn1',
        serverType: 'cx23',
        attempt: 2,
        maxAttempts: 10,
        delayMs: 30_000,
        code: 'resource_unavailable',
      },
    ]);
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'No capacity for cx23 in fsn1 (attempt 1 of 10); retrying in 15000 ms',
        context: {
          provider: 'hetzner',
          location: 'fsn1',
          serverType: 'cx23',
          attempt: 1,
          maxAttempts: 10,
          delayMs: 15_000,
          providerCode: 'resource_unavailable',
        },
      },
      {
        level: 'warn',
        message: 'No capacity for cx23 in fsn1 (attempt 2 of 10); retrying in 30000 ms',
        context: {
          provider: 'hetzner',
          location: 'fsn1',
          serverType: 'cx23',
          attempt: 2,
          maxAttempts: 10,
          delayMs: 30_000,
          providerCode: 'resource_unavailable',
        },
      },
    ]);
    expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([outcome.vm?.id]);
  });

  it('retries in the requested location, not elsewhere: a shortage in nbg1 stays in nbg1', async () => {
    emulator.setCapacityFailure({ location: 'nbg1', failure: 'resource_unavailable', times: 1 });
    const { provider } = harness();
    const outcome = await settle(() => provider.createVM(config({ location: 'nbg1' })));

    expect(outcome.vm?.location).toBe('nbg1');
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'nbg1', at: 0, status: 412 },
      { location: 'nbg1', at: 15_000, status: 201 },
    ]);
  });

  it('treats the 422 invalid_input "unsupported location for server type" as a capacity shortage', async () => {
    emulator.setCapacityFailure({ failure: 'unsupported_location', times: 1 });
    const { provider, events, logs } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.error).toBeUndefined();
    expect(outcome.vm?.location).toBe('fsn1');
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 422 },
      { location: 'fsn1', at: 15_000, status: 201 },
    ]);
    expect(outcome.elapsedMs).toBe(15_000);
    expect(capacityEvents(events)).toEqual([
      {
        type: 'capacity_retry',
        location: 'fsn1',
        serverType: 'cx23',
        attempt: 1,
        maxAttempts: 10,
        delayMs: 15_000,
        code: 'invalid_input',
      },
    ]);
    expect(logs.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'No capacity for cx23 in fsn1 (attempt 1 of 10); retrying in 15000 ms'],
    ]);
  });

  it('gives up after capacityRetryMaxAttempts with a transient capacity error naming attempts and budget', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events, logs } = harness({ capacityRetryMaxAttempts: 3 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 15_000, status: 412 },
      { location: 'fsn1', at: 45_000, status: 412 },
    ]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(3);
    // No third wait: the third failure is the last attempt.
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000, 30_000]);
    expect(logs).toHaveLength(2);
    expect(outcome.elapsedMs).toBe(45_000);
    expect(outcome.timersLeft).toBe(0);
    expect(error).toMatchObject({
      provider: 'hetzner',
      category: 'capacity',
      statusCode: 412,
      code: 'resource_unavailable',
      context: { location: 'fsn1', serverType: 'cx23', attempts: 3, elapsedMs: 45_000 },
    });
    expect(error.message).toBe(
      'No capacity for cx23 in fsn1 after 3 attempt(s) over 45000 ms (capacity retry budget 300000 ms): ' +
        'Hetzner API 412 resource_unavailable: the requested resource is currently unavailable',
    );
    expect(error.cause).toBeInstanceOf(ProviderError);
    expect(error.cause).toMatchObject({
      category: 'capacity',
      code: 'resource_unavailable',
      statusCode: 412,
    });
    expect(isTransientCapacityError(error)).toBe(true);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('with the defaults, gives up when the next wait would end past the 300 000 ms budget: 5 attempts', async () => {
    // Attempts at 0, 15 000, 45 000, 105 000 and 225 000 ms; the next wait (120 000 ms, capped) would end at
    // 345 000 ms, past the budget, so it is not started.
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(posts(outcome.startedAt).map((post) => post.at)).toEqual([0, 15_000, 45_000, 105_000, 225_000]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(5);
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000, 30_000, 60_000, 120_000]);
    expect(outcome.elapsedMs).toBe(225_000);
    expect(outcome.elapsedMs).toBeLessThanOrEqual(DEFAULT_CAPACITY_RETRY_BUDGET_MS);
    expect(outcome.timersLeft).toBe(0);
    expect(error).toMatchObject({
      category: 'capacity',
      context: { location: 'fsn1', serverType: 'cx23', attempts: 5, elapsedMs: 225_000 },
    });
    expect(error.message).toMatch(/after 5 attempt\(s\) over 225000 ms/);
    expect(error.message).toMatch(/capacity retry budget 300000 ms/);
    expect(isTransientCapacityError(error)).toBe(true);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('starts a wait that ends exactly at the budget, and no wait that would end past it', async () => {
    // Budget 45 000: the 15 000 wait ends at 15 000, the 30 000 one exactly at 45 000 (allowed); the 60 000 one
    // would end at 105 000.
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness({ capacityRetryBudgetMs: 45_000 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(posts(outcome.startedAt).map((post) => post.at)).toEqual([0, 15_000, 45_000]);
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000, 30_000]);
    expect(error.context).toEqual({ location: 'fsn1', serverType: 'cx23', attempts: 3, elapsedMs: 45_000 });
    expect(error.message).toMatch(/after 3 attempt\(s\) over 45000 ms \(capacity retry budget 45000 ms\)/);
  });

  it('caps the waits at capacityRetryMaxDelayMs', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness({ capacityRetryMaxDelayMs: 40_000, capacityRetryMaxAttempts: 5 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000, 30_000, 40_000, 40_000]);
    expect(posts(outcome.startedAt).map((post) => post.at)).toEqual([0, 15_000, 45_000, 85_000, 125_000]);
    expect(outcome.elapsedMs).toBe(125_000);
    expect(error.context).toMatchObject({ attempts: 5, elapsedMs: 125_000 });
  });

  it('with a budget that is no limit, shows the default cap (120 000 ms) and the default 10 attempts', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness({ capacityRetryBudgetMs: 10_000_000 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(delaysOf(events, 'capacity_retry')).toEqual([
      15_000, 30_000, 60_000, 120_000, 120_000, 120_000, 120_000, 120_000, 120_000,
    ]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS);
    expect(outcome.elapsedMs).toBe(825_000);
    expect(error.context).toMatchObject({ attempts: 10, elapsedMs: 825_000 });
    expect(error.message).toMatch(/after 10 attempt\(s\)/);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('gives up on an unsupported location too, keeping the 422 status and code', async () => {
    emulator.setCapacityFailure({ failure: 'unsupported_location' });
    const { provider } = harness({ capacityRetryMaxAttempts: 2 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
    expect(error).toMatchObject({ category: 'capacity', statusCode: 422, code: 'invalid_input' });
    expect(error.message).toMatch(/after 2 attempt\(s\) over 15000 ms/);
    expect(error.message).toMatch(/unsupported location for server type/);
    expect(isTransientCapacityError(error)).toBe(true);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('with capacityRetryMaxAttempts 1, does not wait at all', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness({ capacityRetryMaxAttempts: 1 });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(emulator.requestCount({ method: 'POST' })).toBe(1);
    expect(capacityEvents(events)).toEqual([]);
    expect(outcome.elapsedMs).toBe(0);
    expect(error).toMatchObject({ category: 'capacity', context: { attempts: 1, elapsedMs: 0 } });
  });
});

describe('HetznerProvider placement retries and location fallback', () => {
  it('retries a placement_error once in fsn1 after 3 000 ms, then falls back to nbg1', async () => {
    const rule = emulator.setCapacityFailure({ location: 'fsn1', failure: 'placement_error' });
    const { provider, events, logs } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.error).toBeUndefined();
    expect(outcome.vm).toMatchObject({ name: 'agent-1', location: 'nbg1', serverType: 'cx23' });
    expect(rule.hits).toBe(2);
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 3_000, status: 412 },
      { location: 'nbg1', at: 3_000, status: 201 },
    ]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(3);
    expect(outcome.elapsedMs).toBe(3_000);
    expect(outcome.timersLeft).toBe(0);
    expect(capacityEvents(events)).toEqual([
      { type: 'placement_retry', location: 'fsn1', serverType: 'cx23', delayMs: 3_000 },
      { type: 'location_fallback', from: 'fsn1', to: 'nbg1', serverType: 'cx23' },
    ]);
    expect(logs).toEqual([
      {
        level: 'warn',
        message: 'Placement of cx23 in fsn1 failed; retrying there in 3000 ms',
        context: { provider: 'hetzner', location: 'fsn1', serverType: 'cx23', delayMs: 3_000 },
      },
      {
        level: 'info',
        message: 'Placement of cx23 in fsn1 failed; trying nbg1',
        context: { provider: 'hetzner', from: 'fsn1', to: 'nbg1', serverType: 'cx23' },
      },
    ]);
    expect(emulator.leftovers().servers).toEqual([
      expect.objectContaining({ id: outcome.vm?.id, zone: 'nbg1' }),
    ]);
    expect(emulator.server(outcome.vm?.id ?? '')?.location).toBe('nbg1');
  });

  it('stays in the requested location when the one retry there is placed', async () => {
    emulator.setCapacityFailure({ failure: 'placement_error', times: 1 });
    const { provider, events } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.vm?.location).toBe('fsn1');
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 3_000, status: 201 },
    ]);
    expect(capacityEvents(events).map((event) => event.type)).toEqual(['placement_retry']);
  });

  it('tries fsn1, fsn1, nbg1, hel1 when placement fails everywhere, and rejects with the placement error', async () => {
    emulator.setCapacityFailure({ failure: 'placement_error' });
    const { provider, events, logs } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 3_000, status: 412 },
      { location: 'nbg1', at: 3_000, status: 412 },
      { location: 'hel1', at: 3_000, status: 412 },
    ]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(4);
    expect(outcome.elapsedMs).toBe(3_000);
    expect(outcome.timersLeft).toBe(0);
    // Placement failures are not also put through the capacity backoff.
    expect(capacityEvents(events)).toEqual([
      { type: 'placement_retry', location: 'fsn1', serverType: 'cx23', delayMs: 3_000 },
      { type: 'location_fallback', from: 'fsn1', to: 'nbg1', serverType: 'cx23' },
      { type: 'location_fallback', from: 'nbg1', to: 'hel1', serverType: 'cx23' },
    ]);
    expect(logs.map((line) => [line.level, line.message])).toEqual([
      ['warn', 'Placement of cx23 in fsn1 failed; retrying there in 3000 ms'],
      ['info', 'Placement of cx23 in fsn1 failed; trying nbg1'],
      ['info', 'Placement of cx23 in nbg1 failed; trying hel1'],
    ]);
    expect(error).toMatchObject({
      provider: 'hetzner',
      category: 'capacity',
      statusCode: 412,
      code: 'placement_error',
    });
    expect(error.message).toBe('Hetzner API 412 placement_error: error during placement');
    expect(isTransientCapacityError(error)).toBe(true);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('from hel1, falls back to fsn1 then nbg1 (the fixed order, minus the requested location)', async () => {
    emulator.setCapacityFailure({ location: 'hel1', failure: 'placement_error' });
    emulator.setCapacityFailure({ location: 'fsn1', failure: 'placement_error' });
    const { provider, events } = harness();
    const outcome = await settle(() => provider.createVM(config({ location: 'hel1' })));

    expect(outcome.error).toBeUndefined();
    expect(outcome.vm?.location).toBe('nbg1');
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'hel1', at: 0, status: 412 },
      { location: 'hel1', at: 3_000, status: 412 },
      { location: 'fsn1', at: 3_000, status: 412 },
      { location: 'nbg1', at: 3_000, status: 201 },
    ]);
    expect(capacityEvents(events)).toEqual([
      { type: 'placement_retry', location: 'hel1', serverType: 'cx23', delayMs: 3_000 },
      { type: 'location_fallback', from: 'hel1', to: 'fsn1', serverType: 'cx23' },
      { type: 'location_fallback', from: 'fsn1', to: 'nbg1', serverType: 'cx23' },
    ]);
    expect(emulator.leftovers().servers).toEqual([expect.objectContaining({ zone: 'nbg1' })]);
  });

  it('with placementFallbackEnabled false, makes exactly 2 POSTs in the requested location and rejects', async () => {
    emulator.setCapacityFailure({ location: 'fsn1', failure: 'placement_error' });
    const { provider, events, logs } = harness({ placementFallbackEnabled: false });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 3_000, status: 412 },
    ]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
    expect(capacityEvents(events).map((event) => event.type)).toEqual(['placement_retry']);
    expect(logs.map((line) => line.level)).toEqual(['warn']);
    expect(error).toMatchObject({ category: 'capacity', statusCode: 412, code: 'placement_error' });
    expect(isTransientCapacityError(error)).toBe(true);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('uses placementRetryDelayMs for the pause before the same-location retry', async () => {
    emulator.setCapacityFailure({ location: 'fsn1', failure: 'placement_error' });
    const { provider, events } = harness({ placementRetryDelayMs: 250 });
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.vm?.location).toBe('nbg1');
    expect(delaysOf(events, 'placement_retry')).toEqual([250]);
    expect(posts(outcome.startedAt).map((post) => post.at)).toEqual([0, 250, 250]);
  });

  it('a capacity shortage in a fallback location backs off and starts over from the requested location', async () => {
    emulator.setCapacityFailure({ location: 'fsn1', failure: 'placement_error' });
    emulator.setCapacityFailure({ location: 'nbg1', failure: 'resource_unavailable', times: 1 });
    const { provider, events } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.vm?.location).toBe('nbg1');
    expect(posts(outcome.startedAt)).toEqual([
      { location: 'fsn1', at: 0, status: 412 },
      { location: 'fsn1', at: 3_000, status: 412 },
      { location: 'nbg1', at: 3_000, status: 412 },
      { location: 'fsn1', at: 18_000, status: 412 },
      { location: 'fsn1', at: 21_000, status: 412 },
      { location: 'nbg1', at: 21_000, status: 201 },
    ]);
    expect(capacityEvents(events).map((event) => event.type)).toEqual([
      'placement_retry',
      'location_fallback',
      'capacity_retry',
      'placement_retry',
      'location_fallback',
    ]);
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000]);
    // The shortage is reported where it was met, not where the create started.
    expect(events.find((event) => event.type === 'capacity_retry')).toMatchObject({ location: 'nbg1' });
    expect(emulator.leftovers().servers).toHaveLength(1);
  });
});

describe('HetznerProvider capacity waits and the caller’s signal', () => {
  it('rejects with the caller’s exact reason when aborted during a capacity wait, and sends nothing more', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    const { provider, events } = harness();
    const controller = new AbortController();
    const reason = new Error('handler deadline');
    const outcome = await settle(
      () => provider.createVM(config(), { signal: controller.signal }),
      () => setTimeout(() => controller.abort(reason), 5_000),
    );

    expect(outcome.error).toBe(reason);
    expect(outcome.elapsedMs).toBe(5_000);
    expect(outcome.timersLeft).toBe(0);
    expect(emulator.requestCount({ method: 'POST' })).toBe(1);
    expect(emulator.requests).toHaveLength(1);
    expect(delaysOf(events, 'capacity_retry')).toEqual([15_000]);
    expect(emulator.leftovers()).toEqual(NOTHING);
    // Nothing resumes later either.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(emulator.requests).toHaveLength(1);
  });

  it('rejects with a non-Error reason untouched, aborted during the second capacity wait', async () => {
    emulator.setCapacityFailure({ failure: 'unsupported_location' });
    const { provider } = harness();
    const controller = new AbortController();
    const reason = { why: 'shutdown' };
    const outcome = await settle(
      () => provider.createVM(config(), { signal: controller.signal }),
      () => setTimeout(() => controller.abort(reason), 20_000),
    );

    expect(outcome.error).toBe(reason);
    expect(outcome.elapsedMs).toBe(20_000);
    expect(outcome.timersLeft).toBe(0);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('rejects with the caller’s reason when aborted during the placement pause, and tries no other location', async () => {
    emulator.setCapacityFailure({ failure: 'placement_error' });
    const { provider, events } = harness();
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const outcome = await settle(
      () => provider.createVM(config(), { signal: controller.signal }),
      () => setTimeout(() => controller.abort(reason), 1_000),
    );

    expect(outcome.error).toBe(reason);
    expect(outcome.elapsedMs).toBe(1_000);
    expect(outcome.timersLeft).toBe(0);
    expect(posts(outcome.startedAt)).toEqual([{ location: 'fsn1', at: 0, status: 412 }]);
    expect(capacityEvents(events).map((event) => event.type)).toEqual(['placement_retry']);
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('sends nothing when the signal has already fired', async () => {
    const { provider } = harness();
    const controller = new AbortController();
    const reason = new Error('too late');
    controller.abort(reason);
    const outcome = await settle(() => provider.createVM(config(), { signal: controller.signal }));

    expect(outcome.error).toBe(reason);
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('HetznerProvider failures that are not capacity', () => {
  it('does not retry a quota refusal (resource_limit_exceeded): 1 POST, quota error', async () => {
    const { provider, events } = harness({ apiUrl: LIMITED_API });
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(limited.requestCount({ method: 'POST' })).toBe(1);
    expect(limited.requests).toHaveLength(1);
    expect(posts(outcome.startedAt, limited)).toEqual([{ location: 'fsn1', at: 0, status: 403 }]);
    expect(emulator.requests).toHaveLength(0);
    expect(error).toMatchObject({ category: 'quota', code: 'resource_limit_exceeded', statusCode: 403 });
    expect(isTransientCapacityError(error)).toBe(false);
    expect(capacityEvents(events)).toEqual([]);
    expect(outcome.elapsedMs).toBe(0);
    expect(outcome.timersLeft).toBe(0);
    expect(limited.leftovers()).toEqual(NOTHING);
  });

  it('does not retry a name conflict (uniqueness_error): 1 POST, conflict error, nothing new created', async () => {
    const existing = emulator.seedServer({ name: 'agent-1' });
    const { provider, events } = harness();
    const outcome = await settle(() => provider.createVM(config()));

    const error = providerError(outcome);
    expect(emulator.requestCount({ method: 'POST' })).toBe(1);
    expect(error).toMatchObject({ category: 'conflict', code: 'uniqueness_error', statusCode: 409 });
    expect(isTransientCapacityError(error)).toBe(false);
    expect(capacityEvents(events)).toEqual([]);
    expect(outcome.elapsedMs).toBe(0);
    expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([String(existing.id)]);
  });
});

describe('HetznerProvider capacity configuration', () => {
  it('exports SAM’s defaults', () => {
    expect({
      placement: DEFAULT_PLACEMENT_RETRY_DELAY_MS,
      initial: DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
      max: DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
      attempts: DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
      budget: DEFAULT_CAPACITY_RETRY_BUDGET_MS,
    }).toEqual({ placement: 3_000, initial: 15_000, max: 120_000, attempts: 10, budget: 300_000 });
  });

  it('built with no capacity fields, waits 15 000 ms first and pauses 3 000 ms before a placement retry', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable', times: 1 });
    emulator.setCapacityFailure({ failure: 'placement_error', times: 1 });
    const events: ProviderEvent[] = [];
    const provider = new HetznerProvider({
      token: HETZNER_EMULATOR_TOKEN,
      onEvent: (event) => events.push(event),
    });
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.vm?.location).toBe('fsn1');
    expect(capacityEvents(events)).toEqual([
      expect.objectContaining({ type: 'capacity_retry', delayMs: 15_000, maxAttempts: 10 }),
      expect.objectContaining({ type: 'placement_retry', delayMs: 3_000 }),
    ]);
    expect(posts(outcome.startedAt).map((post) => [post.at, post.status])).toEqual([
      [0, 412],
      [15_000, 412],
      [18_000, 201],
    ]);
  });

  it('uses capacityRetryInitialDelayMs as the first wait, doubling from it', async () => {
    emulator.setCapacityFailure({ failure: 'resource_unavailable', times: 3 });
    const { provider, events } = harness({ capacityRetryInitialDelayMs: 1_000 });
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.vm?.location).toBe('fsn1');
    expect(delaysOf(events, 'capacity_retry')).toEqual([1_000, 2_000, 4_000]);
    expect(outcome.elapsedMs).toBe(7_000);
  });

  it.each([
    ['capacityRetryMaxAttempts', { capacityRetryMaxAttempts: 0 }],
    ['capacityRetryMaxAttempts', { capacityRetryMaxAttempts: 1.5 }],
    ['capacityRetryInitialDelayMs', { capacityRetryInitialDelayMs: -1 }],
    ['capacityRetryMaxDelayMs', { capacityRetryMaxDelayMs: Number.NaN }],
    ['capacityRetryBudgetMs', { capacityRetryBudgetMs: -5 }],
    ['placementRetryDelayMs', { placementRetryDelayMs: 0.5 }],
  ] as const)('rejects an invalid %s at construction, naming it', (field, settings) => {
    let thrown: unknown;
    try {
      harness(settings);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ProviderError);
    expect(thrown).toMatchObject({ category: 'invalid_input', field: `config.${field}` });
    expect(emulator.requests).toHaveLength(0);
  });

  it('rejects a non-boolean placementFallbackEnabled at construction', () => {
    expect(() => harness({ placementFallbackEnabled: 'no' as unknown as boolean })).toThrow(ProviderError);
  });
});

describe('HetznerProvider: a lost answer across capacity and placement attempts', () => {
  it('adopts the late server of an earlier attempt instead of failing on its name (and leaking it)', async () => {
    // The first POST reaches the API only after the client gave up on it and its lookups found nothing; the retried
    // POST meets a placement failure; by the placement retry the first server exists, and its name conflicts.
    emulator.injectFault({ method: 'POST', path: /\/servers$/, delayMs: 3_000, times: 1 });
    emulator.setCapacityFailure({ failure: 'placement_error', times: 1 });
    const { provider } = harness({
      timeoutMs: 1_000,
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const outcome = await settle(() => provider.createVM(config()));

    expect(outcome.error).toBeUndefined();
    expect(outcome.vm?.name).toBe('agent-1');
    expect(emulator.leftovers().servers).toHaveLength(1);
    expect(emulator.requestCount({ method: 'POST' })).toBe(3);
  });

  it('removes a server that landed late when the caller aborts during the placement pause', async () => {
    emulator.injectFault({ method: 'POST', path: /\/servers$/, delayMs: 3_000, times: 1 });
    emulator.setCapacityFailure({ failure: 'placement_error', times: 1 });
    const { provider } = harness({
      timeoutMs: 1_000,
      retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 5 },
    });
    const controller = new AbortController();
    const reason = new Error('handler deadline');
    const outcome = await settle(
      () => provider.createVM(config(), { signal: controller.signal }),
      () => setTimeout(() => controller.abort(reason), 4_000),
    );

    expect(outcome.error).toBe(reason);
    expect(emulator.leftovers().servers).toEqual([]);
  });
});
