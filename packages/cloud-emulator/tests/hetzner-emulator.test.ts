import { setupServer } from 'msw/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HETZNER_EMULATOR_IMAGES,
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  startEmulatorServer,
} from '../src/index.js';

const BASE = 'https://api.hetzner.cloud/v1';
const auth = { Authorization: `Bearer ${HETZNER_EMULATOR_TOKEN}` };

let emulator: HetznerEmulator;
beforeEach(() => {
  emulator = new HetznerEmulator({ clock: { mode: 'manual' } });
});

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await emulator.fetch(
    new Request(`${BASE}${path}`, {
      method,
      headers: { ...headers, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const text = await response.text();
  return {
    status: response.status,
    body: (text === '' ? undefined : JSON.parse(text)) as Record<string, any>,
  };
}

const create = (overrides: Record<string, unknown> = {}) =>
  call('POST', '/servers', {
    name: 'agent-1',
    server_type: 'cx23',
    image: 'ubuntu-24.04',
    location: 'fsn1',
    user_data: '#cloud-config\n',
    labels: { team: 'a' },
    ...overrides,
  });

describe('HetznerEmulator', () => {
  it('rejects a missing or wrong token with 401 unauthorized', async () => {
    const wrong = await call('GET', '/servers', undefined, { Authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await call('GET', '/servers', undefined, {})).status).toBe(401);
  });

  it('creates a server that boots through initializing and starting to running, with its IP at once', async () => {
    const created = await create();
    expect(created.status).toBe(201);
    expect(created.body.server).toMatchObject({
      name: 'agent-1',
      status: 'initializing',
      labels: { team: 'a' },
    });
    expect(created.body.server.public_net.ipv4.ip).toMatch(/^203\.0\./);
    const id = created.body.server.id as number;
    emulator.clock.advance(1_500);
    expect((await call('GET', `/servers/${id}`)).body.server.status).toBe('starting');
    emulator.clock.settle();
    expect((await call('GET', `/servers/${id}`)).body.server.status).toBe('running');
    expect(emulator.server(id)?.userData).toBe('#cloud-config\n');
  });

  it.each([
    [{ name: 'bad name!' }, 'invalid_input'],
    [{ server_type: undefined }, 'invalid_input'],
    [{ image: '' }, 'invalid_input'],
    [{ labels: { key: 'bad value!' } }, 'invalid_input'],
    [{ labels: 'nope' }, 'invalid_input'],
    [{ user_data: 'x'.repeat(33 * 1024) }, 'invalid_input'],
    [{ server_type: 'cx999' }, 'invalid_input'],
    [{ location: 'ash' }, 'invalid_input'],
    [{ image: 'windows-11' }, 'invalid_input'],
    [{ image: 1 }, 'invalid_input'],
    [{ image: 1.5 }, 'invalid_input'],
  ])('rejects %j with %s', async (overrides, code) => {
    const response = await create(overrides);
    expect(response.body.error.code).toBe(code);
    expect(emulator.leftovers().servers).toEqual([]);
  });

  describe('image catalog', () => {
    it('accepts the docker-ce app image and renders it from the catalog', async () => {
      const created = await create({ image: 'docker-ce' });
      expect(created.status).toBe(201);
      const rendered = {
        id: 40093247,
        name: 'docker-ce',
        type: 'app',
        os_flavor: 'ubuntu',
        os_version: 'unknown',
        description: 'docker-ce',
      };
      expect(created.body.server.image).toEqual(rendered);
      const id = created.body.server.id as number;
      expect((await call('GET', `/servers/${id}`)).body.server.image).toEqual(rendered);
      expect(emulator.server(id)?.image).toBe('docker-ce');
    });

    it('renders a system image with its id, flavour, version and description', async () => {
      const created = await create({ image: 'debian-12' });
      expect(created.body.server.image).toEqual({
        id: 114690387,
        name: 'debian-12',
        type: 'system',
        os_flavor: 'debian',
        os_version: '12',
        description: 'Debian 12',
      });
    });

    it.each(HETZNER_EMULATOR_IMAGES.map((image) => [image.name, image] as const))(
      'accepts %s by name, by numeric id and by id as a string',
      async (_name, image) => {
        for (const [index, reference] of [image.name, image.id, String(image.id)].entries()) {
          const created = await create({ name: `agent-${index}`, image: reference });
          expect(created.status).toBe(201);
          expect(created.body.server.image).toEqual(image);
          expect(emulator.server(created.body.server.id)?.image).toBe(image.name);
        }
      },
    );

    it('refuses an unknown image name or id with 400 invalid_input "image not found", creating nothing', async () => {
      for (const image of ['ubuntu-99.04', 'Ubuntu-24.04', 424242, '424242']) {
        const refused = await create({ image });
        expect(refused.status).toBe(400);
        expect(refused.body).toEqual({
          error: { code: 'invalid_input', message: 'image not found', details: {} },
        });
      }
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
      expect((await create()).status).toBe(201);
    });

    it('seeds servers with a catalog image by id, and renders an image outside the catalog minimally', async () => {
      expect(emulator.seedServer({ image: '67794396' }).image).toBe('ubuntu-22.04');
      const custom = emulator.seedServer({ image: 'my-snapshot' });
      expect((await call('GET', `/servers/${custom.id}`)).body.server.image).toEqual({
        id: 0,
        name: 'my-snapshot',
        type: 'system',
        os_flavor: 'unknown',
        os_version: null,
        description: 'my-snapshot',
      });
    });
  });

  it('rejects invalid JSON, duplicate names and creates beyond the limit', async () => {
    const invalid = await emulator.fetch(
      new Request(`${BASE}/servers`, { method: 'POST', headers: auth, body: '{not json' }),
    );
    expect(invalid.status).toBe(400);
    await create();
    expect((await create()).body.error.code).toBe('uniqueness_error');
    const limited = new HetznerEmulator({ serverLimit: 0 });
    const response = await limited.fetch(
      new Request(`${BASE}/servers`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: 'a', server_type: 'cx23', image: 'ubuntu-24.04' }),
      }),
    );
    expect(response.status).toBe(403);
  });

  it('paginates with meta.pagination and filters by label selector', async () => {
    for (let index = 0; index < 30; index++) {
      emulator.seedServer({ labels: index % 3 === 0 ? { team: 'a', role: 'x' } : { team: 'b' } });
    }
    const page = await call('GET', '/servers?per_page=25&page=2');
    expect(page.body.servers).toHaveLength(5);
    expect(page.body.meta.pagination).toMatchObject({
      page: 2,
      last_page: 2,
      total_entries: 30,
      previous_page: 1,
    });
    const capped = await call('GET', '/servers?per_page=500');
    expect(capped.body.servers).toHaveLength(30);
    expect(capped.body.meta.pagination.per_page).toBe(50);
    const selected = async (selector: string) =>
      (await call('GET', `/servers?label_selector=${encodeURIComponent(selector)}`)).body.meta.pagination
        .total_entries;
    expect(await selected('team=a,role=x')).toBe(10);
    expect(await selected('team==b')).toBe(20);
    expect(await selected('team!=a')).toBe(20);
    expect(await selected('role')).toBe(10);
    expect(await selected('!role')).toBe(20);
    expect((await call('GET', `/servers?label_selector=${encodeURIComponent('bad key!')}`)).status).toBe(400);
  });

  it('powers off and on through stopping and starting, and deletes in any state', async () => {
    const server = emulator.seedServer({ status: 'running' });
    expect((await call('POST', `/servers/${server.id}/actions/poweroff`)).status).toBe(201);
    expect(emulator.server(server.id)?.status).toBe('stopping');
    emulator.clock.settle();
    expect(emulator.server(server.id)?.status).toBe('off');
    await call('POST', `/servers/${server.id}/actions/poweron`);
    expect(emulator.server(server.id)?.status).toBe('starting');
    await call('POST', `/servers/${server.id}/actions/reboot`);
    emulator.clock.settle();
    expect(emulator.server(server.id)?.status).toBe('running');
    expect((await call('POST', `/servers/${server.id}/actions/explode`)).status).toBe(404);
    expect((await call('POST', '/servers/1/actions/poweron')).status).toBe(404);
    expect(emulator.leftovers().ips).toHaveLength(1);
    expect((await call('DELETE', `/servers/${server.id}`)).status).toBe(200);
    expect((await call('DELETE', `/servers/${server.id}`)).status).toBe(404);
    expect((await call('GET', `/servers/${server.id}`)).status).toBe(404);
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('ignores transitions superseded by a newer action or a delete', async () => {
    const server = emulator.seedServer({ status: 'off' });
    await call('POST', `/servers/${server.id}/actions/poweron`);
    await call('POST', `/servers/${server.id}/actions/poweroff`);
    emulator.clock.settle();
    expect(emulator.server(server.id)?.status).toBe('off');
    await call('POST', `/servers/${server.id}/actions/poweron`);
    await call('DELETE', `/servers/${server.id}`);
    expect(emulator.clock.settle()).toBe(1);
    expect(emulator.server(server.id)).toBeUndefined();
  });

  it('logs requests with the token redacted and counts them by method and path', async () => {
    await create();
    await call('GET', '/servers');
    expect(emulator.requests[0]).toMatchObject({ method: 'POST', path: '/v1/servers', status: 201 });
    expect(emulator.requests[0]?.headers.authorization).toBe('[REDACTED]');
    expect(JSON.stringify(emulator.requests)).not.toContain(HETZNER_EMULATOR_TOKEN);
    expect(emulator.requestCount({ method: 'get' })).toBe(1);
    expect(emulator.requestCount({ path: /^\/v1\/servers$/ })).toBe(2);
    emulator.clearRequests();
    expect(emulator.requestCount()).toBe(0);
  });

  it('injects status, body, header, latency and phase-after faults', async () => {
    emulator.injectFault({
      method: 'GET',
      status: 429,
      headers: { 'retry-after': '1' },
      times: 1,
      label: 'throttle',
    });
    const throttled = await emulator.fetch(new Request(`${BASE}/servers`, { headers: auth }));
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(emulator.requests.at(-1)?.fault).toBe('throttle');
    emulator.injectFault({
      method: 'POST',
      status: 500,
      body: { error: { code: 'server_error' } },
      phase: 'after',
    });
    const response = await create();
    expect(response.status).toBe(500);
    expect(emulator.leftovers().servers).toHaveLength(1);
    emulator.clearFaults();
    emulator.injectFault({ method: 'GET', delayMs: 5, times: 1 });
    emulator.setLatency(1);
    expect((await call('GET', '/servers')).status).toBe(200);
    expect(emulator.requests.at(-1)?.fault).toBe('delay 5 ms');
  });

  it('turns a dropped connection into a network error, through msw too', async () => {
    emulator.injectFault({ method: 'GET', drop: true, times: 1 });
    const server = setupServer(...emulator.handlers());
    server.listen({ onUnhandledRequest: 'error' });
    try {
      await expect(fetch(`${BASE}/servers`, { headers: auth })).rejects.toThrow(TypeError);
      expect((await fetch(`${BASE}/servers`, { headers: auth })).status).toBe(200);
    } finally {
      server.close();
    }
  });

  describe('over loopback HTTP', () => {
    let close: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await close?.();
    });

    it('serves the same emulator on 127.0.0.1 and drops connections for real', async () => {
      const server = await startEmulatorServer(emulator);
      close = server.close;
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const created = await fetch(`${server.url}/v1/servers`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'loop', server_type: 'cx23', image: 'ubuntu-24.04' }),
      });
      expect(created.status).toBe(201);
      expect(emulator.leftovers().servers).toHaveLength(1);
      emulator.injectFault({ method: 'GET', drop: true, times: 1 });
      await expect(fetch(`${server.url}/v1/servers`, { headers: auth })).rejects.toThrow(TypeError);
      expect((await fetch(`${server.url}/v2/nothing`)).status).toBe(404);
    });
  });

  it('resets to an empty state', async () => {
    await create();
    emulator.injectFault({ status: 500 });
    emulator.reset();
    expect(emulator.leftovers().servers).toEqual([]);
    expect(emulator.requests).toEqual([]);
    expect((await call('GET', '/servers')).status).toBe(200);
  });
});
