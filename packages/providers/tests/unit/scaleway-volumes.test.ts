import {
  SCALEWAY_BLOCK_VOLUME_DELAYS,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ProviderEvent,
  ScalewayProvider,
  type ScalewayProviderConfig,
  type VolumeConfig,
} from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';
import { failureOf } from '../failure-of.js';
import { inVirtualTime } from '../virtual-time.js';

const emulator = new ScalewayEmulator();
const server = setupServer(...emulator.handlers());
/** Full request URLs as sent (the emulator's log keeps one value per query key). */
const urls: string[] = [];
server.events.on('request:start', ({ request }) => {
  urls.push(request.url);
});
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
  emulator.setBlockVolumeDelays(SCALEWAY_BLOCK_VOLUME_DELAYS);
  urls.length = 0;
});

const GB = 1_000_000_000;
const ZONE = 'fr-par-1';
const PROJECT = SCALEWAY_EMULATOR_PROJECT_ID;
const OTHER_PROJECT = '9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const UNKNOWN = '11111111-2222-4333-8444-555555555555';
const VOLUMES = /^\/block\/v1\/zones\/[^/]+\/volumes$/;
const VOLUME = /^\/block\/v1\/zones\/[^/]+\/volumes\/[^/]+$/;
const ATTACH = /\/servers\/[^/]+\/attach-volume$/;
const DETACH = /\/servers\/[^/]+\/detach-volume$/;
const ACTION = /\/servers\/[^/]+\/action$/;
const MARK = /^sam-creation:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const provider = (overrides: Partial<ScalewayProviderConfig> = {}) =>
  new ScalewayProvider(scalewayTestConfig(overrides));

const volumeConfig = (overrides: Partial<VolumeConfig> = {}): VolumeConfig => ({
  name: 'data-1',
  sizeGb: 20,
  location: ZONE,
  labels: { team: 'a', env: 'prod' },
  ...overrides,
});

const zonal = (uuid: string, zone = ZONE) => `${zone}/${uuid}`;
const uuidOf = (id: string) => id.split('/')[1] as string;
const count = (method: string, path?: RegExp) =>
  emulator.requestCount(path === undefined ? { method } : { method, path });
const answered = (method: string, path: RegExp, status: number) =>
  emulator.requests.filter(
    (entry) => entry.method === method && path.test(entry.path) && entry.status === status,
  ).length;
const calls = () => emulator.requests.map((entry) => `${entry.method} ${entry.path}`);
const blockVolumes = () => emulator.volumes().filter((volume) => volume.volumeType === 'sbs_volume');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Virtual time with the emulator clock in realtime: the Block view lags (creating, attaching, detaching, updating)
 * and servers move through their transient states on the same faked timers as the provider's polls.
 */
function inRealtime<Result>(operation: () => Promise<Result>): Promise<Result> {
  return inVirtualTime(async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    try {
      return await operation();
    } finally {
      // Pending steps stay pending (on the emulator clock, not on timers that die with the fake clock).
      emulator.clock.setMode({ mode: 'manual' });
    }
  });
}

