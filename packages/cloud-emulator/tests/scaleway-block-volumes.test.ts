import { beforeEach, describe, expect, it } from 'vitest';
import { SCALEWAY_BLOCK_VOLUME_DELAYS } from '../src/scaleway/block-volumes.js';
import { ScalewayEmulator, type ScalewayEmulatorOptions } from '../src/scaleway/emulator.js';
import { scalewayRateLimitFault } from '../src/scaleway/errors.js';
import { type ApiResponse, type Send, scalewayClient, UUID } from './scaleway-helpers.js';

const GB = 1_000_000_000;
const OTHER_PROJECT = '0e4cb2a4-7f0c-4b6a-9d53-5cf4d6e0a9b1';
const UNKNOWN_ID = '5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
/** §15.2: `2026-05-18T09:54:11.906519Z`. */
const BLOCK_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** §15.2: the recorded keys, in order, with `kms_key_id` on v1. */
const V1_KEYS = [
  'id',
  'name',
  'type',
  'size',
  'project_id',
  'created_at',
  'updated_at',
  'references',
  'parent_snapshot_id',
  'status',
  'tags',
  'specs',
  'last_detached_at',
  'kms_key_id',
  'zone',
];

const blockPath = (zone = 'fr-par-1', version = 'v1') => `/block/${version}/zones/${zone}`;

let emulator: ScalewayEmulator;
let send: Send;

function start(options: ScalewayEmulatorOptions = {}): void {
  emulator = new ScalewayEmulator({ clock: { mode: 'manual' }, ...options });
  send = scalewayClient(emulator);
}

beforeEach(() => start());

function createVolume(
  overrides: Record<string, unknown> = {},
  zone = 'fr-par-1',
  version = 'v1',
): Promise<ApiResponse> {
  return send('POST', `${blockPath(zone, version)}/volumes`, {
    json: {
      name: 'data-1',
      project_id: emulator.projectId,
      from_empty: { size: 20 * GB },
      tags: ['sam', 'env=test'],
      ...overrides,
    },
  });
}

async function createdVolume(overrides: Record<string, unknown> = {}, zone = 'fr-par-1'): Promise<any> {
  const response = await createVolume(overrides, zone);
  expect(response.status).toBe(200);
  return response.body;
}

const getVolume = (id: string, zone = 'fr-par-1', version = 'v1') =>
  send('GET', `${blockPath(zone, version)}/volumes/${id}`);

