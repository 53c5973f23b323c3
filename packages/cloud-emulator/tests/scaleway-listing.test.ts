import { beforeEach, describe, expect, it } from 'vitest';
import { ScalewayEmulator } from '../src/scaleway/emulator.js';
import { action, FR_PAR_1, instancePath, type Send, scalewayClient } from './scaleway-helpers.js';

const OTHER_PROJECT = '0e4cb2a4-7f0c-4b6a-9d53-5cf4d6e0a9b1';
const GIB = 1024 ** 3;

let emulator: ScalewayEmulator;
let send: Send;

beforeEach(() => {
  emulator = new ScalewayEmulator();
  send = scalewayClient(emulator);
});

async function names(query: string): Promise<string[]> {
  const response = await send('GET', `${FR_PAR_1}/servers${query}`);
  expect(response.status).toBe(200);
  return (response.body.servers as Array<{ name: string }>).map((server) => server.name).sort();
}

describe('GET /servers pagination (§8.1)', () => {
  it.each([
    [0, 0],
    [50, 1],
    [100, 2],
    [101, 3],
    [250, 5],
  ])('pages %i servers 50 at a time over %i pages', async (count, pages) => {
    emulator.seedServers(count, { name: 'agent' });
    const seen = new Set<string>();
    for (let page = 1; page <= Math.max(pages, 1); page++) {
      const response = await send('GET', `${FR_PAR_1}/servers?page=${page}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-total-count')).toBe(String(count));
      expect(response.body).not.toHaveProperty('total_count');
      const expected = page < pages ? 50 : count - 50 * (pages - 1);
      expect(response.body.servers).toHaveLength(pages === 0 ? 0 : expected);
      for (const server of response.body.servers) seen.add(server.id);
    }
    expect(seen.size).toBe(count);
    const beyond = await send('GET', `${FR_PAR_1}/servers?page=${pages + 1}`);
    expect(beyond.body.servers).toEqual([]);
  });

  it('writes the recorded Link forms', async () => {
    const link = async (query: string) =>
      (await send('GET', `${FR_PAR_1}/servers${query}`)).headers.get('link');
    expect(await link('')).toBe('</servers?page=0&per_page=50&>; rel="last"');
    emulator.seedServers(101);
    expect(await link('')).toBe(
      '</servers?page=2&per_page=50&>; rel="next",</servers?page=3&per_page=50&>; rel="last"',
    );
    expect(await link('?page=2')).toBe(
      '</servers?page=1&per_page=50&>; rel="first",</servers?page=1&per_page=50&>; rel="previous",' +
        '</servers?page=3&per_page=50&>; rel="next",</servers?page=3&per_page=50&>; rel="last"',
    );
    expect(await link('?page=3')).toBe(
      '</servers?page=1&per_page=50&>; rel="first",</servers?page=2&per_page=50&>; rel="previous",' +
        '</servers?page=3&per_page=50&>; rel="last"',
    );
    expect(await link('?per_page=100&order=creation_date_desc')).toBe(
      '</servers?page=2&per_page=100&order=creation_date_desc>; rel="next",' +
        '</servers?page=2&per_page=100&order=creation_date_desc>; rel="last"',
    );
  });

  it('answers one page of 100 at per_page=100 and refuses per_page=101 and page=0', async () => {
    emulator.seedServers(101);
    expect((await send('GET', `${FR_PAR_1}/servers?per_page=100`)).body.servers).toHaveLength(100);
    for (const query of ['per_page=101', 'page=0', 'per_page=0', 'page=abc']) {
      const response = await send('GET', `${FR_PAR_1}/servers?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('invalid_arguments');
    }
  });

  it('orders by creation date, newest first by default', async () => {
    emulator.seedServers(3, { name: 'agent' });
    const listed = (await send('GET', `${FR_PAR_1}/servers`)).body.servers.map(
      (server: { name: string }) => server.name,
    );
    expect(listed).toEqual(['agent-2', 'agent-1', 'agent-0']);
    const ascending = (await send('GET', `${FR_PAR_1}/servers?order=creation_date_asc`)).body.servers;
    expect(ascending.map((server: { name: string }) => server.name)).toEqual([
      'agent-0',
      'agent-1',
      'agent-2',
    ]);
    expect((await send('GET', `${FR_PAR_1}/servers?order=random`)).status).toBe(400);
  });

  it('pages 5 000 seeded servers', async () => {
    emulator.seedServers(5_000, { state: 'running', tags: ['bulk'] });
    const response = await send('GET', `${FR_PAR_1}/servers?per_page=100&page=50&tags=bulk`);
    expect(response.headers.get('x-total-count')).toBe('5000');
    expect(response.body.servers).toHaveLength(100);
    expect(emulator.leftovers().ips).toHaveLength(5_000);
  });
});

describe('GET /servers filters (§8.1)', () => {
  it('requires every listed tag, each compared as a whole string', async () => {
    emulator.seedServer({ name: 'ab-both', tags: ['a', 'b'] });
    emulator.seedServer({ name: 'a-only', tags: ['a'] });
    emulator.seedServer({ name: 'joined', tags: ['ab'] });
    emulator.seedServer({ name: 'superset', tags: ['c', 'b', 'a'] });
    emulator.seedServer({ name: 'prefix', tags: ['a-1', 'b-1'] });
    expect(await names('?tags=a,b')).toEqual(['ab-both', 'superset']);
    expect(await names('?tags=a')).toEqual(['a-only', 'ab-both', 'superset']);
    expect(await names('?tags=ab')).toEqual(['joined']);
    expect(await names('?tags=a,missing')).toEqual([]);
  });

  it('matches names partially', async () => {
    for (const name of ['agent-1', 'agent-10', 'agent-2', 'other']) emulator.seedServer({ name });
    expect(await names('?name=agent-1')).toEqual(['agent-1', 'agent-10']);
    expect(await names('?name=gent')).toEqual(['agent-1', 'agent-10', 'agent-2']);
  });

  it('filters by state, with the space of "stopped in place"', async () => {
    emulator.seedServer({ name: 'up', state: 'running' });
    emulator.seedServer({ name: 'down', state: 'stopped' });
    emulator.seedServer({ name: 'standby', state: 'stopped in place' });
    expect(await names('?state=running')).toEqual(['up']);
    expect(await names('?state=stopped%20in%20place')).toEqual(['standby']);
    expect(await names('')).toEqual(['down', 'standby', 'up']);
  });

  it('filters by project, commercial type and ids', async () => {
    const kept = emulator.seedServer({ name: 'kept', commercialType: 'DEV1-M' });
    emulator.seedServer({ name: 'small', commercialType: 'DEV1-S' });
    expect(await names(`?project=${emulator.projectId}`)).toEqual(['kept', 'small']);
    expect(await names('?commercial_type=DEV1-M')).toEqual(['kept']);
    expect(await names(`?servers=${kept.id}`)).toEqual(['kept']);
  });
});

describe('project scoping (§2.3)', () => {
  it("hides another project's servers from lists and forbids direct access", async () => {
    emulator.seedServer({ name: 'mine' });
    const foreign = emulator.seedServer({ name: 'theirs', project: OTHER_PROJECT, state: 'stopped' });
    expect(await names('')).toEqual(['mine']);
    expect(await names(`?project=${OTHER_PROJECT}`)).toEqual([]);
    const get = await send('GET', `${FR_PAR_1}/servers/${foreign.id}`);
    expect(get.status).toBe(403);
    expect(get.body).toEqual({
      details: [{ action: 'read', resource: 'server' }],
      message: 'insufficient permissions',
      type: 'permissions_denied',
    });
    expect((await action(send, foreign.id, 'poweron')).status).toBe(403);
    expect((await send('DELETE', `${FR_PAR_1}/servers/${foreign.id}`)).body.details).toEqual([
      { action: 'delete', resource: 'server' },
    ]);
    expect((await send('GET', `${FR_PAR_1}/servers/${foreign.id}/user_data`)).status).toBe(403);
    expect(emulator.getServer('fr-par-1', foreign.id)?.state).toBe('stopped');
  });
});

describe('products (§11)', () => {
  it('describes the recorded fr-par-1 types as a map keyed by commercial type', async () => {
    const response = await send('GET', `${FR_PAR_1}/products/servers`);
    const servers = response.body.servers;
    for (const name of ['DEV1-S', 'DEV1-M', 'DEV1-L', 'DEV1-XL', 'GP1-XS', 'GP1-S', 'PLAY2-NANO']) {
      expect(servers).toHaveProperty([name]);
    }
    expect(response.headers.get('x-total-count')).toBe(String(Object.keys(servers).length));
    expect(servers['DEV1-S']).toMatchObject({
      ncpus: 2,
      ram: 2 * GIB,
      arch: 'x86_64',
      volumes_constraint: { min_size: 0, max_size: 20_000_000_000 },
      hourly_price: 0.008976,
      monthly_price: 6.55,
      end_of_service: false,
    });
    expect(servers['DEV1-M']).toMatchObject({
      ncpus: 3,
      ram: 4 * GIB,
      hourly_price: 0.020196,
      monthly_price: 14.74,
    });
    expect(servers['DEV1-XL']).toMatchObject({
      ncpus: 4,
      ram: 12 * GIB,
      hourly_price: 0.065076,
      monthly_price: 47.51,
    });
    expect(servers['GP1-S']).toMatchObject({
      ncpus: 8,
      ram: 32 * GIB,
      volumes_constraint: { max_size: 300_000_000_000 },
      hourly_price: 0.19074,
      monthly_price: 139.24,
    });
    expect(servers['PLAY2-NANO']).toMatchObject({
      ncpus: 2,
      ram: 4 * GIB,
      volumes_constraint: { max_size: 0 },
      hourly_price: 0.02754,
      monthly_price: 20.1,
    });
    expect(servers['DEV1-S'].per_volume_constraint.l_ssd).toEqual({ min_size: 1e9, max_size: 800e9 });
  });

  it.each(['fr-par-3', 'nl-ams-3', 'pl-waw-3'])('omits DEV1-* from %s', async (zone) => {
    const servers = (await send('GET', `${instancePath(zone)}/products/servers`)).body.servers;
    expect(Object.keys(servers).filter((name) => name.startsWith('DEV1-'))).toEqual([]);
    expect(Object.hasOwn(servers, 'GP1-S')).toBe(zone === 'fr-par-3');
    if (zone === 'fr-par-3') expect(servers['GP1-S'].hourly_price).toBe(0.28611);
  });

  it('pages the map with X-Total-Count and Link', async () => {
    const first = await send('GET', `${FR_PAR_1}/products/servers?per_page=2`);
    const total = Number(first.headers.get('x-total-count'));
    expect(Object.keys(first.body.servers)).toHaveLength(2);
    expect(first.headers.get('link')).toBe(
      `</products/servers?page=2&per_page=2&>; rel="next",</products/servers?page=${Math.ceil(total / 2)}&per_page=2&>; rel="last"`,
    );
    const availability = await send('GET', `${FR_PAR_1}/products/servers/availability`);
    expect(availability.body.servers['DEV1-S']).toEqual({ availability: 'available' });
    expect(availability.headers.get('x-total-count')).toBe(String(total));
  });
});

describe('images (§8.2, §10.3)', () => {
  it('lists the zone images, marketplace ids included, with partial name match', async () => {
    const response = await send('GET', `${FR_PAR_1}/images?name=noble&arch=x86_64`);
    const ids = response.body.images.map((image: { id: string }) => image.id).sort();
    expect(ids).toEqual(
      [
        emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local'),
        emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_sbs'),
      ].sort(),
    );
    expect(response.headers.get('x-total-count')).toBe('2');
    expect(response.body.images[0]).toMatchObject({
      organization: '51b656e3-4865-41e8-adbc-0c45bdd780db',
      public: true,
      state: 'available',
      zone: 'fr-par-1',
    });
  });

  it('serves an image only in its zone', async () => {
    const id = emulator.marketplaceImageId('debian_bookworm', 'pl-waw-2', 'instance_sbs', 'arm64');
    const here = await send('GET', `${instancePath('pl-waw-2')}/images/${id}`);
    expect(here.body.image).toMatchObject({
      id,
      arch: 'arm64',
      root_volume: { volume_type: 'sbs_snapshot' },
    });
    const elsewhere = await send('GET', `${FR_PAR_1}/images/${id}`);
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body).toMatchObject({ resource: 'instance_image', resource_id: id });
  });
});
