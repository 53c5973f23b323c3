import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEmulatorServer } from '../src/core/server.js';
import { SCALEWAY_ZONE_IDS } from '../src/scaleway/catalog.js';
import { ScalewayEmulator } from '../src/scaleway/emulator.js';
import { scalewayRateLimitFault } from '../src/scaleway/errors.js';
import { createServer, FR_PAR_1, instancePath, type Send, scalewayClient, UUID } from './scaleway-helpers.js';

let emulator: ScalewayEmulator;
let send: Send;

beforeEach(() => {
  emulator = new ScalewayEmulator();
  send = scalewayClient(emulator);
});

describe('authentication (§2.3)', () => {
  it.each([
    ['a wrong token', 'not-the-key'],
    ['another UUID', '00000000-1111-4222-8333-444444444444'],
    ['no token', null],
  ])('answers %s with the recorded 401 body on every API', async (_case, token) => {
    for (const path of [`${FR_PAR_1}/servers`, '/marketplace/v2/local-images', '/account/v3/projects']) {
      const response = await send('GET', path, { token });
      expect(response.status).toBe(401);
      expect(response.body).toEqual({
        message: 'authentication is denied',
        method: 'api_key',
        reason: 'invalid_argument',
        type: 'denied_authentication',
      });
    }
  });

  it('accepts a configured secret key and redacts it from the request log', async () => {
    const secretKey = 'c4f1b7a2-0d3e-4f5a-8b6c-7d8e9f0a1b2c';
    emulator = new ScalewayEmulator({ secretKey });
    send = scalewayClient(emulator);
    expect((await send('GET', `${FR_PAR_1}/servers`)).status).toBe(200);
    expect(JSON.stringify(emulator.requests)).not.toContain(secretKey);
  });
});

