import {
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  ScalewayEmulator,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProvider, isProviderError, type Provider } from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

const scaleway = new ScalewayEmulator();
const hetzner = new HetznerEmulator();
const server = setupServer(...scaleway.handlers(), ...hetzner.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  scaleway.reset();
  hetzner.reset();
});

const scw = () => createProvider(scalewayTestConfig({ zones: ['fr-par-1'] }));
const hcloud = () =>
  createProvider({ provider: 'hetzner', token: HETZNER_EMULATOR_TOKEN, retry: { baseDelayMs: 1 } });
const ID = 'fr-par-1/11111111-2222-4333-8444-555555555555';
const hetznerServer = (id: number) => ({
  id: id + 1,
  name: `s${id}`,
  status: 'running',
  created: '2026-01-01T00:00:00+00:00',
  public_net: { ipv4: null },
  server_type: { name: 'cx23' },
  datacenter: { location: { name: 'fsn1' } },
  labels: {},
});
const server200 = (server: unknown) => ({ server });
const goodServer = {
  id: '11111111-2222-4333-8444-555555555555',
  name: 'ok',
  state: 'running',
  commercial_type: 'DEV1-M',
  project: '3b8f6c2d-9a4e-4f1b-8d7c-5e2a1f9b0c64',
};

/** A body answered with 200 on every GET, and what the read must then do. */
const bodies: Array<[string, unknown, 'invalid_response' | 'ok']> = [
  ['an HTML error page', '<html><body>502 Bad Gateway</body></html>', 'invalid_response'],
  ['truncated JSON', '{"server": {"id": "1111', 'invalid_response'],
  ['an empty body', '', 'invalid_response'],
  ['JSON null', 'null', 'invalid_response'],
  ['a bare array', '[]', 'invalid_response'],
  ['a number for the id', server200({ ...goodServer, id: 7 }), 'invalid_response'],
  ['tags that are not a list', server200({ ...goodServer, tags: 'a=b' }), 'invalid_response'],
  ['a missing state', server200({ ...goodServer, state: undefined }), 'invalid_response'],
  ['a missing name', server200({ ...goodServer, name: undefined }), 'invalid_response'],
  ['volumes that are not objects', server200({ ...goodServer, volumes: { '0': 'vol' } }), 'invalid_response'],
  ['an unknown state', server200({ ...goodServer, state: 'hibernating' }), 'ok'],
  [
    'extra fields',
    server200({ ...goodServer, brand_new_field: { nested: true }, public_ips: [{ extra: 1 }] }),
    'ok',
  ],
  [
    'nulls where the API may omit',
    server200({ ...goodServer, tags: null, public_ip: null, volumes: null }),
    'ok',
  ],
];

