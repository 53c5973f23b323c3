import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  HETZNER_EMULATOR_TOKEN,
  HETZNER_ERROR_EXAMPLES,
  HETZNER_MAX_VOLUMES_PER_SERVER,
  HETZNER_VOLUME_ACTION_ERRORS,
  HETZNER_VOLUME_DELAYS,
  HETZNER_VOLUME_ERRORS,
  HetznerEmulator,
  type HetznerEmulatorOptions,
} from '../src/index.js';

const BASE = 'https://api.hetzner.cloud/v1';
const auth = { Authorization: `Bearer ${HETZNER_EMULATOR_TOKEN}` };
const D = HETZNER_VOLUME_DELAYS;

const mock = setupServer();
beforeAll(() => mock.listen({ onUnhandledRequest: 'error' }));
afterEach(() => mock.resetHandlers());

/** Every error answer seen in this file, checked against HETZNER_ERROR_EXAMPLES at the end. */
const seenErrors: Array<{ status: number; body: any }> = [];
afterAll(() => {
  mock.close();
  const normalize = (message: string) =>
    message
      .replace(/^invalid label .*/, 'invalid label X')
      .replace(/ID \S+/g, 'ID N')
      .replace(/\d+/g, 'N');
  const listed = new Set(
    HETZNER_ERROR_EXAMPLES.map(
      (example) => `${example.status} ${example.body.error.code} ${normalize(example.body.error.message)}`,
    ),
  );
  const missing = seenErrors
    .map(({ status, body }) => `${status} ${body?.error?.code} ${normalize(String(body?.error?.message))}`)
    .filter((key) => !listed.has(key));
  expect([...new Set(missing)]).toEqual([]);
  expect(seenErrors.length).toBeGreaterThan(40);
});

let emulator: HetznerEmulator;
function use(options: HetznerEmulatorOptions = {}): HetznerEmulator {
  emulator = new HetznerEmulator({ clock: { mode: 'manual' }, ...options });
  mock.use(...emulator.handlers());
  return emulator;
}
beforeEach(() => {
  use();
});