/** A call to the emulator outside the provider, for setting up states; logged, so callers clear the log. */
async function api(method: string, path: string, json?: unknown): Promise<{ status: number; body: any }> {
  const response = await emulator.fetch(
    new Request(`https://api.scaleway.com${path}`, {
      method,
      headers: { 'X-Auth-Token': SCALEWAY_EMULATOR_SECRET_KEY, 'Content-Type': 'application/json' },
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    }),
  );
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

/** The Block API's JSON of the zone's volumes, as a fault body template. */
async function renderedVolumes(zone = ZONE): Promise<Array<Record<string, unknown>>> {
  const { body } = await api('GET', `/block/v1/zones/${zone}/volumes?page=1&page_size=100`);
  return body.volumes;
}

/** A running server with a Block data volume attached (reference `attached`) under key "1". */
function runningWithData(tags: string[] = ['keep=yes']) {
  const vm = emulator.seedServer({ state: 'running' });
  const data = emulator.seedBlockVolume({ serverId: vm.id, name: 'data', size: 20 * GB, tags });
  return { vm, data };
}

describe('createVolume', () => {
  it('POSTs name, project, size in bytes, 5 000 IOPS and the labels as tags plus one creation mark, never read back', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const volume = await provider().createVolume(volumeConfig());
    expect(calls()).toEqual(['POST /block/v1/zones/fr-par-1/volumes']);
    const body = JSON.parse(emulator.requests[0]?.body ?? '{}') as Record<string, unknown>;
    expect(body).toEqual({
      name: 'data-1',
      project_id: PROJECT,
      from_empty: { size: 20_000_000_000 },
      perf_iops: 5_000,
      tags: ['team=a', 'env=prod', expect.stringMatching(MARK)],
    });
    const [stored] = blockVolumes();
    expect(blockVolumes()).toHaveLength(1);
    expect(stored).toMatchObject({ size: 20 * GB, perfIops: 5_000, project: PROJECT, tags: body.tags });
    expect(volume).toEqual({
      id: zonal(stored?.id as string),
      name: 'data-1',
      sizeGb: 20,
      location: ZONE,
      status: 'creating',
      linuxDevice: `/dev/disk/by-id/scsi-0SCW_sbs_volume-${stored?.id}`,
      volumeType: 'sbs_5k',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      labels: { team: 'a', env: 'prod' },
    });

    emulator.clock.settle();
    const scaleway = provider();
    const read = await scaleway.getVolume({ volumeId: volume.id, location: ZONE });
    expect(read).toMatchObject({ status: 'available', labels: { team: 'a', env: 'prod' } });
    const listed = await scaleway.listVolumes({ location: ZONE });
    expect(listed.map((entry) => entry.labels)).toEqual([{ team: 'a', env: 'prod' }]);
  });

  it('gives each create its own mark, and a volume without labels only the mark', async () => {
    const scaleway = provider();
    await scaleway.createVolume(volumeConfig({ labels: undefined }));
    await scaleway.createVolume(volumeConfig({ name: 'data-2', labels: undefined }));
    const [first, second] = blockVolumes();
    expect(first?.tags).toEqual([expect.stringMatching(MARK)]);
    expect(second?.tags).toEqual([expect.stringMatching(MARK)]);
    expect(first?.tags[0]).not.toBe(second?.tags[0]);
  });

  it.each([
    ['dropped', { drop: true }],
    ['late beyond timeoutMs', { delayMs: 3_000 }],
    ['replaced by a 502', { status: 502 }],
  ])(
    'adopts the volume when the answer is %s after the API acted: one POST, one volume',
    async (_, fault) => {
      emulator.injectFault({ method: 'POST', path: VOLUMES, phase: 'after', times: 1, ...fault });
      const volume = await inVirtualTime(() => provider().createVolume(volumeConfig()));
      expect(blockVolumes().map((stored) => stored.id)).toEqual([uuidOf(volume.id)]);
      expect(count('POST', VOLUMES)).toBe(1);
      // Looked up by its creation mark, in this project.
      const mark = blockVolumes()[0]?.tags.find((tag) => MARK.test(tag));
      const lookups = emulator.requests.filter((entry) => entry.method === 'GET' && VOLUMES.test(entry.path));
      expect(lookups.length).toBeGreaterThanOrEqual(1);
      for (const lookup of lookups) expect(lookup.query).toMatchObject({ tags: mark, project_id: PROJECT });
      expect(volume.labels).toEqual({ team: 'a', env: 'prod' });
    },
  );

  it('looks a 500 before the API acted up, finds nothing, POSTs again: one volume', async () => {
    emulator.injectFault({
      method: 'POST',
      path: VOLUMES,
      status: 500,
      body: { type: 'internal_error', message: 'boom' },
      times: 1,
    });
    const volume = await provider().createVolume(volumeConfig());
    expect(blockVolumes().map((stored) => stored.id)).toEqual([uuidOf(volume.id)]);
    expect(count('POST', VOLUMES)).toBe(2);
    // One lookup after the 500, one twin check after the second POST.
    expect(count('GET', VOLUMES)).toBe(2);
    expect(count('DELETE')).toBe(0);
    // Both POSTs carried the same mark.
    const [first, second] = emulator.requests
      .filter((entry) => entry.method === 'POST')
      .map((entry) => JSON.parse(entry.body ?? '{}').tags as string[]);
    expect(first).toEqual(second);
  });

  it('removes the twin a late first POST made after the retried one was sent', async () => {
    // POST #1 is held 450 ms before the API acts; the client gives up at 200 ms and looks until ~400 ms; POST #2
    // creates at once, its answer held 150 ms; POST #1 commits at 450 ms; the twin sweep finds both.
    emulator.injectFault({ method: 'POST', path: VOLUMES, delayMs: 450, times: 1 });
    emulator.injectFault({ method: 'POST', path: VOLUMES, phase: 'after', delayMs: 150, times: 1 });
    const volume = await inVirtualTime(async () => {
      const created = await provider({ timeoutMs: 200, pollIntervalMs: 20 }).createVolume(volumeConfig());
      await sleep(100);
      return created;
    });
    expect(count('POST', VOLUMES)).toBe(2);
    expect(count('DELETE', VOLUME)).toBe(1);
    expect(blockVolumes().map((stored) => stored.id)).toEqual([uuidOf(volume.id)]);
  });

  it('on an abort during the POST, waits for its answer, removes the volume once deletable, rejects with the reason', async () => {
    emulator.injectFault({ method: 'POST', path: VOLUMES, phase: 'after', delayMs: 60, times: 1 });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    await inRealtime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(provider().createVolume(volumeConfig(), { signal: controller.signal })).rejects.toBe(
        reason,
      );
    });
    expect(count('POST', VOLUMES)).toBe(1);
    // Still `creating` at first: refused (409), then deleted.
    expect(answered('DELETE', VOLUME, 409)).toBeGreaterThanOrEqual(1);
    expect(answered('DELETE', VOLUME, 204)).toBe(1);
    emulator.clock.settle();
    expect(blockVolumes()).toEqual([]);
  });

  it('after an abort, takes a volume already gone (404) as removed', async () => {
    const events: ProviderEvent[] = [];
    emulator.injectFault({ method: 'POST', path: VOLUMES, phase: 'after', delayMs: 60, times: 1 });
    emulator.injectFault({
      method: 'DELETE',
      path: VOLUME,
      status: 404,
      body: { type: 'not_found', message: 'resource is not found', resource: 'volume' },
      times: 1,
    });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(
        provider({ onEvent: (event) => events.push(event) }).createVolume(volumeConfig(), {
          signal: controller.signal,
        }),
      ).rejects.toBe(reason);
    });
    expect(count('DELETE', VOLUME)).toBe(1);
    expect(events.filter((event) => event.type === 'cleanup_failed')).toEqual([]);
  });

  it('reports a failed removal after an abort through onEvent, and still rejects with the reason', async () => {
    const events: ProviderEvent[] = [];
    emulator.injectFault({ method: 'POST', path: VOLUMES, phase: 'after', delayMs: 60, times: 1 });
    emulator.injectFault({
      method: 'DELETE',
      path: VOLUME,
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(
        provider({ onEvent: (event) => events.push(event) }).createVolume(volumeConfig(), {
          signal: controller.signal,
        }),
      ).rejects.toBe(reason);
    });
    const [left] = blockVolumes();
    expect(events.filter((event) => event.type === 'cleanup_failed')).toEqual([
      expect.objectContaining({ category: 'permission', resource: `volume fr-par-1/${left?.id}` }),
    ]);
  });

  it('rejects an already aborted call with its reason before any request', async () => {
    const controller = new AbortController();
    const reason = new Error('too late');
    controller.abort(reason);
    await expect(provider().createVolume(volumeConfig(), { signal: controller.signal })).rejects.toBe(reason);
    expect(emulator.requests).toHaveLength(0);
  });

  it('retries the POST after Scaleway’s empty-bodied 429 without a lookup', async () => {
    emulator.injectFault(scalewayRateLimitFault({ method: 'POST', path: VOLUMES, times: 2 }));
    await provider().createVolume(volumeConfig());
    expect(count('POST', VOLUMES)).toBe(3);
    expect(count('GET')).toBe(0);
    expect(blockVolumes()).toHaveLength(1);
  });

  it('reports a lookup that keeps failing after a lost request, and rethrows the original error', async () => {
    const events: ProviderEvent[] = [];
    // Dropped before the API saw it: nothing exists; the lookups are refused.
    emulator.injectFault({ method: 'POST', path: VOLUMES, drop: true, times: 1 });
    emulator.injectFault({
      method: 'GET',
      path: VOLUMES,
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    const failure = await inVirtualTime(() =>
      failureOf(
        provider({ timeoutMs: 100, onEvent: (event) => events.push(event) }).createVolume(volumeConfig()),
      ),
    );
    expect(failure).toMatchObject({ category: 'network' });
    expect(count('POST', VOLUMES)).toBe(1);
    expect(count('GET', VOLUMES)).toBeGreaterThanOrEqual(3);
    expect(events.filter((event) => event.type === 'cleanup_failed')).toEqual([
      expect.objectContaining({
        category: 'permission',
        resource: expect.stringMatching(/^a volume tagged sam-creation:[0-9a-f-]{36} in fr-par-1$/),
      }),
    ]);
    expect(blockVolumes()).toEqual([]);
  });

  it('throws a refusal (quota) at once: no lookup, no retry', async () => {
    emulator.injectFault({
      method: 'POST',
      path: VOLUMES,
      status: 403,
      body: { type: 'quotas_exceeded', message: 'quota(s) exceeded for this resource', details: [] },
    });
    await expect(provider().createVolume(volumeConfig())).rejects.toMatchObject({ category: 'quota' });
    expect(calls()).toEqual(['POST /block/v1/zones/fr-par-1/volumes']);
  });

  it.each([
    ['sizeGb', { sizeGb: 0 }],
    ['sizeGb', { sizeGb: 10_001 }],
    ['sizeGb', { sizeGb: 1.5 }],
    ['name', { name: '' }],
    ['name', { name: 'bad\nname' }],
    ['location', { location: 'fr-par-9' }],
  ])('refuses an invalid %s before any request', async (field, overrides) => {
    await expect(provider().createVolume(volumeConfig(overrides))).rejects.toMatchObject({
      category: 'invalid_input',
      field: `volume.${field}`,
    });
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('getVolume', () => {
  it('reads one volume with one GET and maps it, attached to the zonal VM id', async () => {
    const { vm, data } = runningWithData(['team=a', 'loose']);
    const volume = await provider().getVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(calls()).toEqual([`GET /block/v1/zones/fr-par-1/volumes/${data.id}`]);
    expect(volume).toMatchObject({
      id: zonal(data.id),
      sizeGb: 20,
      status: 'attached',
      attachedServerId: zonal(vm.id),
      labels: { team: 'a' },
    });
  });

  it('returns null for a 404', async () => {
    expect(await provider().getVolume({ volumeId: zonal(UNKNOWN), location: ZONE })).toBeNull();
    expect(emulator.requestCount()).toBe(1);
    // A local (l_ssd) volume is not a Block volume: 404 there too.
    const vm = emulator.seedServer({ state: 'stopped' });
    expect(
      await provider().getVolume({ volumeId: zonal(vm.volumes['0'] as string), location: ZONE }),
    ).toBeNull();
  });

  it('returns null for a volume the key sees but that belongs to another project than the configured one', async () => {
    const stored = emulator.seedBlockVolume({});
    // The key (emulator project) may read it; the provider is configured for another project.
    expect(
      await provider({ projectId: OTHER_PROJECT }).getVolume({ volumeId: zonal(stored.id), location: ZONE }),
    ).toBeNull();
    expect(emulator.requests[0]?.status).toBe(200);
    expect(await provider().getVolume({ volumeId: zonal(stored.id), location: ZONE })).not.toBeNull();
  });

  it('refuses, rather than pretends, when the key may not see the volume (403)', async () => {
    const foreign = emulator.seedBlockVolume({ project: OTHER_PROJECT });
    await expect(provider().getVolume({ volumeId: zonal(foreign.id), location: ZONE })).rejects.toMatchObject(
      {
        category: 'permission',
      },
    );
  });

  it('refuses ids of the wrong shape and a location that is not the id’s, before any request', async () => {
    const scaleway = provider();
    for (const volumeId of [UNKNOWN, `fr-par-9/${UNKNOWN}`, 'fr-par-1/../admin', 'fr-par-1/']) {
      await expect(scaleway.getVolume({ volumeId, location: ZONE })).rejects.toMatchObject({
        category: 'invalid_input',
        field: 'volume.volumeId',
      });
    }
    const failure = await failureOf(
      scaleway.getVolume({ volumeId: zonal(UNKNOWN, 'nl-ams-1'), location: ZONE }),
    );
    expect(failure).toMatchObject({ category: 'invalid_input', field: 'volume.location' });
    expect(failure.message).toContain('nl-ams-1');
    expect(emulator.requests).toHaveLength(0);
  });

  it('rejects with the caller’s reason when aborted mid-request', async () => {
    const stored = emulator.seedBlockVolume({});
    emulator.injectFault({ method: 'GET', path: VOLUME, delayMs: 100 });
    const controller = new AbortController();
    const reason = new Error('stop');
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(
        provider().getVolume({ volumeId: zonal(stored.id), location: ZONE }, { signal: controller.signal }),
      ).rejects.toBe(reason);
    });
  });
});

describe('listVolumes', () => {
  it.each([0, 100, 101, 250])(
    'lists %i volumes of one zone: page 1, then the rest at once',
    async (total) => {
      for (let index = 0; index < total; index++) {
        emulator.seedBlockVolume({ zone: 'nl-ams-2', name: `v-${index}`, tags: ['fleet=x'] });
      }
      for (let index = 0; index < 3; index++) {
        emulator.seedBlockVolume({ zone: 'nl-ams-2', project: OTHER_PROJECT, tags: ['fleet=x'] });
      }
      emulator.seedBlockVolume({ zone: 'nl-ams-2', tags: ['fleet=y'] });
      emulator.seedBlockVolume({ zone: 'nl-ams-1', tags: ['fleet=x'] });
      const listed = await provider().listVolumes({ location: 'nl-ams-2', labels: { fleet: 'x' } });
      expect(listed).toHaveLength(total);
      expect(new Set(listed.map((volume) => volume.id)).size).toBe(total);
      expect(
        listed.every((volume) => volume.id.startsWith('nl-ams-2/') && volume.location === 'nl-ams-2'),
      ).toBe(true);
      const pages = Math.max(Math.ceil(total / 100), 1);
      expect(emulator.requestCount()).toBe(pages);
      expect(emulator.requests[0]?.query.page).toBe('1');
      expect(emulator.requests.map((entry) => Number(entry.query.page)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: pages }, (_, index) => index + 1),
      );
      for (const entry of emulator.requests) {
        expect(entry.path).toBe('/block/v1/zones/nl-ams-2/volumes');
        expect(entry.query).toEqual({
          project_id: PROJECT,
          tags: 'fleet=x',
          page: entry.query.page,
          page_size: '100',
          order_by: 'created_at_asc',
        });
      }
    },
  );

  it('matches every label exactly (AND) here, sending one tag to narrow the list server-side', async () => {
    const wanted = emulator.seedBlockVolume({ tags: ['team=a', 'env=prod'] });
    const extra = emulator.seedBlockVolume({ tags: ['team=a', 'env=prod', 'extra=1', 'loose'] });
    emulator.seedBlockVolume({ tags: ['team=a', 'env=dev'] });
    emulator.seedBlockVolume({ tags: ['team=b', 'env=prod'] });
    emulator.seedBlockVolume({ tags: ['team=a'] });
    // Two values for one key: ambiguous, never a match.
    emulator.seedBlockVolume({ tags: ['team=a', 'env=prod', 'env=dev'] });
    emulator.seedBlockVolume({ tags: ['team=a=b', 'env=prod'] });
    const listed = await provider().listVolumes({ location: ZONE, labels: { team: 'a', env: 'prod' } });
    expect(listed.map((volume) => volume.id).sort()).toEqual([zonal(wanted.id), zonal(extra.id)].sort());
    expect(listed.find((volume) => volume.id === zonal(extra.id))?.labels).toEqual({
      team: 'a',
      env: 'prod',
      extra: '1',
    });
    expect(emulator.requestCount()).toBe(1);
    expect(urls).toHaveLength(1);
    const query = new URL(urls[0] as string).searchParams;
    expect(query.getAll('tags')).toEqual(['team=a']);
    expect(query.get('project_id')).toBe(PROJECT);
  });

  it('sends no tag without a label filter, and lists every volume of the project', async () => {
    emulator.seedBlockVolume({ tags: [] });
    emulator.seedBlockVolume({ tags: ['team=a'] });
    expect(await provider().listVolumes({ location: ZONE })).toHaveLength(2);
    expect(new URL(urls[0] as string).searchParams.has('tags')).toBe(false);
  });

  it('drops volumes of other projects the API lists anyway; one without a project is kept', async () => {
    for (let index = 0; index < 3; index++) emulator.seedBlockVolume({ name: `v-${index}` });
    const [mine, foreign, unowned] = await renderedVolumes();
    emulator.injectFault({
      method: 'GET',
      path: VOLUMES,
      status: 200,
      body: {
        volumes: [mine, { ...foreign, project_id: OTHER_PROJECT }, { ...unowned, project_id: null }],
        total_count: 3,
      },
      times: 1,
    });
    emulator.clearRequests();
    const listed = await provider().listVolumes({ location: ZONE });
    expect(listed.map((volume) => uuidOf(volume.id))).toEqual([mine?.id, unowned?.id]);
    expect(emulator.requestCount()).toBe(1);
  });

  it('walks on page by page after a full page without a count, until a short page', async () => {
    for (let index = 0; index < 150; index++) emulator.seedBlockVolume({ name: `v-${index}` });
    const firstPage = await renderedVolumes();
    emulator.injectFault({
      method: 'GET',
      path: VOLUMES,
      status: 200,
      body: { volumes: firstPage },
      times: 1,
    });
    emulator.clearRequests();
    const listed = await provider().listVolumes({ location: ZONE });
    expect(listed).toHaveLength(150);
    expect(emulator.requests.map((entry) => entry.query.page)).toEqual(['1', '2']);
  });

  it('refuses a count beyond what it will page through, after one request', async () => {
    emulator.injectFault({
      method: 'GET',
      path: VOLUMES,
      status: 200,
      body: { volumes: [], total_count: 100_001 },
    });
    await expect(provider().listVolumes({ location: ZONE })).rejects.toMatchObject({
      category: 'invalid_response',
    });
    expect(emulator.requestCount()).toBe(1);
  });

  it('refuses a location that is not configured before any request', async () => {
    await expect(
      provider({ zones: ['fr-par-1'] }).listVolumes({ location: 'nl-ams-1' }),
    ).rejects.toMatchObject({
      category: 'invalid_input',
      field: 'volume.location',
    });
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('attachVolume', () => {
  it('attaches to a running VM: GET, attach-volume, GET; attached to the zonal VM id', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const data = emulator.seedBlockVolume({ size: 20 * GB });
    const volume = await provider().attachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(calls()).toEqual([
      `GET /block/v1/zones/fr-par-1/volumes/${data.id}`,
      `POST /instance/v1/zones/fr-par-1/servers/${vm.id}/attach-volume`,
      `GET /block/v1/zones/fr-par-1/volumes/${data.id}`,
    ]);
    expect(JSON.parse(emulator.requests[1]?.body ?? '{}')).toEqual({
      volume_id: data.id,
      volume_type: 'sbs_volume',
    });
    expect(volume).toMatchObject({ status: 'attached', attachedServerId: zonal(vm.id) });
    expect(emulator.getServer(ZONE, vm.id)?.volumes['1']).toBe(data.id);
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: vm.id, referenceStatus: 'attached' });
  });

  it('resolves with the id exactly as createVM returned it', async () => {
    const vm = await provider().createVM({
      name: 'agent-1',
      size: 'small',
      location: ZONE,
      userData: '#cloud-config\n',
    });
    const created = await provider().createVolume(volumeConfig());
    const volume = await provider().attachVolume({ volumeId: created.id, serverId: vm.id, location: ZONE });
    expect(volume.attachedServerId).toBe(vm.id);
  });

  it('waits out the lagging `attaching` view with a single attach-volume', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const data = emulator.seedBlockVolume({});
    const elapsed = await inRealtime(async () => {
      const start = Date.now();
      const volume = await provider().attachVolume({
        volumeId: zonal(data.id),
        serverId: zonal(vm.id),
        location: ZONE,
      });
      expect(volume.status).toBe('attached');
      return Date.now() - start;
    });
    expect(elapsed).toBeGreaterThanOrEqual(SCALEWAY_BLOCK_VOLUME_DELAYS.attach);
    expect(count('POST', ATTACH)).toBe(1);
    expect(count('GET', VOLUME)).toBeGreaterThan(2);
  });

  it('waits for a VM still starting (409 transient_state), then attaches', async () => {
    const data = emulator.seedBlockVolume({});
    const { volume, vmId } = await inRealtime(async () => {
      const vm = emulator.seedServer({ state: 'starting' });
      const attached = await provider().attachVolume({
        volumeId: zonal(data.id),
        serverId: zonal(vm.id),
        location: ZONE,
      });
      return { volume: attached, vmId: vm.id };
    });
    expect(volume).toMatchObject({ status: 'attached', attachedServerId: zonal(vmId) });
    expect(answered('POST', ATTACH, 409)).toBeGreaterThanOrEqual(1);
    expect(answered('POST', ATTACH, 200)).toBe(1);
    expect(emulator.getServer(ZONE, vmId)?.state).toBe('running');
  });

  it('sends no attach-volume for a volume already attached to that VM', async () => {
    const { vm, data } = runningWithData();
    const volume = await provider().attachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(volume).toMatchObject({ status: 'attached', attachedServerId: zonal(vm.id) });
    expect(count('POST')).toBe(0);
    expect(emulator.requestCount()).toBe(1);
  });

  it('refuses a volume attached to another VM with a conflict naming that VM, and leaves it there', async () => {
    const { vm: holder, data } = runningWithData();
    const other = emulator.seedServer({ state: 'running' });
    const failure = await failureOf(
      provider().attachVolume({ volumeId: zonal(data.id), serverId: zonal(other.id), location: ZONE }),
    );
    expect(failure).toMatchObject({ category: 'conflict', retryable: false });
    expect(failure.message).toContain(zonal(holder.id));
    expect(count('POST')).toBe(0);
    expect(emulator.getVolume(data.id)?.serverId).toBe(holder.id);
    expect(Object.values(emulator.getServer(ZONE, other.id)?.volumes ?? {})).not.toContain(data.id);
  });

  it('waits for a volume still creating, then attaches it', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const volume = await inRealtime(async () => {
      const created = await provider().createVolume(volumeConfig());
      expect(created.status).toBe('creating');
      return provider().attachVolume({ volumeId: created.id, serverId: zonal(vm.id), location: ZONE });
    });
    expect(volume).toMatchObject({ status: 'attached', attachedServerId: zonal(vm.id) });
    expect(count('POST', ATTACH)).toBe(1);
    expect(answered('POST', ATTACH, 200)).toBe(1);
  });

  it('resolves when the attach-volume answer was lost but the re-read shows it attached', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const data = emulator.seedBlockVolume({});
    emulator.injectFault({ method: 'POST', path: ATTACH, phase: 'after', drop: true, times: 1 });
    const volume = await provider().attachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(volume).toMatchObject({ status: 'attached', attachedServerId: zonal(vm.id) });
    expect(count('POST', ATTACH)).toBe(1);
    expect(
      Object.values(emulator.getServer(ZONE, vm.id)?.volumes ?? {}).filter((id) => id === data.id),
    ).toHaveLength(1);
  });

  it('sends attach-volume again when the lost request never reached the API', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const data = emulator.seedBlockVolume({});
    emulator.injectFault({ method: 'POST', path: ATTACH, drop: true, times: 1 });
    const volume = await provider().attachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(volume.status).toBe('attached');
    expect(count('POST', ATTACH)).toBe(2);
  });

  it('gives up after waitTimeoutMs with a retryable timeout (volume stuck creating), sending no attach', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = emulator.seedServer({ state: 'running' });
    const created = await provider().createVolume(volumeConfig());
    emulator.clearRequests();
    const { failure, elapsed } = await inVirtualTime(async () => {
      const start = Date.now();
      const error = await failureOf(
        provider({ waitTimeoutMs: 50 }).attachVolume({
          volumeId: created.id,
          serverId: zonal(vm.id),
          location: ZONE,
        }),
      );
      return { failure: error, elapsed: Date.now() - start };
    });
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toMatch(/to become available \(creating\) after 50 ms/);
    expect(elapsed).toBeGreaterThanOrEqual(50);
    expect(elapsed).toBeLessThan(100);
    expect(count('POST')).toBe(0);
  });

  it('gives up after waitTimeoutMs when the VM never accepts the volume (stuck starting)', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = emulator.seedServer({ state: 'starting' });
    const data = emulator.seedBlockVolume({});
    const failure = await inVirtualTime(() =>
      failureOf(
        provider({ waitTimeoutMs: 50 }).attachVolume({
          volumeId: zonal(data.id),
          serverId: zonal(vm.id),
          location: ZONE,
        }),
      ),
    );
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toContain(`VM ${zonal(vm.id)} to accept volume`);
    expect(answered('POST', ATTACH, 409)).toBe(count('POST', ATTACH));
    expect(emulator.getVolume(data.id)?.serverId).toBeNull();
  });

  it('rejects with the caller’s reason when aborted mid-wait', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = emulator.seedServer({ state: 'running' });
    const created = await provider().createVolume(volumeConfig());
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 30);
      await expect(
        provider().attachVolume(
          { volumeId: created.id, serverId: zonal(vm.id), location: ZONE },
          { signal: controller.signal },
        ),
      ).rejects.toBe(reason);
    });
    expect(count('POST', ATTACH)).toBe(0);
  });

  it('reports an unknown VM as not_found naming it, and an unknown volume as not_found, attaching nothing', async () => {
    const data = emulator.seedBlockVolume({});
    const failure = await failureOf(
      provider().attachVolume({ volumeId: zonal(data.id), serverId: zonal(UNKNOWN), location: ZONE }),
    );
    expect(failure).toMatchObject({ category: 'not_found', statusCode: 404 });
    expect(failure.message).toContain(`VM ${zonal(UNKNOWN)} not found`);
    expect(emulator.getVolume(data.id)?.serverId).toBeNull();

    const vm = emulator.seedServer({ state: 'running' });
    emulator.clearRequests();
    await expect(
      provider().attachVolume({ volumeId: zonal(UNKNOWN), serverId: zonal(vm.id), location: ZONE }),
    ).rejects.toMatchObject({ category: 'not_found' });
    expect(count('POST')).toBe(0);
  });

  it('throws a refusal it cannot wait out (403) after one attach-volume', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    const data = emulator.seedBlockVolume({});
    emulator.injectFault({
      method: 'POST',
      path: ATTACH,
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    await expect(
      provider().attachVolume({ volumeId: zonal(data.id), serverId: zonal(vm.id), location: ZONE }),
    ).rejects.toMatchObject({ category: 'permission' });
    expect(count('POST', ATTACH)).toBe(1);
  });

  it('refuses a VM in another zone than the location before any request', async () => {
    await expect(
      provider().attachVolume({
        volumeId: zonal(UNKNOWN),
        serverId: zonal(UNKNOWN, 'nl-ams-1'),
        location: ZONE,
      }),
    ).rejects.toMatchObject({ category: 'invalid_input', field: 'volume.serverId' });
    expect(emulator.requests).toHaveLength(0);
  });
});