describe('malformed responses', () => {
  it.each(bodies)('scaleway getVM with %s → %s', async (_, body, expected) => {
    scaleway.injectFault({
      method: 'GET',
      status: 200,
      body,
      headers: { 'content-type': 'application/json' },
    });
    const result = await scw()
      .getVM(ID)
      .catch((error: unknown) => error);
    if (expected === 'ok') {
      expect(result).toMatchObject({ id: ID });
      return;
    }
    expect(result).not.toBeInstanceOf(TypeError);
    expect(isProviderError(result, 'invalid_response'), String(result)).toBe(true);
  });

  const hetznerGood = { server: hetznerServer(41) };
  it.each([
    ['an HTML error page', '<html><body>502 Bad Gateway</body></html>', 'invalid_response'],
    ['truncated JSON', '{"server": {"id": 4', 'invalid_response'],
    ['an empty body', '', 'invalid_response'],
    ['a string id', { server: { ...hetznerGood.server, id: '42' } }, 'invalid_response'],
    [
      'a missing server type',
      { server: { ...hetznerGood.server, server_type: undefined } },
      'invalid_response',
    ],
    [
      'labels that are not strings',
      { server: { ...hetznerGood.server, labels: { a: 1 } } },
      'invalid_response',
    ],
    ['an unknown status', { server: { ...hetznerGood.server, status: 'hibernating' } }, 'ok'],
    ['extra fields', { server: { ...hetznerGood.server, brand_new: [1, 2] }, extra: true }, 'ok'],
  ] as const)('hetzner getVM with %s → %s', async (_, body, expected) => {
    hetzner.injectFault({ method: 'GET', status: 200, body });
    const result = await hcloud()
      .getVM('42')
      .catch((error: unknown) => error);
    if (expected === 'ok') {
      expect(result).toMatchObject({ id: '42' });
      return;
    }
    expect(isProviderError(result, 'invalid_response'), String(result)).toBe(true);
  });

  it('a create answered with a malformed 2xx looks the server up instead of leaking it', async () => {
    hetzner.injectFault({ method: 'POST', phase: 'after', status: 201, body: '{"server": {', times: 1 });
    const vm = await hcloud().createVM({
      name: 'agent',
      size: 'small',
      location: 'fsn1',
      userData: '#cloud-config',
    });
    expect(hetzner.leftovers().servers.map((item) => item.id)).toEqual([vm.id]);
    scaleway.injectFault({
      method: 'POST',
      path: /\/servers$/,
      phase: 'after',
      status: 201,
      body: '<html>',
      times: 1,
    });
    const scalewayVm = await scw().createVM({
      name: 'agent',
      size: 'small',
      location: 'fr-par-1',
      userData: '#cloud-config',
    });
    expect(scaleway.servers().map((server) => `fr-par-1/${server.id}`)).toEqual([scalewayVm.id]);
  });

  it.each([
    ['an HTML page', '<html>oops</html>'],
    ['a wrong shape', { servers: 'none' }],
    ['truncated JSON', '{"servers": [{"id": 1'],
  ])('hetzner listVMs with %s → invalid_response', async (_, body) => {
    hetzner.injectFault({ method: 'GET', status: 200, body });
    await expect(hcloud().listVMs()).rejects.toMatchObject({ category: 'invalid_response' });
  });

  it('maps an HTML 5xx page to unavailable, and a 2xx on a DELETE without reading its body', async () => {
    scaleway.injectFault({ method: 'GET', status: 502, body: '<html>Bad Gateway</html>' });
    await expect(scw().getVM(ID)).rejects.toMatchObject({ category: 'unavailable', statusCode: 502 });
  });

  describe('a list whose X-Total-Count lies', () => {
    const page = (count: number, offset = 0) => ({
      servers: Array.from({ length: count }, (_, index) => ({
        ...goodServer,
        id: `11111111-2222-4333-8444-${String(offset + index).padStart(12, '0')}`,
        name: `s${offset + index}`,
      })),
    });

    it('claims more servers than exist: fetches the claimed pages once, returns what is there', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100),
        headers: { 'x-total-count': '450' },
        times: 1,
      });
      scaleway.injectFault({ method: 'GET', status: 200, body: page(0) });
      const listed = await scw().listVMs();
      expect(listed).toHaveLength(100);
      expect(scaleway.requestCount()).toBe(5);
    });

    it('claims more servers than a short first page holds: the short page is the whole list', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(3),
        headers: { 'x-total-count': '99999' },
      });
      expect(await scw().listVMs()).toHaveLength(3);
      expect(scaleway.requestCount()).toBe(1);
    });

    it('claims fewer servers than a page holds: walks on until a short page, losing none', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100),
        headers: { 'x-total-count': '0' },
        times: 1,
      });
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100, 100),
        headers: { 'x-total-count': '0' },
        times: 1,
      });
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(20, 200),
        headers: { 'x-total-count': '0' },
        times: 1,
      });
      expect(await scw().listVMs()).toHaveLength(220);
      expect(scaleway.requestCount()).toBe(3);
    });

    it('claims fewer than exist but more than a page: fetches the claimed pages, then walks on', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100),
        headers: { 'x-total-count': '150' },
        times: 1,
      });
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100, 100),
        headers: { 'x-total-count': '150' },
        times: 1,
      });
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(20, 200),
        headers: { 'x-total-count': '150' },
        times: 1,
      });
      expect(await scw().listVMs()).toHaveLength(220);
      expect(scaleway.requestCount()).toBe(3);
    });

    it('is absent and the API ignores `page`: stops when a page brings nothing new', async () => {
      scaleway.injectFault({ method: 'GET', status: 200, body: page(100) });
      expect(await scw().listVMs()).toHaveLength(100);
      expect(scaleway.requestCount()).toBe(2);
    });

    it('is not a number: walks pages until a short one', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100),
        headers: { 'x-total-count': 'many' },
        times: 1,
      });
      scaleway.injectFault({ method: 'GET', status: 200, body: page(100, 100), times: 1 });
      scaleway.injectFault({ method: 'GET', status: 200, body: page(20, 200), times: 1 });
      expect(await scw().listVMs()).toHaveLength(220);
      expect(scaleway.requestCount()).toBe(3);
    });

    it('claims billions: refused as invalid_response instead of paging forever', async () => {
      scaleway.injectFault({
        method: 'GET',
        status: 200,
        body: page(100),
        headers: { 'x-total-count': '9999999999' },
      });
      await expect(scw().listVMs()).rejects.toMatchObject({ category: 'invalid_response' });
      expect(scaleway.requestCount()).toBe(1);
    });

    it('hetzner: an absurd last_page is refused before any further request', async () => {
      hetzner.injectFault({
        method: 'GET',
        status: 200,
        body: { servers: [], meta: { pagination: { last_page: 2 ** 32, total_entries: 1 } } },
      });
      await expect(hcloud().listVMs()).rejects.toMatchObject({ category: 'invalid_response' });
      expect(hetzner.requestCount()).toBe(1);
    });

    it('hetzner: a low last_page with a next page is walked on', async () => {
      for (const seed of [0, 50]) {
        hetzner.injectFault({
          method: 'GET',
          status: 200,
          times: 1,
          body: {
            servers: Array.from({ length: 50 }, (_, index) => hetznerServer(seed + index)),
            meta: { pagination: { last_page: 1, next_page: seed === 0 ? 2 : 3 } },
          },
        });
      }
      hetzner.injectFault({
        method: 'GET',
        status: 200,
        times: 1,
        body: { servers: [hetznerServer(100)], meta: { pagination: { last_page: 1, next_page: null } } },
      });
      expect(await hcloud().listVMs()).toHaveLength(101);
      expect(hetzner.requestCount()).toBe(3);
    });

    it('hetzner: a last_page far beyond the data is paged once, not forever', async () => {
      hetzner.injectFault({
        method: 'GET',
        status: 200,
        body: { servers: [], meta: { pagination: { last_page: 4, total_entries: 200 } } },
      });
      expect(await hcloud().listVMs()).toEqual([]);
      expect(hetzner.requestCount()).toBe(4);
    });
  });

  it('survives every malformed body on every read method without a TypeError', async () => {
    const providers: Array<[Provider, ScalewayEmulator | HetznerEmulator, string]> = [
      [scw(), scaleway, ID],
      [hcloud(), hetzner, '42'],
    ];
    for (const [provider, emulator, id] of providers) {
      for (const [, body] of bodies) {
        emulator.clearFaults();
        emulator.injectFault({ status: 200, body });
        for (const call of [
          () => provider.getVM(id),
          () => provider.listVMs(),
          () => provider.validateToken(),
        ]) {
          const outcome = await call().catch((error: unknown) => error);
          expect(outcome).not.toBeInstanceOf(TypeError);
          if (outcome instanceof Error) expect(isProviderError(outcome), String(outcome)).toBe(true);
        }
      }
    }
  });
});