describe('gateway behaviour', () => {
  it('stamps X-Request-Id and Server on every answer, errors and faults included', async () => {
    emulator.injectFault(scalewayRateLimitFault({ times: 1, path: '/instance/v1/zones/fr-par-1/ips' }));
    const answers = [
      await send('GET', `${FR_PAR_1}/servers`),
      await send('GET', `${FR_PAR_1}/servers`, { token: 'wrong' }),
      await send('GET', `${FR_PAR_1}/ips`),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([200, 401, 429]);
    const ids = answers.map((answer) => answer.headers.get('x-request-id'));
    for (const [index, answer] of answers.entries()) {
      expect(ids[index]).toMatch(UUID);
      expect(answer.headers.get('server')).toBe('Scaleway API Gateway (fr-par-1;edge02)');
    }
    expect(new Set(ids).size).toBe(3);
  });

  it('answers 429 with an empty body, X-Envoy-Ratelimited and no Retry-After (§7, §12)', async () => {
    const fault = emulator.injectFault(scalewayRateLimitFault({ times: 1, method: 'POST' }));
    const limited = await createServer(send, emulator);
    expect(limited.status).toBe(429);
    expect(limited.text).toBe('');
    expect(limited.headers.get('content-type')).toBeNull();
    expect(limited.headers.get('x-envoy-ratelimited')).toBe('true');
    expect(limited.headers.get('retry-after')).toBeNull();
    expect(emulator.leftovers().servers).toEqual([]);
    expect((await createServer(send, emulator)).status).toBe(201);
    expect(fault.hits).toBe(1);
  });

  it.each(['fr-par-4', 'us-east-1', 'FR-PAR-1'])(
    'answers an unknown zone %s with 404 not_found',
    async (zone) => {
      const response = await send('GET', `${instancePath(zone)}/servers`);
      expect(response.status).toBe(404);
      expect(response.body).toEqual({
        type: 'not_found',
        message: 'resource is not found',
        resource: 'zone',
        resource_id: zone,
      });
    },
  );

  it('answers 404 not_found for an unknown server', async () => {
    const id = '5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';
    for (const [method, path] of [
      ['GET', `/servers/${id}`],
      ['DELETE', `/servers/${id}`],
      ['POST', `/servers/${id}/action`],
      ['GET', `/servers/${id}/user_data`],
    ] as const) {
      const response = await send(
        method,
        `${FR_PAR_1}${path}`,
        method === 'POST' ? { json: { action: 'poweron' } } : {},
      );
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({
        type: 'not_found',
        resource: 'instance_server',
        resource_id: id,
      });
    }
  });
});

describe('user data (§9)', () => {
  const cloudInit =
    '#cloud-config\npackages:\n  - docker.io\nwrite_files:\n  - content: "é ✓ \\"quoted\\""\n';

  it('stores the raw text/plain value and serves it back raw', async () => {
    const server = emulator.seedServer({ state: 'stopped' });
    const path = `${FR_PAR_1}/servers/${server.id}/user_data`;
    const set = await send('PATCH', `${path}/cloud-init`, { text: cloudInit });
    expect(set.status).toBe(204);
    expect(set.text).toBe('');
    expect(set.headers.get('content-type')).toBe('text/plain');
    expect(emulator.userData('fr-par-1', server.id, 'cloud-init')).toBe(cloudInit);
    await send('PATCH', `${path}/another`, { text: 'x' });
    expect((await send('GET', path)).body).toEqual({ user_data: ['another', 'cloud-init'] });
    const read = await send('GET', `${path}/cloud-init`);
    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('text/plain');
    expect(read.text).toBe(cloudInit);
    expect((await send('PATCH', `${path}/cloud-init`, { text: 'replaced' })).status).toBe(204);
    expect(emulator.userData('fr-par-1', server.id, 'cloud-init')).toBe('replaced');
    const removed = await send('DELETE', `${path}/another`);
    expect(removed.status).toBe(204);
    expect(removed.headers.get('content-type')).toBe('application/json');
    expect((await send('GET', path)).body).toEqual({ user_data: ['cloud-init'] });
  });

  it('answers a missing key with 404, an empty text/plain body', async () => {
    const server = emulator.seedServer();
    const response = await send('GET', `${FR_PAR_1}/servers/${server.id}/user_data/cloud-init`);
    expect(response.status).toBe(404);
    expect(response.text).toBe('');
    expect(response.headers.get('content-type')).toBe('text/plain');
  });

  it('refuses a JSON-encoded value and stores nothing', async () => {
    const server = emulator.seedServer();
    const response = await send('PATCH', `${FR_PAR_1}/servers/${server.id}/user_data/cloud-init`, {
      json: cloudInit,
    });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('invalid_request_error');
    expect(emulator.userData('fr-par-1', server.id, 'cloud-init')).toBeUndefined();
  });
});

describe('Marketplace v2 local images (§10.1)', () => {
  const cases = SCALEWAY_ZONE_IDS.flatMap((zone) =>
    (['instance_local', 'instance_sbs'] as const).map((type) => [zone, type] as const),
  );

  it.each(cases)('resolves ubuntu_noble in %s as %s to a zone image', async (zone, type) => {
    const response = await send(
      'GET',
      `/marketplace/v2/local-images?image_label=ubuntu_noble&zone=${zone}&type=${type}`,
    );
    expect(response.status).toBe(200);
    const x86 = response.body.local_images.filter((image: { arch: string }) => image.arch === 'x86_64');
    expect(x86).toHaveLength(1);
    expect(response.body.total_count).toBe(response.body.local_images.length);
    const image = x86[0];
    expect(image).toMatchObject({ label: 'ubuntu_noble', zone, type });
    expect(image.id).toBe(emulator.marketplaceImageId('ubuntu_noble', zone, type));
    expect((await send('GET', `${instancePath(zone)}/images/${image.id}`)).body.image.id).toBe(image.id);
    if (type === 'instance_local') {
      expect(image.compatible_commercial_types).toEqual(expect.arrayContaining(['DEV1-M', 'GP1-S']));
      expect(image.compatible_commercial_types).not.toContain('PLAY2-NANO');
    } else {
      expect(image.compatible_commercial_types).toEqual(
        expect.arrayContaining(['DEV1-M', 'GP1-S', 'PLAY2-NANO']),
      );
    }
  });

  it('gives every (label, zone, type, arch) its own id', () => {
    const ids = new Set<string>();
    for (const label of ['ubuntu_noble', 'ubuntu_jammy', 'debian_bookworm']) {
      for (const zone of SCALEWAY_ZONE_IDS) {
        ids.add(emulator.marketplaceImageId(label, zone, 'instance_local'));
        ids.add(emulator.marketplaceImageId(label, zone, 'instance_sbs'));
        ids.add(emulator.marketplaceImageId(label, zone, 'instance_sbs', 'arm64'));
      }
    }
    expect(ids.size).toBe(3 * SCALEWAY_ZONE_IDS.length * 3);
    expect(new ScalewayEmulator({ seed: 42 }).marketplaceImageId('ubuntu_noble', 'fr-par-1')).toBe(
      emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1'),
    );
  });

  it('lists the three recorded variants in type order, arm64 for COPARM1 only', async () => {
    const response = await send(
      'GET',
      '/marketplace/v2/local-images?image_label=ubuntu_noble&zone=fr-par-1&order_by=type_asc',
    );
    expect(response.body.total_count).toBe(3);
    const images = response.body.local_images;
    expect(images.map((image: { type: string; arch: string }) => `${image.type}/${image.arch}`)).toEqual([
      'instance_local/x86_64',
      'instance_sbs/arm64',
      'instance_sbs/x86_64',
    ]);
    expect(images[1].compatible_commercial_types).toEqual(['COPARM1-2C-8G']);
    const single = await send('GET', `/marketplace/v2/local-images/${images[0].id}`);
    expect(single.body).toEqual(images[0]);
  });

  it('answers an unknown label with the recorded 404 body', async () => {
    const response = await send('GET', '/marketplace/v2/local-images?image_label=windows_95&zone=fr-par-1');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      message: 'resource is not found',
      resource: 'MarketplaceImage',
      resource_id: 'windows_95',
      type: 'not_found',
    });
  });

  it('lists the label catalogue', async () => {
    const response = await send('GET', '/marketplace/v2/images');
    expect(response.body.images.map((image: { label: string }) => image.label)).toEqual([
      'ubuntu_noble',
      'ubuntu_jammy',
      'debian_bookworm',
    ]);
    expect(response.body.total_count).toBe(3);
  });
});