describe('detachVolume', () => {
  it('resolves a volume that is not attached without a detach request', async () => {
    const data = emulator.seedBlockVolume({});
    const volume = await provider().detachVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(volume).toMatchObject({ status: 'available' });
    expect(volume?.attachedServerId).toBeUndefined();
    expect(emulator.requestCount()).toBe(1);
    expect(count('POST')).toBe(0);
  });

  it('returns null for a volume that is gone, with one GET', async () => {
    expect(await provider().detachVolume({ volumeId: zonal(UNKNOWN), location: ZONE })).toBeNull();
    expect(emulator.requestCount()).toBe(1);
  });

  it('refuses with a conflict when serverId names another VM, pulling nothing out', async () => {
    const { vm, data } = runningWithData();
    const other = emulator.seedServer({ state: 'running' });
    const failure = await failureOf(
      provider().detachVolume({ volumeId: zonal(data.id), serverId: zonal(other.id), location: ZONE }),
    );
    expect(failure).toMatchObject({ category: 'conflict', retryable: false });
    expect(failure.message).toContain(zonal(vm.id));
    expect(failure.message).toContain(zonal(other.id));
    expect(count('POST')).toBe(0);
    expect(emulator.getVolume(data.id)?.serverId).toBe(vm.id);
  });

  it('waits out the lagging `detaching` window of a running VM with a single detach-volume', async () => {
    emulator.setBlockVolumeDelays({ detachRunning: 3_000 });
    const { vm, data } = runningWithData();
    const { volume, elapsed } = await inRealtime(async () => {
      const start = Date.now();
      const detached = await provider().detachVolume({
        volumeId: zonal(data.id),
        serverId: zonal(vm.id),
        location: ZONE,
      });
      return { volume: detached, elapsed: Date.now() - start };
    });
    expect(elapsed).toBeGreaterThanOrEqual(3_000);
    expect(volume).toMatchObject({ status: 'available', labels: { keep: 'yes' } });
    expect(volume?.attachedServerId).toBeUndefined();
    expect(count('POST', DETACH)).toBe(1);
    expect(JSON.parse(emulator.requests.find((entry) => DETACH.test(entry.path))?.body ?? '{}')).toEqual({
      volume_id: data.id,
    });
    expect(count('GET', VOLUME)).toBeGreaterThan(2);
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, referenceStatus: null });
    expect(Object.values(emulator.getServer(ZONE, vm.id)?.volumes ?? {})).not.toContain(data.id);
  });

  it('waits for a detach someone else started without sending another', async () => {
    const { vm, data } = runningWithData();
    const volume = await inRealtime(async () => {
      await api('POST', `/instance/v1/zones/fr-par-1/servers/${vm.id}/detach-volume`, { volume_id: data.id });
      emulator.clearRequests();
      return provider().detachVolume({ volumeId: zonal(data.id), location: ZONE });
    });
    expect(volume?.status).toBe('available');
    expect(count('POST')).toBe(0);
  });

  it('does not ask again when the read after detach-volume still shows the reference attached (§15.9)', async () => {
    const { vm, data } = runningWithData();
    const [stale] = await renderedVolumes();
    emulator.clearRequests();
    // The first read passes; the one right after the detach still shows `attached`, as recorded for a moment.
    emulator.injectFault({ method: 'GET', path: VOLUME, times: 1 });
    emulator.injectFault({ method: 'GET', path: VOLUME, status: 200, body: stale, times: 1 });
    const volume = await provider().detachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(volume?.status).toBe('available');
    expect(count('POST', DETACH)).toBe(1);
    expect(count('GET', VOLUME)).toBe(3);
  });

  it('tolerates a "not attached to this server" refusal and asks again', async () => {
    const { vm, data } = runningWithData();
    emulator.injectFault({
      method: 'POST',
      path: DETACH,
      status: 400,
      body: {
        type: 'invalid_arguments',
        message: 'invalid argument(s)',
        details: [{ argument_name: 'volume_id', reason: 'constraint', help_message: 'not attached' }],
      },
      times: 1,
    });
    const volume = await provider().detachVolume({
      volumeId: zonal(data.id),
      serverId: zonal(vm.id),
      location: ZONE,
    });
    expect(volume?.status).toBe('available');
    expect(count('POST', DETACH)).toBe(2);
  });

  it('re-reads when its VM is gone by the time detach-volume arrives (a terminate finishing meanwhile)', async () => {
    const { vm, data } = runningWithData();
    const [stale] = await renderedVolumes();
    // The VM goes (terminate, instant here), releasing the volume; the first read still shows it attached.
    expect(
      (await api('POST', `/instance/v1/zones/${ZONE}/servers/${vm.id}/action`, { action: 'terminate' }))
        .status,
    ).toBe(202);
    expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
    emulator.clearRequests();
    emulator.injectFault({ method: 'GET', path: VOLUME, status: 200, body: stale, times: 1 });
    const volume = await provider().detachVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(volume).toMatchObject({ status: 'available' });
    expect(volume?.attachedServerId).toBeUndefined();
    expect(answered('POST', DETACH, 404)).toBe(1);
    expect(count('GET', VOLUME)).toBe(2);
    expect(emulator.getVolume(data.id)?.serverId).toBeNull();
  });

  it('throws a refusal it cannot wait out (403)', async () => {
    const { data } = runningWithData();
    emulator.injectFault({
      method: 'POST',
      path: DETACH,
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    await expect(provider().detachVolume({ volumeId: zonal(data.id), location: ZONE })).rejects.toMatchObject(
      {
        category: 'permission',
      },
    );
    expect(count('POST', DETACH)).toBe(1);
  });

  it('rejects with the caller’s reason when aborted while detaching', async () => {
    const { data } = runningWithData();
    const controller = new AbortController();
    const reason = new Error('stop waiting');
    await inRealtime(async () => {
      setTimeout(() => controller.abort(reason), 500);
      await expect(
        provider().detachVolume({ volumeId: zonal(data.id), location: ZONE }, { signal: controller.signal }),
      ).rejects.toBe(reason);
    });
    expect(count('POST', DETACH)).toBe(1);
    expect(emulator.getVolume(data.id)?.referenceStatus).toBe('detaching');
  });

  it('gives up after waitTimeoutMs with a retryable timeout', async () => {
    const { data } = runningWithData();
    const failure = await inRealtime(() =>
      failureOf(provider({ waitTimeoutMs: 100 }).detachVolume({ volumeId: zonal(data.id), location: ZONE })),
    );
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toContain('to be detached');
  });
});