async function api(method: string, path: string, body?: unknown, raw?: string) {
  const response = await fetch(`${BASE}${path}`, {
    method,
    headers: { ...auth, 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const result = { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as any };
  if (response.status >= 400) seenErrors.push(result);
  return result;
}

let names = 0;
const createVolume = (overrides: Record<string, unknown> = {}) =>
  api('POST', '/volumes', { name: `data-${++names}`, size: 10, location: 'fsn1', ...overrides });
/** A volume created through the API and settled to `available`. */
async function availableVolume(overrides: Record<string, unknown> = {}): Promise<number> {
  const created = await createVolume(overrides);
  expect(created.status).toBe(201);
  emulator.clock.settle();
  return created.body.volume.id as number;
}
const errorBody = (definition: { code: string; message: string }, message = definition.message) => ({
  error: { code: definition.code, message, details: {} },
});
const E = HETZNER_VOLUME_ERRORS;

describe('POST /volumes', () => {
  it('answers 201 with the volume creating, a running create_volume action and no next action', async () => {
    const created = await createVolume({ name: 'data-a', size: 42, labels: { env: 'test' } });
    expect(created.status).toBe(201);
    const id = created.body.volume.id as number;
    expect(created.body).toEqual({
      volume: {
        id,
        name: 'data-a',
        server: null,
        status: 'creating',
        location: {
          id: 1,
          name: 'fsn1',
          description: 'Falkenstein DC Park 1',
          country: 'DE',
          city: 'Falkenstein',
          latitude: 50.47612,
          longitude: 12.370071,
          network_zone: 'eu-central',
        },
        size: 42,
        linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${id}`,
        protection: { delete: false },
        labels: { env: 'test' },
        format: null,
        created: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      action: {
        id: expect.any(Number),
        command: 'create_volume',
        status: 'running',
        progress: 0,
        started: expect.any(String),
        finished: null,
        resources: [{ id, type: 'volume' }],
        error: null,
      },
      next_actions: [],
    });
  });

  it('turns creating → available and the action running → success after the create delay', async () => {
    const created = await createVolume();
    const id = created.body.volume.id as number;
    const actionId = created.body.action.id as number;
    emulator.clock.advance(D.create - 1);
    expect((await api('GET', `/volumes/${id}`)).body.volume.status).toBe('creating');
    expect((await api('GET', `/actions/${actionId}`)).body.action.status).toBe('running');
    emulator.clock.advance(1);
    expect((await api('GET', `/volumes/${id}`)).body.volume.status).toBe('available');
    const polled = (await api('GET', `/actions/${actionId}`)).body.action;
    expect(polled).toMatchObject({ status: 'success', progress: 100, error: null });
    expect(polled.finished).toEqual(expect.any(String));
  });

  it('on an instant clock answers creating, and is available at the first read', async () => {
    use({ clock: { mode: 'instant' } });
    const created = await createVolume();
    expect(created.body.volume.status).toBe('creating');
    expect(created.body.action.status).toBe('running');
    expect((await api('GET', `/volumes/${created.body.volume.id}`)).body.volume.status).toBe('available');
    expect((await api('GET', `/actions/${created.body.action.id}`)).body.action.status).toBe('success');
  });

  it('takes a location by name or id, a format, and accepts the size and name limits', async () => {
    const byId = await createVolume({ location: 2, format: 'ext4' });
    expect(byId.body.volume).toMatchObject({ location: { name: 'nbg1' }, format: 'ext4' });
    expect((await createVolume({ location: '3', format: 'xfs' })).body.volume).toMatchObject({
      location: { name: 'hel1' },
      format: 'xfs',
    });
    expect((await createVolume({ size: 10_240 })).status).toBe(201);
    for (const name of ['a', 'A.b_c-1', `a${'b'.repeat(62)}c`]) {
      expect((await createVolume({ name })).status).toBe(201);
    }
  });

  it('with `server`: created in its location, then attached by an attach_volume next action', async () => {
    const server = emulator.seedServer({ location: 'hel1' });
    const created = await api('POST', '/volumes', {
      name: 'attached',
      size: 20,
      server: server.id,
      automount: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.volume.id as number;
    expect(created.body.volume).toMatchObject({
      location: { name: 'hel1' },
      server: null,
      status: 'creating',
    });
    expect(created.body.next_actions).toEqual([
      expect.objectContaining({
        command: 'attach_volume',
        status: 'running',
        resources: [
          { id: server.id, type: 'server' },
          { id, type: 'volume' },
        ],
      }),
    ]);
    const attachId = created.body.next_actions[0].id as number;
    emulator.clock.advance(D.create);
    expect((await api('GET', `/volumes/${id}`)).body.volume).toMatchObject({
      status: 'available',
      server: null,
    });
    expect((await api('GET', `/actions/${attachId}`)).body.action.status).toBe('running');
    emulator.clock.advance(D.attach);
    expect((await api('GET', `/volumes/${id}`)).body.volume.server).toBe(server.id);
    expect((await api('GET', `/actions/${attachId}`)).body.action.status).toBe('success');
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual([id]);
    expect(emulator.volume(id)?.automount).toBe(true);
  });

  it.each([
    ['size 9', { size: 9 }, E.invalidSize],
    ['size 10241', { size: 10_241 }, E.invalidSize],
    ['size 10.5', { size: 10.5 }, E.invalidSize],
    ['size "10"', { size: '10' }, E.invalidSize],
    ['no size', { size: undefined }, E.invalidSize],
    ['no name', { name: undefined }, E.invalidName],
    ['name ""', { name: '' }, E.invalidName],
    ['name "-a"', { name: '-a' }, E.invalidName],
    ['name "a_"', { name: 'a_' }, E.invalidName],
    ['name "a b"', { name: 'a b' }, E.invalidName],
    ['a 65-character name', { name: 'a'.repeat(65) }, E.invalidName],
    ['neither location nor server', { location: undefined }, E.locationOrServer],
    ['location and server', { server: 1 }, E.locationOrServer],
    ['automount without server', { automount: true }, E.automountWithoutServer],
    ['format btrfs', { format: 'btrfs' }, E.invalidFormat],
    ['location xyz1', { location: 'xyz1' }, E.unknownLocation],
    ['location id 99', { location: 99 }, E.unknownLocation],
  ])('refuses %s with 400 invalid_input, creating nothing', async (_, overrides, definition) => {
    const refused = await createVolume(overrides);
    expect(refused).toEqual({ status: 400, body: errorBody(definition) });
    expect(emulator.leftovers().volumes).toEqual([]);
  });

  it('refuses bad labels, a bad server reference, a bad automount and invalid JSON', async () => {
    expect((await createVolume({ labels: { 'bad key!': 'x' } })).body).toEqual(
      errorBody(E.invalidLabel, 'invalid label bad key!'),
    );
    expect((await createVolume({ labels: ['x'] })).body).toEqual(
      errorBody(E.invalidLabel, 'labels must be an object'),
    );
    const server = emulator.seedServer();
    const serverBody = { name: 'x', size: 10, location: undefined };
    expect(await createVolume({ ...serverBody, server: 'abc' })).toEqual({
      status: 400,
      body: errorBody(E.invalidServer),
    });
    expect(await createVolume({ ...serverBody, server: 42 })).toEqual({
      status: 404,
      body: errorBody({ code: 'not_found', message: 'server with ID 42 not found' }),
    });
    expect((await createVolume({ ...serverBody, server: server.id, automount: 'yes' })).body).toEqual(
      errorBody(E.invalidAutomount),
    );
    expect(await api('POST', '/volumes', undefined, '{nope')).toEqual({
      status: 400,
      body: errorBody(E.json),
    });
    expect(await api('POST', '/volumes', undefined, '[1]')).toEqual({ status: 400, body: errorBody(E.json) });
    expect(emulator.leftovers().volumes).toEqual([]);
  });

  it('refuses a name already used in the project with 409 uniqueness_error, until that volume is deleted', async () => {
    const id = await availableVolume({ name: 'taken', location: 'nbg1' });
    expect(await createVolume({ name: 'taken' })).toEqual({ status: 409, body: errorBody(E.nameTaken) });
    expect((await api('DELETE', `/volumes/${id}`)).status).toBe(204);
    expect((await createVolume({ name: 'taken' })).status).toBe(201);
  });

  it('refuses a create beyond volumeLimit with 403 resource_limit_exceeded', async () => {
    use({ volumeLimit: 2 });
    const first = await availableVolume();
    await availableVolume();
    expect(await createVolume()).toEqual({ status: 403, body: errorBody(E.volumeLimit) });
    expect(emulator.leftovers().volumes).toHaveLength(2);
    await api('DELETE', `/volumes/${first}`);
    expect((await createVolume()).status).toBe(201);
  });

  it('fails creates with 422 no_space_left_in_location per location, `times` times, until cleared', async () => {
    const rule = emulator.setVolumeSpaceFailure({ location: 'nbg1', times: 1 });
    expect(await createVolume({ location: 'nbg1' })).toEqual({ status: 422, body: errorBody(E.noSpace) });
    expect(rule.hits).toBe(1);
    expect(emulator.leftovers().volumes).toEqual([]);
    expect((await createVolume({ location: 'nbg1' })).status).toBe(201);

    const everywhere = emulator.setVolumeSpaceFailure();
    expect((await createVolume({ location: 'hel1' })).status).toBe(422);
    const server = emulator.seedServer({ location: 'ash' });
    expect((await createVolume({ location: undefined, server: server.id })).status).toBe(422);
    expect(everywhere.hits).toBe(2);
    everywhere.remove();
    emulator.setVolumeSpaceFailure({ location: 'ash' });
    expect((await createVolume({ location: 'hel1' })).status).toBe(201);
    expect((await createVolume({ location: undefined, server: server.id })).status).toBe(422);
    emulator.clearVolumeSpaceFailures();
    expect((await createVolume({ location: undefined, server: server.id })).status).toBe(201);
  });

  it('checks validation, then uniqueness, then space, then the limit', async () => {
    use({ volumeLimit: 0 });
    emulator.seedVolume({ name: 'taken' });
    const rule = emulator.setVolumeSpaceFailure({ times: 1 });
    expect((await createVolume({ name: 'taken', size: 1 })).body.error.code).toBe('invalid_input');
    expect((await createVolume({ name: 'taken' })).body.error.code).toBe('uniqueness_error');
    expect(rule.hits).toBe(0);
    expect((await createVolume()).body.error.code).toBe('no_space_left_in_location');
    expect((await createVolume()).body.error.code).toBe('resource_limit_exceeded');
  });
});

describe('GET /volumes and GET /volumes/{id}', () => {
  it('gets one volume, and answers 404 not_found for an unknown or malformed id', async () => {
    const id = await availableVolume({ name: 'one' });
    expect(await api('GET', `/volumes/${id}`)).toMatchObject({
      status: 200,
      body: { volume: { id, name: 'one' } },
    });
    expect(await api('GET', '/volumes/4242')).toEqual({
      status: 404,
      body: errorBody(E.notFound, 'volume with ID 4242 not found'),
    });
    expect((await api('GET', '/volumes/abc')).status).toBe(404);
  });

  it.each([
    [0, [1], 0],
    [50, [1], 50],
    [51, [1, 2], 1],
    [120, [1, 2, 3], 20],
  ])('paginates %i volumes with per_page=50', async (count, pages, lastCount) => {
    for (let index = 0; index < count; index++) emulator.seedVolume();
    const seen: number[] = [];
    for (const page of pages) {
      const listed = await api('GET', `/volumes?per_page=50&page=${page}`);
      expect(listed.status).toBe(200);
      const last = page === pages.length;
      expect(listed.body.volumes).toHaveLength(last ? lastCount : 50);
      expect(listed.body.meta.pagination).toEqual({
        page,
        per_page: 50,
        previous_page: page > 1 ? page - 1 : null,
        next_page: last ? null : page + 1,
        last_page: pages.length,
        total_entries: count,
      });
      seen.push(...listed.body.volumes.map((volume: { id: number }) => volume.id));
    }
    expect(new Set(seen).size).toBe(count);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect((await api('GET', `/volumes?per_page=50&page=${pages.length + 1}`)).body.volumes).toEqual([]);
  });

  it('pages by 25 by default and by 50 at most', async () => {
    for (let index = 0; index < 60; index++) emulator.seedVolume();
    expect((await api('GET', '/volumes')).body.meta.pagination).toMatchObject({ per_page: 25, last_page: 3 });
    const capped = await api('GET', '/volumes?per_page=500');
    expect(capped.body.volumes).toHaveLength(50);
    expect(capped.body.meta.pagination).toMatchObject({ per_page: 50, last_page: 2 });
  });

  it('filters by exact name, status and label_selector (the servers syntax)', async () => {
    for (let index = 0; index < 9; index++) {
      emulator.seedVolume({
        name: `vol-${index}`,
        labels: index % 3 === 0 ? { team: 'a', role: 'x' } : { team: 'b' },
      });
    }
    await createVolume({ name: 'vol-new', labels: { team: 'a' } });
    const total = async (query: string) =>
      (await api('GET', `/volumes?${query}`)).body.meta.pagination.total_entries as number;
    expect(await total('name=vol-1')).toBe(1);
    expect(await total('name=vol')).toBe(0);
    expect(await total('status=creating')).toBe(1);
    expect(await total('status=available')).toBe(9);
    expect(await total('status=available&status=creating')).toBe(10);
    const selected = (selector: string) => total(`label_selector=${encodeURIComponent(selector)}`);
    expect(await selected('team=a,role=x')).toBe(3);
    expect(await selected('team==b')).toBe(6);
    expect(await selected('team!=a')).toBe(6);
    expect(await selected('role')).toBe(3);
    expect(await selected('!role')).toBe(7);
    expect(await selected('team=a,status=creating')).toBe(0);
    expect(await api('GET', `/volumes?label_selector=${encodeURIComponent('bad key!')}`)).toEqual({
      status: 400,
      body: errorBody(E.invalidSelector),
    });
    expect(await api('GET', '/volumes?status=attached')).toEqual({
      status: 400,
      body: errorBody(E.invalidStatus),
    });
  });

  it('sorts by id, name and created, ascending or descending', async () => {
    const c = emulator.seedVolume({ name: 'c', created: '2024-01-01T00:00:00.000Z' });
    const a = emulator.seedVolume({ name: 'a', created: '2024-03-01T00:00:00.000Z' });
    const b = emulator.seedVolume({ name: 'b', created: '2024-02-01T00:00:00.000Z' });
    const order = async (sort: string) =>
      (await api('GET', `/volumes?${sort}`)).body.volumes.map((volume: { name: string }) => volume.name);
    expect(await order('')).toEqual(['c', 'a', 'b']);
    expect(await order('sort=name')).toEqual(['a', 'b', 'c']);
    expect(await order('sort=name:desc')).toEqual(['c', 'b', 'a']);
    expect(await order('sort=created:asc')).toEqual(['c', 'b', 'a']);
    expect(await order('sort=id:desc')).toEqual(['b', 'a', 'c']);
    expect([a.id, b.id, c.id].every(Number.isInteger)).toBe(true);
    expect(await api('GET', '/volumes?sort=size')).toEqual({
      status: 400,
      body: errorBody(E.invalidSort),
    });
    expect((await api('GET', '/volumes?sort=name:up')).status).toBe(400);
  });
});

describe('PUT /volumes/{id}', () => {
  it('changes the name and replaces the whole label set', async () => {
    const id = await availableVolume({ name: 'before', labels: { a: '1', b: '2' } });
    const updated = await api('PUT', `/volumes/${id}`, { name: 'after', labels: { c: '3' } });
    expect(updated.status).toBe(200);
    expect(updated.body.volume).toMatchObject({ id, name: 'after', labels: { c: '3' } });
    expect((await api('PUT', `/volumes/${id}`, { labels: {} })).body.volume).toMatchObject({
      name: 'after',
      labels: {},
    });
    expect((await api('PUT', `/volumes/${id}`, { name: 'after' })).status).toBe(200);
    expect((await api('GET', `/volumes/${id}`)).body.volume.labels).toEqual({});
  });

  it('refuses a bad name, a taken name, bad labels, invalid JSON and an unknown id', async () => {
    const id = await availableVolume({ name: 'mine' });
    emulator.seedVolume({ name: 'other' });
    expect(await api('PUT', `/volumes/${id}`, { name: 'no way' })).toEqual({
      status: 400,
      body: errorBody(E.invalidName),
    });
    expect(await api('PUT', `/volumes/${id}`, { name: 'other' })).toEqual({
      status: 409,
      body: errorBody(E.nameTaken),
    });
    expect((await api('PUT', `/volumes/${id}`, { labels: { k: '!' } })).body).toEqual(
      errorBody(E.invalidLabel, 'invalid label k'),
    );
    expect((await api('PUT', `/volumes/${id}`, undefined, '{')).status).toBe(400);
    expect((await api('PUT', '/volumes/77', { name: 'x' })).status).toBe(404);
    expect(emulator.volume(id)?.name).toBe('mine');
  });
});

describe('DELETE /volumes/{id}', () => {
  it('answers 204 with an empty body, then 404', async () => {
    const id = await availableVolume();
    expect(await api('DELETE', `/volumes/${id}`)).toEqual({ status: 204, body: undefined });
    expect((await api('DELETE', `/volumes/${id}`)).status).toBe(404);
    expect(emulator.leftovers().volumes).toEqual([]);
  });

  it('refuses a protected volume with 423 protected until protection is removed', async () => {
    const id = await availableVolume();
    const protect = await api('POST', `/volumes/${id}/actions/change_protection`, { delete: true });
    expect(protect.status).toBe(201);
    expect(protect.body.action).toMatchObject({
      command: 'change_protection',
      status: 'running',
      resources: [{ id, type: 'volume' }],
    });
    expect((await api('GET', `/volumes/${id}`)).body.volume.protection).toEqual({ delete: false });
    emulator.clock.advance(D.protection);
    expect((await api('GET', `/volumes/${id}`)).body.volume.protection).toEqual({ delete: true });
    expect(await api('DELETE', `/volumes/${id}`)).toEqual({ status: 423, body: errorBody(E.protected) });
    await api('POST', `/volumes/${id}/actions/change_protection`, { delete: false });
    emulator.clock.settle();
    expect((await api('DELETE', `/volumes/${id}`)).status).toBe(204);
  });

  it('refuses an attached volume (UNCONFIRMED code) and one whose create is still running', async () => {
    const server = emulator.seedServer();
    const attached = emulator.seedVolume({ server: server.id });
    expect(await api('DELETE', `/volumes/${attached.id}`)).toEqual({
      status: 409,
      body: errorBody(E.attached),
    });
    const creating = await createVolume();
    expect(await api('DELETE', `/volumes/${creating.body.volume.id}`)).toEqual({
      status: 423,
      body: errorBody(E.volumeLocked),
    });
    expect(emulator.leftovers().volumes).toHaveLength(2);
  });
});

describe('attach and detach', () => {
  it('attaches: 201 attach_volume running, `server` set when it succeeds, both sides in sync', async () => {
    const server = emulator.seedServer();
    const id = await availableVolume();
    const attached = await api('POST', `/volumes/${id}/actions/attach`, {
      server: server.id,
      automount: false,
    });
    expect(attached.status).toBe(201);
    expect(attached.body).toEqual({
      action: {
        id: expect.any(Number),
        command: 'attach_volume',
        status: 'running',
        progress: 0,
        started: expect.any(String),
        finished: null,
        resources: [
          { id: server.id, type: 'server' },
          { id, type: 'volume' },
        ],
        error: null,
      },
    });
    const actionId = attached.body.action.id as number;
    emulator.clock.advance(D.attach - 1);
    expect((await api('GET', `/volumes/${id}`)).body.volume.server).toBeNull();
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual([]);
    expect((await api('GET', `/volumes/${id}/actions/${actionId}`)).body.action.status).toBe('running');
    emulator.clock.advance(1);
    expect((await api('GET', `/volumes/${id}/actions/${actionId}`)).body.action.status).toBe('success');
    expect((await api('GET', `/volumes/${id}`)).body.volume.server).toBe(server.id);
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual([id]);
    expect(emulator.leftovers().volumes).toEqual([
      expect.objectContaining({ id: String(id), server: String(server.id), orphaned: false }),
    ]);
  });

  it('detaches: 201 detach_volume running, `server` null when it succeeds', async () => {
    const server = emulator.seedServer();
    const volume = emulator.seedVolume({ server: server.id });
    const detached = await api('POST', `/volumes/${volume.id}/actions/detach`);
    expect(detached.status).toBe(201);
    expect(detached.body.action).toMatchObject({
      command: 'detach_volume',
      status: 'running',
      resources: [
        { id: server.id, type: 'server' },
        { id: volume.id, type: 'volume' },
      ],
    });
    emulator.clock.advance(D.detach - 1);
    expect((await api('GET', `/volumes/${volume.id}`)).body.volume.server).toBe(server.id);
    emulator.clock.advance(1);
    expect((await api('GET', `/volumes/${volume.id}`)).body.volume.server).toBeNull();
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual([]);
    expect((await api('GET', `/actions/${detached.body.action.id}`)).body.action.status).toBe('success');
    // The volume can go to another server of the location afterwards.
    const other = emulator.seedServer();
    expect((await api('POST', `/volumes/${volume.id}/actions/attach`, { server: other.id })).status).toBe(
      201,
    );
    emulator.clock.settle();
    expect(emulator.volume(volume.id)?.server).toBe(other.id);
  });

  it('refuses a server in another location (UNCONFIRMED code)', async () => {
    const server = emulator.seedServer({ location: 'nbg1' });
    const id = await availableVolume({ location: 'fsn1' });
    expect(await api('POST', `/volumes/${id}/actions/attach`, { server: server.id })).toEqual({
      status: 400,
      body: errorBody(E.otherLocation),
    });
    expect(emulator.volume(id)?.server).toBeNull();
  });

  it('refuses a volume attached anywhere with volume_already_attached', async () => {
    const first = emulator.seedServer();
    const second = emulator.seedServer();
    const volume = emulator.seedVolume({ server: first.id });
    for (const server of [first, second]) {
      expect(await api('POST', `/volumes/${volume.id}/actions/attach`, { server: server.id })).toEqual({
        status: 409,
        body: errorBody(E.alreadyAttached),
      });
    }
  });

  it(`attaches at most ${HETZNER_MAX_VOLUMES_PER_SERVER} volumes per server: the 17th gets limit_exceeded_error`, async () => {
    const server = emulator.seedServer();
    const ids: number[] = [];
    for (let index = 0; index < 17; index++) ids.push(await availableVolume());
    for (const id of ids.slice(0, 16)) {
      expect((await api('POST', `/volumes/${id}/actions/attach`, { server: server.id })).status).toBe(201);
      emulator.clock.settle();
    }
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual(ids.slice(0, 16));
    expect(await api('POST', `/volumes/${ids[16]}/actions/attach`, { server: server.id })).toEqual({
      status: 403,
      body: errorBody(E.attachLimit),
    });
    expect((await createVolume({ location: undefined, server: server.id })).status).toBe(403);
    // Another server takes it; a detach frees a slot.
    await api('POST', `/volumes/${ids[0]}/actions/detach`);
    emulator.clock.settle();
    expect((await api('POST', `/volumes/${ids[16]}/actions/attach`, { server: server.id })).status).toBe(201);
  });

  it('answers 423 locked while another action runs on the server, and attaches once it is done', async () => {
    const server = emulator.seedServer({ status: 'running' });
    const [a, b] = [await availableVolume(), await availableVolume()];
    expect((await api('POST', `/servers/${server.id}/actions/poweroff`)).status).toBe(201);
    expect(await api('POST', `/volumes/${a}/actions/attach`, { server: server.id })).toEqual({
      status: 423,
      body: errorBody(E.serverLocked),
    });
    emulator.clock.settle();
    expect((await api('POST', `/volumes/${a}/actions/attach`, { server: server.id })).status).toBe(201);
    // The running attach locks the server for the next one, and for a detach.
    expect((await api('POST', `/volumes/${b}/actions/attach`, { server: server.id })).body).toEqual(
      errorBody(E.serverLocked),
    );
    emulator.clock.settle();
    expect((await api('POST', `/volumes/${b}/actions/attach`, { server: server.id })).status).toBe(201);
    expect((await api('POST', `/volumes/${a}/actions/detach`)).body).toEqual(errorBody(E.serverLocked));
    emulator.clock.settle();
    expect(emulator.server(server.id)?.status).toBe('off');
    expect((await api('GET', `/servers/${server.id}`)).body.server.volumes).toEqual([a, b]);
  });

  it('locks a server while it is created and booting', async () => {
    const id = await availableVolume();
    const created = await api('POST', '/servers', {
      name: 'boot',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
    });
    expect(
      (await api('POST', `/volumes/${id}/actions/attach`, { server: created.body.server.id })).body.error
        .code,
    ).toBe('locked');
    emulator.clock.settle();
    expect(
      (await api('POST', `/volumes/${id}/actions/attach`, { server: created.body.server.id })).status,
    ).toBe(201);
  });

  it('answers 423 locked for a volume whose own action is still running', async () => {
    const server = emulator.seedServer();
    const creating = await createVolume();
    const id = creating.body.volume.id as number;
    for (const [action, body] of [
      ['attach', { server: server.id }],
      ['resize', { size: 20 }],
      ['change_protection', { delete: true }],
      ['detach', undefined],
    ] as const) {
      expect(await api('POST', `/volumes/${id}/actions/${action}`, body)).toEqual({
        status: 423,
        body: errorBody(E.volumeLocked),
      });
    }
  });

  it('refuses a detach of a volume that is not attached (UNCONFIRMED code)', async () => {
    const id = await availableVolume();
    expect(await api('POST', `/volumes/${id}/actions/detach`)).toEqual({
      status: 400,
      body: errorBody(E.notAttached),
    });
  });

  it('refuses a missing or unknown server, a bad automount, an unknown volume and an unknown action', async () => {
    const id = await availableVolume();
    expect(await api('POST', `/volumes/${id}/actions/attach`, {})).toEqual({
      status: 400,
      body: errorBody(E.invalidServer),
    });
    expect(await api('POST', `/volumes/${id}/actions/attach`, { server: 9 })).toEqual({
      status: 404,
      body: errorBody({ code: 'not_found', message: 'server with ID 9 not found' }),
    });
    const server = emulator.seedServer();
    expect(
      (await api('POST', `/volumes/${id}/actions/attach`, { server: server.id, automount: 1 })).body,
    ).toEqual(errorBody(E.invalidAutomount));
    expect((await api('POST', '/volumes/1/actions/attach', { server: server.id })).status).toBe(404);
    expect(await api('POST', `/volumes/${id}/actions/explode`, {})).toEqual({
      status: 404,
      body: errorBody(E.actionNotFound, 'action explode not found'),
    });
  });

  it('ends an attach with an injected platform failure in status error, changing nothing', async () => {
    const server = emulator.seedServer();
    const id = await availableVolume();
    const rule = emulator.setVolumeActionFailure({
      command: 'attach_volume',
      failure: 'user_action_required',
      times: 1,
    });
    const attach = await api('POST', `/volumes/${id}/actions/attach`, { server: server.id });
    expect(attach.status).toBe(201);
    emulator.clock.settle();
    expect((await api('GET', `/actions/${attach.body.action.id}`)).body.action).toMatchObject({
      status: 'error',
      progress: 100,
      error: {
        code: 'user_action_required',
        message: `Volume assigning failed. Power off and back on the server id: ${server.id} and try again.`,
      },
    });
    expect(rule.hits).toBe(1);
    expect(emulator.volume(id)?.server).toBeNull();
    await api('POST', `/volumes/${id}/actions/attach`, { server: server.id });
    emulator.clock.settle();
    expect(emulator.volume(id)?.server).toBe(server.id);

    emulator.setVolumeActionFailure({ volume: id });
    const detach = await api('POST', `/volumes/${id}/actions/detach`);
    emulator.clock.settle();
    expect(emulator.action(detach.body.action.id)?.error).toEqual(HETZNER_VOLUME_ACTION_ERRORS.unknown_error);
    expect(emulator.volume(id)?.server).toBe(server.id);
    emulator.clearVolumeActionFailures();
    await api('POST', `/volumes/${id}/actions/detach`);
    emulator.clock.settle();
    expect(emulator.volume(id)?.server).toBeNull();
  });
});

describe('resize', () => {
  it('grows the volume when resize_volume succeeds', async () => {
    const server = emulator.seedServer();
    const volume = emulator.seedVolume({ size: 10, server: server.id });
    const resized = await api('POST', `/volumes/${volume.id}/actions/resize`, { size: 50 });
    expect(resized.status).toBe(201);
    expect(resized.body.action).toMatchObject({
      command: 'resize_volume',
      status: 'running',
      resources: [{ id: volume.id, type: 'volume' }],
    });
    emulator.clock.advance(D.resize - 1);
    expect((await api('GET', `/volumes/${volume.id}`)).body.volume.size).toBe(10);
    emulator.clock.advance(1);
    expect((await api('GET', `/volumes/${volume.id}`)).body.volume).toMatchObject({
      size: 50,
      server: server.id,
    });
    expect((await api('GET', `/volumes/actions/${resized.body.action.id}`)).body.action.status).toBe(
      'success',
    );
  });

  it('grows only: the same or a smaller size is invalid_input (UNCONFIRMED), so is one out of range', async () => {
    const id = await availableVolume({ size: 20 });
    for (const size of [20, 19, 10]) {
      expect(await api('POST', `/volumes/${id}/actions/resize`, { size })).toEqual({
        status: 400,
        body: errorBody(E.notLarger),
      });
    }
    for (const size of [10_241, 25.5, '30', undefined]) {
      expect(await api('POST', `/volumes/${id}/actions/resize`, { size })).toEqual({
        status: 400,
        body: errorBody(E.invalidSize),
      });
    }
    expect((await api('POST', `/volumes/${id}/actions/resize`, { size: 10_240 })).status).toBe(201);
    emulator.clock.settle();
    expect(emulator.volume(id)?.size).toBe(10_240);
  });

  it('refuses a bad change_protection body', async () => {
    const id = await availableVolume();
    expect(await api('POST', `/volumes/${id}/actions/change_protection`, { delete: 'yes' })).toEqual({
      status: 400,
      body: errorBody(E.invalidProtection),
    });
  });
});

describe('DELETE /servers/{id} and volumes', () => {
  it('detaches every attached volume: each stays, available, server null, labels kept', async () => {
    const server = emulator.seedServer();
    const other = emulator.seedServer();
    const [a, b] = [
      emulator.seedVolume({ server: server.id, labels: { keep: 'me' } }),
      emulator.seedVolume({ server: server.id, labels: { env: 'prod' } }),
    ];
    const elsewhere = emulator.seedVolume({ server: other.id });
    expect((await api('DELETE', `/servers/${server.id}`)).status).toBe(200);
    for (const [volume, labels] of [
      [a, { keep: 'me' }],
      [b, { env: 'prod' }],
    ] as const) {
      expect((await api('GET', `/volumes/${volume.id}`)).body.volume).toMatchObject({
        status: 'available',
        server: null,
        labels,
      });
    }
    expect(emulator.volume(elsewhere.id)?.server).toBe(other.id);
    expect(emulator.leftovers().volumes).toEqual([
      expect.objectContaining({ id: String(a.id), server: null, orphaned: true }),
      expect.objectContaining({ id: String(b.id), server: null, orphaned: true }),
      expect.objectContaining({ id: String(elsewhere.id), server: String(other.id), orphaned: false }),
    ]);
    expect((await api('DELETE', `/volumes/${a.id}`)).status).toBe(204);
  });

  it('fails an attach still running towards a deleted server', async () => {
    const server = emulator.seedServer();
    const id = await availableVolume();
    const attach = await api('POST', `/volumes/${id}/actions/attach`, { server: server.id });
    await api('DELETE', `/servers/${server.id}`);
    emulator.clock.settle();
    expect(emulator.action(attach.body.action.id)).toMatchObject({
      status: 'error',
      error: HETZNER_VOLUME_ACTION_ERRORS.unknown_error,
    });
    expect(emulator.volume(id)?.server).toBeNull();
  });
});

describe('action polling', () => {
  it('GET /actions?id=…&id=… returns those actions, with status and sort filters and pagination', async () => {
    const first = await createVolume();
    emulator.clock.settle();
    const second = await createVolume();
    const ids = [first.body.action.id, second.body.action.id] as number[];
    const listed = await api('GET', `/actions?id=${ids[0]}&id=${ids[1]}&sort=status&sort=id`);
    expect(listed.status).toBe(200);
    expect(
      listed.body.actions.map((action: { id: number; status: string }) => [action.id, action.status]),
    ).toEqual([
      [ids[1], 'running'],
      [ids[0], 'success'],
    ]);
    expect(listed.body.meta.pagination).toMatchObject({ page: 1, total_entries: 2 });
    expect((await api('GET', `/actions?id=${ids[0]}&id=${ids[1]}&status=running`)).body.actions).toHaveLength(
      1,
    );
    expect((await api('GET', '/actions?id=abc')).body).toEqual(errorBody(E.invalidId));
    expect((await api('GET', '/actions?status=done')).status).toBe(400);
    expect((await api('GET', '/actions?sort=size')).status).toBe(400);
    expect(await api('GET', '/actions/999999')).toEqual({
      status: 404,
      body: errorBody(E.actionNotFound, 'action with ID 999999 not found'),
    });
  });

  it('scopes volume actions to their volume, and server actions to their server', async () => {
    const server = emulator.seedServer();
    const created = await api('POST', '/volumes', { name: 'scoped', size: 10, server: server.id });
    const id = created.body.volume.id as number;
    const [createId, attachId] = [created.body.action.id, created.body.next_actions[0].id] as number[];
    const own = await api('GET', `/volumes/${id}/actions`);
    expect(own.body.actions.map((action: { command: string }) => action.command)).toEqual([
      'create_volume',
      'attach_volume',
    ]);
    expect((await api('GET', `/volumes/${id}/actions/${createId}`)).status).toBe(200);
    expect((await api('GET', `/volumes/actions/${attachId}`)).body.action.command).toBe('attach_volume');
    expect((await api('GET', '/volumes/actions')).body.meta.pagination.total_entries).toBe(2);
    const other = await availableVolume();
    expect((await api('GET', `/volumes/${other}/actions/${attachId}`)).status).toBe(404);
    expect((await api('GET', '/volumes/1/actions')).body).toEqual(
      errorBody(E.notFound, 'volume with ID 1 not found'),
    );
    // The attach touches the server too.
    expect((await api('GET', `/servers/${server.id}/actions/${attachId}`)).status).toBe(200);
    expect((await api('GET', `/servers/${server.id}/actions/${createId}`)).status).toBe(404);
    expect((await api('GET', '/servers/1/actions')).body).toEqual(
      errorBody({ code: 'not_found', message: 'server with ID 1 not found' }),
    );
  });

  it('makes server actions pollable: they succeed when their transition ends, or at once', async () => {
    const created = await api('POST', '/servers', {
      name: 'polled',
      server_type: 'cx23',
      image: 'ubuntu-24.04',
    });
    const id = created.body.server.id as number;
    const [create, start] = [created.body.action, created.body.next_actions[0]];
    expect([create.command, start.command]).toEqual(['create_server', 'start_server']);
    const status = async (actionId: number) =>
      (await api('GET', `/servers/actions/${actionId}`)).body.action.status;
    expect([await status(create.id), await status(start.id)]).toEqual(['running', 'running']);
    emulator.clock.advance(1_500);
    expect([await status(create.id), await status(start.id)]).toEqual(['success', 'running']);
    emulator.clock.settle();
    expect(await status(start.id)).toBe('success');
    expect((await api('GET', `/servers/${id}/actions`)).body.meta.pagination.total_entries).toBe(2);
    const noop = await api('POST', `/servers/${id}/actions/poweron`);
    expect(noop.body.action.status).toBe('running');
    expect(await status(noop.body.action.id)).toBe('success');
    const off = await api('POST', `/servers/${id}/actions/poweroff`);
    expect(await status(off.body.action.id)).toBe('running');
    const deleted = await api('DELETE', `/servers/${id}`);
    expect(emulator.action(deleted.body.action.id)?.status).toBe('success');
    emulator.clock.settle();
    expect(emulator.action(off.body.action.id)?.status).toBe('success');
    expect((await api('GET', `/actions/${deleted.body.action.id}`)).body.action.command).toBe(
      'delete_server',
    );
  });
});

describe('inventory, leftovers and reset', () => {
  it('reports volumes as billed resources, attached or orphaned, until deleted', async () => {
    const server = emulator.seedServer();
    const attached = emulator.seedVolume({ server: server.id, size: 30, name: 'att' });
    const loose = await availableVolume({ location: 'nbg1', name: 'loose', size: 15 });
    expect(emulator.leftovers().volumes).toEqual([
      {
        kind: 'volume',
        id: String(attached.id),
        zone: 'fsn1',
        server: String(server.id),
        orphaned: false,
        detail: { name: 'att', size: 30, status: 'available', labels: {} },
      },
      {
        kind: 'volume',
        id: String(loose),
        zone: 'nbg1',
        server: null,
        orphaned: true,
        detail: { name: 'loose', size: 15, status: 'available', labels: {} },
      },
    ]);
    await api('DELETE', `/volumes/${loose}`);
    await api('POST', `/volumes/${attached.id}/actions/detach`);
    emulator.clock.settle();
    await api('DELETE', `/volumes/${attached.id}`);
    await api('DELETE', `/servers/${server.id}`);
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('seedVolume refuses an unknown server and takes the server location by default', () => {
    expect(() => emulator.seedVolume({ server: 12 })).toThrow(/no server 12/);
    const server = emulator.seedServer({ location: 'hel1' });
    expect(emulator.seedVolume({ server: server.id }).location).toBe('hel1');
  });

  it('reset() clears volumes, actions, pending transitions and failure rules', async () => {
    const server = emulator.seedServer();
    const created = await createVolume();
    emulator.seedVolume({ server: server.id });
    const space = emulator.setVolumeSpaceFailure();
    emulator.setVolumeActionFailure();
    emulator.reset();
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    expect(emulator.clock.pending).toBe(0);
    expect((await api('GET', `/actions/${created.body.action.id}`)).status).toBe(404);
    expect((await api('GET', '/volumes')).body.volumes).toEqual([]);
    const after = await createVolume();
    expect(after.status).toBe(201);
    expect(space.hits).toBe(0);
    emulator.clock.settle();
    const fresh = emulator.seedServer();
    const attach = await api('POST', `/volumes/${after.body.volume.id}/actions/attach`, { server: fresh.id });
    expect(attach.status).toBe(201);
    emulator.clock.settle();
    expect(emulator.action(attach.body.action.id)?.status).toBe('success');
    expect(emulator.volume(after.body.volume.id)?.server).toBe(fresh.id);
  });
});

describe('HETZNER_ERROR_EXAMPLES', () => {
  it('lists every volume error definition, with its status, code and message', () => {
    for (const [key, definition] of Object.entries(HETZNER_VOLUME_ERRORS)) {
      if (key === 'json' || key === 'invalidLabel' || key === 'invalidSelector') continue;
      expect(HETZNER_ERROR_EXAMPLES).toContainEqual({
        name: `${definition.code} (${key})`,
        status: definition.status,
        body: errorBody(definition),
      });
    }
    const names = HETZNER_ERROR_EXAMPLES.map((example) => example.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