describe('POST /block/v1/zones/{zone}/volumes (§15.3)', () => {
  it('answers 200 with the bare volume in creating, then available after the create delay', async () => {
    const response = await createVolume();
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    const volume = response.body;
    expect(Object.keys(volume)).toEqual(V1_KEYS);
    expect(volume).toMatchObject({
      name: 'data-1',
      type: 'sbs_5k',
      size: 20 * GB,
      project_id: emulator.projectId,
      references: [],
      parent_snapshot_id: null,
      status: 'creating',
      tags: ['sam', 'env=test'],
      specs: { perf_iops: 5000, class: 'sbs' },
      last_detached_at: null,
      kms_key_id: null,
      zone: 'fr-par-1',
    });
    expect(volume.id).toMatch(UUID);
    expect(volume.created_at).toMatch(BLOCK_DATE);
    expect(volume.updated_at).toBe(volume.created_at);

    emulator.clock.advance(SCALEWAY_BLOCK_VOLUME_DELAYS.create - 1);
    expect((await getVolume(volume.id)).body.status).toBe('creating');
    emulator.clock.advance(1);
    const available = (await getVolume(volume.id)).body;
    expect(available.status).toBe('available');
    expect(available.updated_at >= available.created_at).toBe(true);
  });

  it('takes the create delay from the options and from setBlockVolumeDelays', async () => {
    start({ blockVolumeDelays: { create: 4_000 } });
    expect(emulator.blockVolumeDelays.create).toBe(4_000);
    const first = await createdVolume();
    emulator.clock.advance(3_999);
    expect((await getVolume(first.id)).body.status).toBe('creating');
    emulator.clock.advance(1);
    expect((await getVolume(first.id)).body.status).toBe('available');

    emulator.setBlockVolumeDelays({ create: 0 });
    const second = await createdVolume();
    emulator.clock.advance(0);
    expect((await getVolume(second.id)).body.status).toBe('available');
  });

  it('is available at once on the instant clock', async () => {
    start({ clock: { mode: 'instant' } });
    expect((await createdVolume()).status).toBe('available');
  });

  it('makes sbs_15k volumes for perf_iops 15000, and answers tags null with []', async () => {
    const volume = await createdVolume({ perf_iops: 15_000, tags: null });
    expect(volume).toMatchObject({ type: 'sbs_15k', specs: { perf_iops: 15000, class: 'sbs' }, tags: [] });
    expect((await createdVolume({ perf_iops: 5000 })).type).toBe('sbs_5k');
  });

  it('serves the same store under v1alpha1, without kms_key_id', async () => {
    const created = await createVolume({}, 'fr-par-1', 'v1alpha1');
    expect(created.status).toBe(200);
    expect(Object.keys(created.body)).toEqual(V1_KEYS.filter((key) => key !== 'kms_key_id'));
    expect((await getVolume(created.body.id, 'fr-par-1', 'v1')).body.kms_key_id).toBeNull();
    const alpha = await send('GET', `${blockPath('fr-par-1', 'v1alpha1')}/volumes`);
    expect(alpha.body.volumes.map((volume: any) => volume.id)).toEqual([created.body.id]);
    expect((await send('GET', `/block/v2/zones/fr-par-1/volumes`)).status).toBe(404);
  });

  it('accepts all ten zones, it-mil-1 included (§15.1)', async () => {
    const volume = await createdVolume({}, 'it-mil-1');
    expect(volume.zone).toBe('it-mil-1');
  });

  it.each([
    ['neither from_empty nor from_snapshot', { from_empty: undefined }, 'from_empty', 'required'],
    [
      'both from_empty and from_snapshot',
      { from_snapshot: { snapshot_id: UNKNOWN_ID } },
      'from_empty',
      'constraint',
    ],
    [
      'from_snapshot (not emulated)',
      { from_empty: null, from_snapshot: { snapshot_id: UNKNOWN_ID } },
      'from_snapshot',
      'constraint',
    ],
    ['a size that is not an integer', { from_empty: { size: 20 * GB + 0.5 } }, 'from_empty.size', 'format'],
    ['a size below 1 GB', { from_empty: { size: GB - 1 } }, 'from_empty.size', 'constraint'],
    ['a size above 10 TB', { from_empty: { size: 10_001 * GB } }, 'from_empty.size', 'constraint'],
    ['a size that is not whole GB', { from_empty: { size: 5 * GB + 1 } }, 'from_empty.size', 'constraint'],
    ['an unknown perf_iops', { perf_iops: 7_000 }, 'perf_iops', 'constraint'],
    ['no project_id', { project_id: undefined }, 'project_id', 'required'],
    ['an empty name', { name: '' }, 'name', 'constraint'],
  ])('refuses %s with 400 invalid_arguments', async (_label, overrides, argument, reason) => {
    const response = await createVolume(overrides);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({
      type: 'invalid_arguments',
      message: 'invalid argument(s)',
      details: [{ argument_name: argument, reason }],
    });
    expect(emulator.leftovers().volumes).toEqual([]);
  });

  it('names a volume created without a name vol-…', async () => {
    const volume = await createdVolume({ name: undefined });
    expect(volume.name).toMatch(/^vol-[0-9a-f]{8}$/);
  });

  it('refuses another project with 403 permissions_denied', async () => {
    const response = await createVolume({ project_id: OTHER_PROJECT });
    expect(response.status).toBe(403);
    expect(response.body).toMatchObject({
      type: 'permissions_denied',
      details: [{ action: 'write', resource: 'volume' }],
    });
  });
});

describe('GET /volumes/{id} (§15.5)', () => {
  it.each([
    ['an unknown id', () => UNKNOWN_ID, 'fr-par-1'],
    ['a volume of another zone', () => emulator.seedBlockVolume({ zone: 'fr-par-2' }).id, 'fr-par-1'],
    ['a local volume', () => emulator.seedServer({ volumeType: 'l_ssd' }).volumes['0'] ?? '', 'fr-par-1'],
  ])('answers %s with 404 resource volume', async (_label, id, zone) => {
    const volumeId = id();
    for (const [method, json] of [
      ['GET', undefined],
      ['PATCH', { name: 'x' }],
      ['DELETE', undefined],
    ] as const) {
      const response = await send(method, `${blockPath(zone)}/volumes/${volumeId}`, json ? { json } : {});
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        message: 'resource is not found',
        resource: 'volume',
        resource_id: volumeId,
        type: 'not_found',
      });
    }
  });

  it('refuses a volume of another project with 403', async () => {
    const foreign = emulator.seedBlockVolume({ project: OTHER_PROJECT });
    expect((await getVolume(foreign.id)).body).toMatchObject({
      type: 'permissions_denied',
      details: [{ action: 'read', resource: 'volume' }],
    });
  });
});