describe('resizeVolume', () => {
  it.each([10, 5])('refuses %i GB against currentSizeGb 10 before any request', async (sizeGb) => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    await expect(
      provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb, currentSizeGb: 10 }),
    ).rejects.toMatchObject({ category: 'invalid_input', field: 'volume.sizeGb' });
    expect(emulator.requests).toHaveLength(0);
  });

  it.each([10, 5])(
    'without currentSizeGb, refuses %i GB of a 10 GB volume after exactly one GET',
    async (sizeGb) => {
      const data = emulator.seedBlockVolume({ size: 10 * GB });
      const failure = await failureOf(
        provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb }),
      );
      expect(failure).toMatchObject({ category: 'invalid_input', field: 'volume.sizeGb' });
      expect(failure.message).toContain('10 GB now');
      expect(calls()).toEqual([`GET /block/v1/zones/fr-par-1/volumes/${data.id}`]);
      expect(emulator.getVolume(data.id)?.size).toBe(10 * GB);
    },
  );

  it('grows with one PATCH in bytes, then waits until the new size has landed', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    const { volume, elapsed } = await inRealtime(async () => {
      const start = Date.now();
      const resized = await provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 });
      return { volume: resized, elapsed: Date.now() - start };
    });
    expect(volume).toMatchObject({ sizeGb: 30, status: 'available' });
    expect(elapsed).toBeGreaterThanOrEqual(SCALEWAY_BLOCK_VOLUME_DELAYS.update);
    expect(count('PATCH', VOLUME)).toBe(1);
    expect(JSON.parse(emulator.requests.find((entry) => entry.method === 'PATCH')?.body ?? '{}')).toEqual({
      size: 30 * GB,
    });
    expect(count('GET', VOLUME)).toBeGreaterThan(2);
    expect(emulator.getVolume(data.id)).toMatchObject({ size: 30 * GB, operation: null });
  });

  it('keeps waiting while the new size shows but the volume is still updating', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    const [rendered] = await renderedVolumes();
    emulator.clearRequests();
    emulator.injectFault({ method: 'GET', path: VOLUME, times: 1 });
    emulator.injectFault({
      method: 'GET',
      path: VOLUME,
      status: 200,
      body: { ...rendered, size: 30 * GB, status: 'updating' },
      times: 1,
    });
    const volume = await provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 });
    expect(volume).toMatchObject({ sizeGb: 30, status: 'available' });
    expect(count('PATCH')).toBe(1);
    expect(count('GET', VOLUME)).toBe(3);
  });

  it('grows an attached volume in place, still attached', async () => {
    const { vm, data } = runningWithData();
    const volume = await provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 25 });
    expect(volume).toMatchObject({ sizeGb: 25, status: 'attached', attachedServerId: zonal(vm.id) });
    expect(count('PATCH')).toBe(1);
  });

  it('waits for a volume still creating before the PATCH', async () => {
    const volume = await inRealtime(async () => {
      const created = await provider().createVolume(volumeConfig({ sizeGb: 10 }));
      return provider().resizeVolume({ volumeId: created.id, location: ZONE, sizeGb: 11 });
    });
    expect(volume).toMatchObject({ sizeGb: 11, status: 'available' });
    expect(count('PATCH')).toBe(1);
    expect(answered('PATCH', VOLUME, 200)).toBe(1);
  });

  it('converges when the PATCH answer is lost (retried by the client)', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    emulator.injectFault({ method: 'PATCH', path: VOLUME, phase: 'after', drop: true, times: 1 });
    const volume = await inRealtime(() =>
      provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 }),
    );
    expect(volume).toMatchObject({ sizeGb: 30, status: 'available' });
    expect(emulator.getVolume(data.id)?.size).toBe(30 * GB);
    expect(count('PATCH')).toBe(2);
  });

  it('converges when every answer of the PATCH is lost (the next read shows the size)', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    emulator.injectFault({ method: 'PATCH', path: VOLUME, phase: 'after', drop: true, times: 4 });
    const volume = await inRealtime(() =>
      provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 }),
    );
    expect(volume).toMatchObject({ sizeGb: 30, status: 'available' });
    // The client's 1 + 3 retries, all lost; the provider then reads instead of PATCHing again.
    expect(count('PATCH')).toBe(4);
    expect(emulator.getVolume(data.id)?.size).toBe(30 * GB);
  });

  it('PATCHes again when the lost PATCH never reached the API', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    emulator.injectFault({ method: 'PATCH', path: VOLUME, drop: true, times: 4 });
    const volume = await provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 });
    expect(volume.sizeGb).toBe(30);
    expect(count('PATCH')).toBe(5);
    expect(answered('PATCH', VOLUME, 200)).toBe(1);
  });

  // After a PATCH answered 200, a read that does not show the change yet (`available`, old size) is waited on before
  // anything is sent again, within waitTimeoutMs.
  it('paces re-sent PATCHes and honours waitTimeoutMs when the new size is slow to show', async () => {
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    const [rendered] = await renderedVolumes();
    emulator.clearRequests();
    emulator.injectFault({ method: 'PATCH', path: VOLUME, status: 200, body: rendered, times: 200 });
    const failure = await inVirtualTime(() =>
      failureOf(
        provider({ waitTimeoutMs: 1 }).resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 }),
      ),
    );
    expect(count('PATCH')).toBeLessThanOrEqual(3);
    expect(failure).toMatchObject({ category: 'timeout' });
  });

  it('reports an unknown volume as not_found and throws a refusal it cannot wait out', async () => {
    await expect(
      provider().resizeVolume({ volumeId: zonal(UNKNOWN), location: ZONE, sizeGb: 30 }),
    ).rejects.toMatchObject({ category: 'not_found' });
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    emulator.injectFault({
      method: 'PATCH',
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    await expect(
      provider().resizeVolume({ volumeId: zonal(data.id), location: ZONE, sizeGb: 30 }),
    ).rejects.toMatchObject({ category: 'permission' });
    expect(emulator.getVolume(data.id)?.size).toBe(10 * GB);
  });

  it('gives up after waitTimeoutMs while the size has not landed', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const data = emulator.seedBlockVolume({ size: 10 * GB });
    const failure = await inVirtualTime(() =>
      failureOf(
        provider({ waitTimeoutMs: 50 }).resizeVolume({
          volumeId: zonal(data.id),
          location: ZONE,
          sizeGb: 30,
        }),
      ),
    );
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toContain('to reach 30 GB');
    expect(count('PATCH')).toBe(1);
  });
});