describe('Account v3 projects (§2.3)', () => {
  it('answers the configured project bare, and 404 project_id for any other', async () => {
    const project = await send('GET', `/account/v3/projects/${emulator.projectId}`);
    expect(project.status).toBe(200);
    expect(project.body).toMatchObject({ id: emulator.projectId, organization_id: emulator.organizationId });
    const other = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';
    const missing = await send('GET', `/account/v3/projects/${other}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      message: 'resource is not found',
      resource: 'project_id',
      resource_id: other,
      type: 'not_found',
    });
  });

  it('lists projects with total_count in the body', async () => {
    const listed = await send('GET', `/account/v3/projects?organization_id=${emulator.organizationId}`);
    expect(listed.body.total_count).toBe(1);
    expect(listed.body.projects[0].id).toBe(emulator.projectId);
    const foreign = await send(
      'GET',
      '/account/v3/projects?organization_id=9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a',
    );
    expect(foreign.body).toEqual({ total_count: 0, projects: [] });
  });
});

describe('Block API list', () => {
  it('lists SBS volumes with total_count and filters by server', async () => {
    const server = emulator.seedServer({ volumeType: 'sbs_volume' });
    emulator.seedServer({ volumeType: 'sbs_volume' });
    emulator.seedServer({ volumeType: 'l_ssd' });
    const all = await send('GET', '/block/v1/zones/fr-par-1/volumes');
    expect(all.body.total_count).toBe(2);
    const mine = await send('GET', `/block/v1/zones/fr-par-1/volumes?product_resource_id=${server.id}`);
    expect(mine.body.volumes.map((volume: { id: string }) => volume.id)).toEqual([server.volumes['0']]);
  });
});

describe('transports', () => {
  it('serves real HTTP on the loopback interface', async () => {
    const server = await startEmulatorServer(emulator);
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const headers = { 'X-Auth-Token': emulator.secretKey, 'Content-Type': 'application/json' };
      const created = await fetch(`${server.url}${FR_PAR_1}/servers`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          name: 'loopback',
          commercial_type: 'DEV1-S',
          image: 'ubuntu_noble',
          project: emulator.projectId,
        }),
      });
      expect(created.status).toBe(201);
      const id = ((await created.json()) as { server: { id: string } }).server.id;
      expect(created.headers.get('location')).toBe(`${server.url}${FR_PAR_1}/servers/${id}`);
      const userData = await fetch(`${server.url}${FR_PAR_1}/servers/${id}/user_data/cloud-init`, {
        method: 'PATCH',
        headers: { 'X-Auth-Token': emulator.secretKey, 'Content-Type': 'text/plain' },
        body: '#cloud-config\n',
      });
      expect(userData.status).toBe(204);
      expect(emulator.userData('fr-par-1', id, 'cloud-init')).toBe('#cloud-config\n');
      const listed = await fetch(`${server.url}${FR_PAR_1}/servers`, { headers });
      expect(listed.headers.get('x-total-count')).toBe('1');
      expect(listed.headers.get('x-request-id')).toMatch(UUID);
    } finally {
      await server.close();
    }
  });

  describe('through msw', () => {
    const mswEmulator = new ScalewayEmulator();
    const mswServer = setupServer(...mswEmulator.handlers());
    beforeAll(() => mswServer.listen({ onUnhandledRequest: 'error' }));
    afterAll(() => mswServer.close());

    it('intercepts fetch to api.scaleway.com', async () => {
      const headers = { 'X-Auth-Token': mswEmulator.secretKey };
      const response = await fetch(
        'https://api.scaleway.com/marketplace/v2/local-images?image_label=ubuntu_noble&zone=nl-ams-1&type=instance_sbs',
        { headers },
      );
      expect(response.status).toBe(200);
      const body = (await response.json()) as { local_images: Array<{ id: string; arch: string }> };
      const x86 = body.local_images.find((image) => image.arch === 'x86_64');
      expect(x86?.id).toBe(mswEmulator.marketplaceImageId('ubuntu_noble', 'nl-ams-1'));
      const unauthorized = await fetch('https://api.scaleway.com/instance/v1/zones/nl-ams-1/servers');
      expect(unauthorized.status).toBe(401);
      expect(mswEmulator.requestCount({ path: '/marketplace/' })).toBe(1);
    });
  });
});