describe('GET /volumes (§15.5)', () => {
  it('carries total_count in the body and no pagination headers', async () => {
    emulator.seedBlockVolume();
    const response = await send('GET', `${blockPath()}/volumes`);
    expect(Object.keys(response.body)).toEqual(['volumes', 'total_count']);
    expect(response.body.total_count).toBe(1);
    expect(response.headers.get('x-total-count')).toBeNull();
    expect(response.headers.get('link')).toBeNull();
  });

  it.each([0, 100, 101, 250])('pages %i volumes with page_size 100', async (count) => {
    const ids = Array.from({ length: count }, (_, index) =>
      emulator.seedBlockVolume({ name: `volume-${index}` }),
    ).map((volume) => volume.id);
    emulator.seedBlockVolume({ zone: 'fr-par-2' });
    const seen: string[] = [];
    const pages = Math.max(1, Math.ceil(count / 100));
    for (let page = 1; page <= pages + 1; page++) {
      const response = await send('GET', `${blockPath()}/volumes?page=${page}&page_size=100`);
      expect(response.status).toBe(200);
      expect(response.body.total_count).toBe(count);
      const expected = page <= pages ? Math.min(100, count - (page - 1) * 100) : 0;
      expect(response.body.volumes).toHaveLength(expected);
      seen.push(...response.body.volumes.map((volume: any) => volume.id));
    }
    // §15.5: created_at ascending by default.
    expect(seen).toEqual(ids);
  });

  it('refuses page_size above 100 and page 0', async () => {
    for (const query of ['page_size=101', 'page=0']) {
      const response = await send('GET', `${blockPath()}/volumes?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('invalid_arguments');
    }
  });

  it('orders by created_at and name, and refuses another order', async () => {
    const names = ['charlie', 'alpha', 'bravo'];
    const ids = names.map((name) => emulator.seedBlockVolume({ name }).id);
    const order = async (orderBy: string) =>
      (await send('GET', `${blockPath()}/volumes?order_by=${orderBy}`)).body.volumes.map(
        (volume: any) => volume.name,
      );
    expect(await order('created_at_asc')).toEqual(names);
    expect(await order('created_at_desc')).toEqual([...names].reverse());
    expect(await order('name_asc')).toEqual(['alpha', 'bravo', 'charlie']);
    expect(await order('name_desc')).toEqual(['charlie', 'bravo', 'alpha']);
    expect(ids).toHaveLength(3);
    const refused = await send('GET', `${blockPath()}/volumes?order_by=size_asc`);
    expect(refused.status).toBe(400);
    expect(refused.body.details[0]).toMatchObject({ argument_name: 'order_by', reason: 'constraint' });
  });

  it('filters by tags with any of the repeated keys (OR), name, project_id and product_resource_id', async () => {
    const a = emulator.seedBlockVolume({ name: 'data-a', tags: ['team=a', 'sam'] });
    const b = emulator.seedBlockVolume({ name: 'data-b', tags: ['team=b'] });
    emulator.seedBlockVolume({ name: 'scratch', tags: ['other'] });
    const server = emulator.seedServer({ volumeType: 'sbs_volume' });
    const attached = emulator.seedBlockVolume({ name: 'data-c', serverId: server.id });
    emulator.seedBlockVolume({ project: OTHER_PROJECT, tags: ['team=a'] });
    const ids = async (query: string) =>
      (await send('GET', `${blockPath()}/volumes?${query}`)).body.volumes.map((volume: any) => volume.id);

    expect(await ids('tags=team%3Da')).toEqual([a.id]);
    expect(await ids('tags=team%3Da&tags=team%3Db')).toEqual([a.id, b.id]);
    // Block lists take tags as a repeated key: a comma-joined value is one tag.
    expect(await ids('tags=team%3Da,team%3Db')).toEqual([]);
    expect(await ids('name=data-')).toEqual([a.id, b.id, attached.id]);
    expect(await ids(`project_id=${OTHER_PROJECT}`)).toEqual([]);
    expect((await ids(`project_id=${emulator.projectId}`)).length).toBe(5);
    expect(await ids(`product_resource_id=${server.id}`)).toEqual([server.volumes['0'], attached.id]);
  });
});

describe('PATCH /volumes/{id} (§15.6)', () => {
  it('renames and retags at once, status unchanged', async () => {
    const volume = emulator.seedBlockVolume({ tags: ['old'] });
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { name: 'renamed', tags: ['new', 'sam'] },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ name: 'renamed', tags: ['new', 'sam'], status: 'available' });
    expect(emulator.clock.pending).toBe(0);
  });

  it('grows through updating with the old size, then available with the new one', async () => {
    const volume = emulator.seedBlockVolume({ size: 20 * GB });
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { size: 30 * GB },
    });
    expect(response.body).toMatchObject({ status: 'updating', size: 20 * GB });
    emulator.clock.advance(SCALEWAY_BLOCK_VOLUME_DELAYS.update - 1);
    expect((await getVolume(volume.id)).body).toMatchObject({ status: 'updating', size: 20 * GB });
    emulator.clock.advance(1);
    expect((await getVolume(volume.id)).body).toMatchObject({ status: 'available', size: 30 * GB });
  });

  it('grows an in_use volume back to in_use, and changes IOPS to sbs_15k', async () => {
    const server = emulator.seedServer({ volumeType: 'sbs_volume', state: 'running' });
    const volume = emulator.seedBlockVolume({ serverId: server.id, size: 10 * GB });
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { size: 50 * GB, perf_iops: 15_000 },
    });
    expect(response.body).toMatchObject({ status: 'updating', size: 10 * GB, type: 'sbs_5k' });
    emulator.clock.settle();
    expect((await getVolume(volume.id)).body).toMatchObject({
      status: 'in_use',
      size: 50 * GB,
      type: 'sbs_15k',
      specs: { perf_iops: 15_000 },
      references: [{ product_resource_id: server.id, status: 'attached' }],
    });
  });

  it('accepts a second change while updating; both apply', async () => {
    const volume = emulator.seedBlockVolume({ size: 10 * GB });
    const path = `${blockPath()}/volumes/${volume.id}`;
    await send('PATCH', path, { json: { size: 20 * GB } });
    const second = await send('PATCH', path, { json: { perf_iops: 15_000, name: 'renamed' } });
    expect(second.body).toMatchObject({ status: 'updating', name: 'renamed', size: 10 * GB });
    emulator.clock.settle();
    expect((await getVolume(volume.id)).body).toMatchObject({
      status: 'available',
      size: 20 * GB,
      type: 'sbs_15k',
    });
  });

  it('answers the current size or IOPS without a change', async () => {
    const volume = emulator.seedBlockVolume({ size: 10 * GB });
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { size: 10 * GB, perf_iops: 5000 },
    });
    expect(response.body.status).toBe('available');
    expect(emulator.clock.pending).toBe(0);
  });

  it('refuses a shrink with 400 invalid_arguments on size, and changes nothing', async () => {
    const volume = emulator.seedBlockVolume({ size: 20 * GB });
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { size: 10 * GB, name: 'never' },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      type: 'invalid_arguments',
      message: 'invalid argument(s)',
      details: [
        {
          argument_name: 'size',
          reason: 'constraint',
          help_message: `the volume can only grow: size must be at least ${20 * GB} bytes`,
        },
      ],
    });
    expect(emulator.getVolume(volume.id)).toMatchObject({ size: 20 * GB, name: volume.name });
  });

  it('refuses a resize while creating with 409 transient_state', async () => {
    const volume = await createdVolume();
    const response = await send('PATCH', `${blockPath()}/volumes/${volume.id}`, {
      json: { size: 40 * GB },
    });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      type: 'transient_state',
      resource: 'volume',
      current_state: 'creating',
    });
  });
});

describe('DELETE /volumes/{id} (§15.7)', () => {
  it('answers 204 with an empty JSON-labelled body, then 404', async () => {
    const volume = emulator.seedBlockVolume();
    const response = await send('DELETE', `${blockPath()}/volumes/${volume.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect((await getVolume(volume.id)).status).toBe(404);
    expect((await send('DELETE', `${blockPath()}/volumes/${volume.id}`)).status).toBe(404);
    expect(emulator.leftovers().volumes).toEqual([]);
  });

  it('refuses an in_use volume with 412 precondition_failed resource_still_in_use', async () => {
    const server = emulator.seedServer({ volumeType: 'sbs_volume', state: 'stopped' });
    const volume = emulator.seedBlockVolume({ serverId: server.id });
    const response = await send('DELETE', `${blockPath()}/volumes/${volume.id}`);
    expect(response.status).toBe(412);
    expect(response.body).toEqual({
      type: 'precondition_failed',
      message: 'precondition is not respected',
      precondition: 'resource_still_in_use',
      help_message: 'the volume is attached to a server; detach it first',
    });
    expect(emulator.getVolume(volume.id)).toBeDefined();
  });

  it('refuses a creating or updating volume with 409 transient_state', async () => {
    const creating = await createdVolume();
    const refused = await send('DELETE', `${blockPath()}/volumes/${creating.id}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'transient_state', current_state: 'creating' });
    emulator.clock.settle();
    await send('PATCH', `${blockPath()}/volumes/${creating.id}`, { json: { size: 30 * GB } });
    const updating = await send('DELETE', `${blockPath()}/volumes/${creating.id}`);
    expect(updating.body).toMatchObject({ type: 'transient_state', current_state: 'updating' });
    emulator.clock.settle();
    expect((await send('DELETE', `${blockPath()}/volumes/${creating.id}`)).status).toBe(204);
  });
});

describe('quotas, inventory and faults on the Block routes', () => {
  it('refuses volumes beyond the quota, counting a server create root volume', async () => {
    start({ quota: { volumes: 2 } });
    emulator.seedServer({ volumeType: 'sbs_volume' });
    expect((await createVolume()).status).toBe(200);
    const refused = await createVolume();
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      type: 'quotas_exceeded',
      message: 'quota(s) exceeded for this resource',
      details: [{ resource: 'volume', quota: 2, current: 2, project_id: emulator.projectId }],
    });
    expect(emulator.volumes()).toHaveLength(2);
  });

  it('lists a Block volume in the inventory until it is deleted', async () => {
    const volume = await createdVolume();
    expect(emulator.leftovers().volumes).toEqual([
      {
        kind: 'volume',
        id: volume.id,
        zone: 'fr-par-1',
        project: emulator.projectId,
        server: null,
        orphaned: true,
        detail: { volume_type: 'sbs_volume', size: 20 * GB, name: 'data-1' },
      },
    ]);
    emulator.clock.settle();
    await send('DELETE', `${blockPath()}/volumes/${volume.id}`);
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('answers a fault before the API acted: nothing is created, the request is logged', async () => {
    const fault = emulator.injectFault({
      method: 'POST',
      path: '/block/v1/zones/fr-par-1/volumes',
      status: 503,
      times: 1,
    });
    const response = await createVolume();
    expect(response.status).toBe(503);
    expect(fault.hits).toBe(1);
    expect(emulator.volumes()).toEqual([]);
    expect(emulator.requestCount({ method: 'POST', path: '/block/v1/' })).toBe(1);
    expect(emulator.requests.at(-1)).toMatchObject({ status: 503, path: '/block/v1/zones/fr-par-1/volumes' });
  });

  it('answers a fault after the API acted: the volume exists though the answer was lost', async () => {
    emulator.injectFault({ method: 'POST', path: /^\/block\//, phase: 'after', drop: true, times: 1 });
    await expect(
      emulator
        .fetch(
          new Request('https://api.scaleway.com/block/v1/zones/fr-par-1/volumes', {
            method: 'POST',
            headers: { 'X-Auth-Token': emulator.secretKey, 'Content-Type': 'application/json' },
            body: JSON.stringify({ name: 'lost', project_id: emulator.projectId, from_empty: { size: GB } }),
          }),
        )
        .then((response) => response.type),
    ).resolves.toBe('error');
    expect(emulator.volumes().map((volume) => volume.name)).toEqual(['lost']);
    expect(emulator.requests.at(-1)?.apiStatus).toBe(200);
    expect(emulator.requests.at(-1)?.status).toBeUndefined();
  });

  it('rate limits Block lists with the gateway 429', async () => {
    emulator.injectFault(scalewayRateLimitFault({ times: 1, path: '/block/v1/zones/fr-par-1/volumes' }));
    const limited = await send('GET', `${blockPath()}/volumes`);
    expect(limited.status).toBe(429);
    expect(limited.text).toBe('');
    expect((await send('GET', `${blockPath()}/volumes`)).status).toBe(200);
  });

  it('refuses a missing or wrong token on Block routes', async () => {
    expect((await send('GET', `${blockPath()}/volumes`, { token: null })).status).toBe(401);
  });
});