describe('deleteVolume', () => {
  it('deletes an available volume: one GET, one DELETE', async () => {
    const data = emulator.seedBlockVolume({});
    await provider().deleteVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(calls()).toEqual([
      `GET /block/v1/zones/fr-par-1/volumes/${data.id}`,
      `DELETE /block/v1/zones/fr-par-1/volumes/${data.id}`,
    ]);
    expect(emulator.getVolume(data.id)).toBeUndefined();
  });

  it('refuses an attached volume with a conflict naming the VM, leaving it attached', async () => {
    const { vm, data } = runningWithData();
    const failure = await failureOf(provider().deleteVolume({ volumeId: zonal(data.id), location: ZONE }));
    expect(failure).toMatchObject({ category: 'conflict', retryable: false });
    expect(failure.message).toContain(zonal(vm.id));
    expect(count('DELETE')).toBe(0);
    expect(count('POST')).toBe(0);
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: vm.id, referenceStatus: 'attached' });
  });

  it('waits for a detaching volume, then deletes it', async () => {
    const { vm, data } = runningWithData();
    await inRealtime(async () => {
      await api('POST', `/instance/v1/zones/fr-par-1/servers/${vm.id}/detach-volume`, { volume_id: data.id });
      emulator.clearRequests();
      await provider({ waitTimeoutMs: 30_000 }).deleteVolume({ volumeId: zonal(data.id), location: ZONE });
    });
    expect(count('GET', VOLUME)).toBeGreaterThan(1);
    expect(count('DELETE', VOLUME)).toBe(1);
    expect(emulator.getVolume(data.id)).toBeUndefined();
  });

  it('waits for a volume still creating, then deletes it', async () => {
    await inRealtime(async () => {
      const created = await provider().createVolume(volumeConfig());
      emulator.clearRequests();
      await provider().deleteVolume({ volumeId: created.id, location: ZONE });
    });
    expect(count('GET', VOLUME)).toBeGreaterThan(1);
    expect(count('DELETE', VOLUME)).toBe(1);
    emulator.clock.settle();
    expect(blockVolumes()).toEqual([]);
  });

  it('resolves for a volume that is gone (404), without a DELETE', async () => {
    await provider().deleteVolume({ volumeId: zonal(UNKNOWN), location: ZONE });
    expect(calls()).toEqual([`GET /block/v1/zones/fr-par-1/volumes/${UNKNOWN}`]);
  });

  it('resolves when the DELETE finds it gone, or its answer was lost', async () => {
    const data = emulator.seedBlockVolume({});
    emulator.injectFault({ method: 'DELETE', path: VOLUME, phase: 'after', drop: true, times: 1 });
    await provider().deleteVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(emulator.getVolume(data.id)).toBeUndefined();
    expect(answered('DELETE', VOLUME, 404)).toBe(1);
  });

  it('tries again after a conflict (412), and throws a refusal it cannot wait out', async () => {
    const data = emulator.seedBlockVolume({});
    emulator.injectFault({
      method: 'DELETE',
      path: VOLUME,
      status: 412,
      body: { type: 'precondition_failed', message: 'in use', precondition: 'resource_still_in_use' },
      times: 1,
    });
    await provider().deleteVolume({ volumeId: zonal(data.id), location: ZONE });
    expect(count('DELETE')).toBe(2);
    expect(emulator.getVolume(data.id)).toBeUndefined();

    const kept = emulator.seedBlockVolume({});
    emulator.injectFault({
      method: 'DELETE',
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    await expect(provider().deleteVolume({ volumeId: zonal(kept.id), location: ZONE })).rejects.toMatchObject(
      {
        category: 'permission',
      },
    );
    expect(emulator.getVolume(kept.id)).toBeDefined();
  });
});

