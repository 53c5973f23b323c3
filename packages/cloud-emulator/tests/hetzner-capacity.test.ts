import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HETZNER_CAPACITY_ERRORS, HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '../src/index.js';

const BASE = 'https://api.hetzner.cloud/v1';
const auth = { Authorization: `Bearer ${HETZNER_EMULATOR_TOKEN}` };

const RESOURCE_UNAVAILABLE = {
  error: {
    code: 'resource_unavailable',
    message: 'the requested resource is currently unavailable',
    details: {},
  },
};
const PLACEMENT_ERROR = {
  error: { code: 'placement_error', message: 'error during placement', details: {} },
};
const UNSUPPORTED_LOCATION = {
  error: { code: 'invalid_input', message: 'unsupported location for server type', details: {} },
};
const NOTHING = { servers: [], volumes: [], ips: [] };

const mock = setupServer();
beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mock.resetHandlers());
afterAll(() => mock.close());

let emulator: HetznerEmulator;
let created = 0;
beforeEach(() => {
  emulator = new HetznerEmulator();
  mock.use(...emulator.handlers());
});

/** `POST /servers` through msw; each call gets a fresh name unless `overrides.name` says otherwise. */
async function create(overrides: Record<string, unknown> = {}, headers: Record<string, string> = auth) {
  const response = await fetch(`${BASE}/servers`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: `agent-${++created}`,
      server_type: 'cx23',
      image: 'ubuntu-24.04',
      location: 'fsn1',
      ...overrides,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('HetznerEmulator capacity failures', () => {
  it.each([
    ['resource_unavailable', 412, RESOURCE_UNAVAILABLE],
    ['placement_error', 412, PLACEMENT_ERROR],
    ['unsupported_location', 422, UNSUPPORTED_LOCATION],
  ] as const)('%s answers %i with the recorded body and creates nothing', async (failure, status, body) => {
    const rule = emulator.setCapacityFailure({ failure, times: 1 });
    const refused = await create({ name: 'agent-x' });
    expect(refused).toEqual({ status, body });
    expect(HETZNER_CAPACITY_ERRORS[failure]).toEqual({
      status,
      code: body.error.code,
      message: body.error.message,
    });
    expect(rule.hits).toBe(1);
    expect(emulator.leftovers()).toEqual(NOTHING);
    expect(emulator.requests).toHaveLength(1);
    expect(emulator.requests[0]).toMatchObject({
      method: 'POST',
      path: '/v1/servers',
      status,
      apiStatus: status,
    });
    expect(emulator.requests[0]?.fault).toBeUndefined();
    // Nothing was reserved by the failed create: the same name succeeds next, with its IP.
    const next = await create({ name: 'agent-x' });
    expect(next.status).toBe(201);
    expect(emulator.leftovers().servers).toHaveLength(1);
    expect(emulator.leftovers().ips).toHaveLength(1);
  });

  it('matches by location only, by server type only, and by both', async () => {
    emulator.setCapacityFailure({ location: 'nbg1', failure: 'resource_unavailable' });
    expect((await create({ location: 'fsn1' })).status).toBe(201);
    expect((await create({ location: 'nbg1' })).body).toEqual(RESOURCE_UNAVAILABLE);
    expect((await create({ location: 'nbg1', server_type: 'cx43' })).body).toEqual(RESOURCE_UNAVAILABLE);
    emulator.clearCapacityFailures();

    emulator.setCapacityFailure({ serverType: 'cx33', failure: 'placement_error' });
    expect((await create({ server_type: 'cx23' })).status).toBe(201);
    expect((await create({ server_type: 'cx33', location: 'hel1' })).body).toEqual(PLACEMENT_ERROR);
    expect((await create({ server_type: 'cx33' })).body).toEqual(PLACEMENT_ERROR);
    emulator.clearCapacityFailures();

    emulator.setCapacityFailure({ location: 'hel1', serverType: 'cx43', failure: 'unsupported_location' });
    expect((await create({ location: 'hel1', server_type: 'cx23' })).status).toBe(201);
    expect((await create({ location: 'fsn1', server_type: 'cx43' })).status).toBe(201);
    const refused = await create({ location: 'hel1', server_type: 'cx43' });
    expect(refused).toEqual({ status: 422, body: UNSUPPORTED_LOCATION });
    expect(emulator.leftovers().servers).toHaveLength(4);
  });

  it('matches a create without a location as one in fsn1, the default', async () => {
    emulator.setCapacityFailure({ location: 'fsn1', failure: 'resource_unavailable' });
    expect((await create({ location: undefined })).status).toBe(412);
  });

  it('fails `times` creates and then lets them through; hits counts the failures', async () => {
    const rule = emulator.setCapacityFailure({ failure: 'resource_unavailable', times: 2 });
    expect(rule.hits).toBe(0);
    expect((await create()).status).toBe(412);
    expect((await create()).status).toBe(412);
    expect(rule.hits).toBe(2);
    expect((await create()).status).toBe(201);
    expect((await create()).status).toBe(201);
    expect(rule.hits).toBe(2);
    expect(emulator.leftovers().servers).toHaveLength(2);
  });

  it('fails every matching create until removed when `times` is absent', async () => {
    const rule = emulator.setCapacityFailure({ failure: 'placement_error' });
    for (let attempt = 0; attempt < 5; attempt++) expect((await create()).status).toBe(412);
    expect(rule.hits).toBe(5);
    rule.remove();
    expect((await create()).status).toBe(201);
    expect(rule.hits).toBe(5);
    rule.remove();
    expect((await create()).status).toBe(201);
  });

  it('applies the first matching rule that has times left', async () => {
    const other = emulator.setCapacityFailure({ location: 'nbg1', failure: 'unsupported_location' });
    const first = emulator.setCapacityFailure({ failure: 'placement_error', times: 1 });
    const second = emulator.setCapacityFailure({ failure: 'resource_unavailable', times: 1 });
    expect((await create()).body).toEqual(PLACEMENT_ERROR);
    expect((await create()).body).toEqual(RESOURCE_UNAVAILABLE);
    expect((await create()).status).toBe(201);
    expect((await create({ location: 'nbg1' })).body).toEqual(UNSUPPORTED_LOCATION);
    expect([other.hits, first.hits, second.hits]).toEqual([1, 1, 1]);
  });

  it('remove() drops one rule and clearCapacityFailures() drops them all', async () => {
    const fsn = emulator.setCapacityFailure({ location: 'fsn1', failure: 'resource_unavailable' });
    emulator.setCapacityFailure({ location: 'nbg1', failure: 'resource_unavailable' });
    emulator.setCapacityFailure({ location: 'hel1', failure: 'resource_unavailable' });
    fsn.remove();
    expect((await create({ location: 'fsn1' })).status).toBe(201);
    expect((await create({ location: 'nbg1' })).status).toBe(412);
    emulator.clearCapacityFailures();
    expect((await create({ location: 'nbg1' })).status).toBe(201);
    expect((await create({ location: 'hel1' })).status).toBe(201);
    expect(fsn.hits).toBe(0);
  });

  it('reset() clears the rules', async () => {
    const rule = emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    expect((await create()).status).toBe(412);
    emulator.reset();
    expect((await create()).status).toBe(201);
    expect(rule.hits).toBe(1);
  });

  it('runs after auth, validation and the uniqueness check, and before the server limit', async () => {
    const rule = emulator.setCapacityFailure({ failure: 'resource_unavailable' });
    expect((await create({}, { Authorization: 'Bearer nope' })).body.error.code).toBe('unauthorized');
    expect((await create({ name: 'bad name!' })).body.error.code).toBe('invalid_input');
    expect((await create({ server_type: 'cx999' })).body.error.code).toBe('invalid_input');
    expect((await create({ image: 'nope' })).body.error.message).toBe('image not found');
    emulator.seedServer({ name: 'taken' });
    const duplicate = await create({ name: 'taken' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.error.code).toBe('uniqueness_error');
    expect(rule.hits).toBe(0);

    const full = new HetznerEmulator({ serverLimit: 0 });
    mock.use(...full.handlers());
    full.setCapacityFailure({ failure: 'placement_error', times: 1 });
    expect((await create()).body).toEqual(PLACEMENT_ERROR);
    expect((await create()).body.error.code).toBe('resource_limit_exceeded');
  });
});

describe('HetznerEmulator statically unsupported locations', () => {
  it('answers 422 invalid_input "unsupported location for server type" for a type the location does not offer', async () => {
    for (const location of ['ash', 'hil', 'sin']) {
      expect(await create({ server_type: 'cx23', location })).toEqual({
        status: 422,
        body: UNSUPPORTED_LOCATION,
      });
    }
    expect(emulator.leftovers()).toEqual(NOTHING);
    expect((await create({ server_type: 'cpx11', location: 'ash' })).status).toBe(201);
  });

  it('answers statically before any rule, so the rule is not hit', async () => {
    const rule = emulator.setCapacityFailure({ location: 'sin', failure: 'resource_unavailable' });
    expect((await create({ server_type: 'cx33', location: 'sin' })).body).toEqual(UNSUPPORTED_LOCATION);
    expect(rule.hits).toBe(0);
    expect((await create({ server_type: 'cpx11', location: 'sin' })).body).toEqual(RESOURCE_UNAVAILABLE);
    expect(rule.hits).toBe(1);
  });
});