describe('deleteVM keeps data volumes', () => {
  const bootOf = (vm: { volumes: Record<string, string> }) => vm.volumes['0'] as string;

  it('terminates a running VM with an l_ssd root: server and root gone, the Block data volume kept', async () => {
    const { vm, data } = runningWithData(['keep=yes', 'team=a']);
    const root = bootOf(vm);
    expect(emulator.getVolume(root)?.volumeType).toBe('l_ssd');
    await provider().deleteVM(zonal(vm.id));
    expect(calls()).toEqual([
      `GET /instance/v1/zones/fr-par-1/servers/${vm.id}`,
      `POST /instance/v1/zones/fr-par-1/servers/${vm.id}/action`,
    ]);
    expect(JSON.parse(emulator.requests[1]?.body ?? '{}')).toEqual({ action: 'terminate' });
    expect(count('DELETE')).toBe(0);
    emulator.clock.settle();
    expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
    expect(emulator.getVolume(root)).toBeUndefined();
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, tags: ['keep=yes', 'team=a'] });
    expect(await provider().getVolume({ volumeId: zonal(data.id), location: ZONE })).toMatchObject({
      status: 'available',
      labels: { keep: 'yes', team: 'a' },
    });
  });

  it('DELETEs a stopped VM, then its l_ssd root only: the Block data volume kept', async () => {
    const vm = emulator.seedServer({ state: 'stopped' });
    const data = emulator.seedBlockVolume({ serverId: vm.id, tags: ['keep=yes'] });
    const root = bootOf(vm);
    await provider().deleteVM(zonal(vm.id));
    expect(calls()).toEqual([
      `GET /instance/v1/zones/fr-par-1/servers/${vm.id}`,
      `PATCH /instance/v1/zones/fr-par-1/volumes/${root}`,
      `DELETE /instance/v1/zones/fr-par-1/servers/${vm.id}`,
      `DELETE /instance/v1/zones/fr-par-1/volumes/${root}`,
    ]);
    expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
    expect(emulator.getVolume(root)).toBeUndefined();
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, tags: ['keep=yes'] });
    expect(count('DELETE', VOLUME)).toBe(0);
  });

  it.each(['running', 'stopped'] as const)(
    'deletes the SBS boot volume of a %s VM through the Block API and keeps the data volume',
    async (state) => {
      const vm = emulator.seedServer({ state, volumeType: 'sbs_volume' });
      const root = bootOf(vm);
      expect(emulator.getVolume(root)?.volumeType).toBe('sbs_volume');
      const data = emulator.seedBlockVolume({ serverId: vm.id, tags: ['keep=yes'] });
      expect(emulator.getServer(ZONE, vm.id)?.volumes['1']).toBe(data.id);
      await provider().deleteVM(zonal(vm.id));
      expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
      expect(emulator.getVolume(root)).toBeUndefined();
      expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, tags: ['keep=yes'] });
      const blockDeletes = emulator.requests.filter(
        (entry) => entry.method === 'DELETE' && VOLUME.test(entry.path),
      );
      expect(blockDeletes.map((entry) => entry.path)).toEqual([`/block/v1/zones/fr-par-1/volumes/${root}`]);
      expect(count('DELETE', /\/instance\/v1\/zones\/[^/]+\/volumes\//)).toBe(0);
    },
  );

  it('waits for a just-terminated SBS boot volume to be released before deleting it', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const root = bootOf(vm);
    const data = emulator.seedBlockVolume({ serverId: vm.id });
    // The first DELETE of the root is refused while it still detaches.
    emulator.injectFault({
      method: 'DELETE',
      path: `/block/v1/zones/fr-par-1/volumes/${root}`,
      status: 412,
      body: { type: 'precondition_failed', message: 'in use', precondition: 'resource_still_in_use' },
      times: 2,
    });
    await provider().deleteVM(zonal(vm.id));
    expect(count('DELETE', VOLUME)).toBe(3);
    expect(emulator.getVolume(root)).toBeUndefined();
    expect(emulator.getVolume(data.id)?.serverId).toBeNull();
  });

  it('powers off and DELETEs (never terminates) a running VM with a non-boot l_ssd data volume, keeping it', async () => {
    // A detached 20 GB l_ssd: the root of a deleted DEV1-S.
    const donor = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-S' });
    const local = bootOf(donor);
    expect((await api('DELETE', `/instance/v1/zones/fr-par-1/servers/${donor.id}`)).status).toBe(204);
    // A DEV1-M (40 GB local) with a 20 GB l_ssd root, the local volume attached while stopped, then powered on.
    const created = await api('POST', '/instance/v1/zones/fr-par-1/servers', {
      name: 'local-data',
      commercial_type: 'DEV1-M',
      project: PROJECT,
      image: emulator.marketplaceImageId('ubuntu_noble', ZONE, 'instance_local'),
      volumes: { '0': { size: 20 * GB, volume_type: 'l_ssd' } },
    });
    expect(created.status).toBe(201);
    const vmId = created.body.server.id as string;
    const attached = await api('POST', `/instance/v1/zones/fr-par-1/servers/${vmId}/attach-volume`, {
      volume_id: local,
      volume_type: 'l_ssd',
    });
    expect(attached.status).toBe(200);
    const data = emulator.seedBlockVolume({ serverId: vmId, tags: ['keep=yes'] });
    expect(
      (await api('POST', `/instance/v1/zones/fr-par-1/servers/${vmId}/action`, { action: 'poweron' })).status,
    ).toBe(202);
    const vm = emulator.getServer(ZONE, vmId);
    expect(vm?.state).toBe('running');
    expect(vm?.volumes).toEqual({ '0': expect.any(String), '1': local, '2': data.id });
    const root = vm?.volumes['0'] as string;
    emulator.clearRequests();

    await inRealtime(() => provider().deleteVM(zonal(vmId)));

    const actions = emulator.requests
      .filter((entry) => entry.method === 'POST' && ACTION.test(entry.path))
      .map((entry) => JSON.parse(entry.body ?? '{}').action);
    expect(actions).toEqual(['poweroff']);
    // Polled while stopping.
    expect(count('GET', /\/servers\/[^/]+$/)).toBeGreaterThan(2);
    expect(count('DELETE', /\/instance\/v1\/zones\/fr-par-1\/servers\//)).toBe(1);
    expect(
      emulator.requests
        .filter((entry) => entry.method === 'DELETE' && /\/volumes\//.test(entry.path))
        .map((entry) => entry.path),
    ).toEqual([`/instance/v1/zones/fr-par-1/volumes/${root}`]);
    emulator.clock.settle();
    expect(emulator.getServer(ZONE, vmId)).toBeUndefined();
    expect(emulator.getVolume(root)).toBeUndefined();
    expect(emulator.getVolume(local)).toMatchObject({ volumeType: 'l_ssd', serverId: null });
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, tags: ['keep=yes'] });
  });
});
