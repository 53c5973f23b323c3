import { beforeEach, describe, expect, it } from 'vitest';
import { SCALEWAY_ZONE_IDS } from '../src/scaleway/catalog.js';
import { ScalewayEmulator } from '../src/scaleway/emulator.js';
import {
  type ApiResponse,
  action,
  createServer,
  FR_PAR_1,
  INSTANCE_DATE,
  instancePath,
  type Send,
  scalewayClient,
  UUID,
} from './scaleway-helpers.js';

const GB = 1_000_000_000;

/** Every key of the recorded create response (docs/scaleway-api.md §3, "Minimal faithful example"). */
const RECORDED_SERVER_KEYS = [
  'id',
  'name',
  'arch',
  'commercial_type',
  'boot_type',
  'organization',
  'project',
  'hostname',
  'image',
  'volumes',
  'tags',
  'state',
  'protected',
  'state_detail',
  'public_ip',
  'public_ips',
  'mac_address',
  'routed_ip_enabled',
  'ipv6',
  'extra_networks',
  'dynamic_ip_required',
  'enable_ipv6',
  'private_ip',
  'creation_date',
  'modification_date',
  'bootscript',
  'security_group',
  'location',
  'maintenances',
  'allowed_actions',
  'placement_group',
  'private_nics',
  'zone',
  'filesystems',
  'end_of_service',
];

let emulator: ScalewayEmulator;
let send: Send;

beforeEach(() => {
  emulator = new ScalewayEmulator();
  send = scalewayClient(emulator);
});

async function createdId(response: Promise<ApiResponse>): Promise<string> {
  const created = await response;
  expect(created.status).toBe(201);
  return created.body.server.id as string;
}

describe('POST /servers', () => {
  it('answers 201 with Location and a stopped server in the recorded shape', async () => {
    const response = await createServer(send, emulator, { tags: ['sam', 'agent'] });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/json');
    const server = response.body.server;
    expect(response.headers.get('location')).toBe(`https://api.scaleway.com${FR_PAR_1}/servers/${server.id}`);
    for (const key of RECORDED_SERVER_KEYS) expect(server).toHaveProperty(key);
    expect(server).toMatchObject({
      name: 'agent-1',
      hostname: 'agent-1',
      commercial_type: 'DEV1-S',
      arch: 'x86_64',
      boot_type: 'local',
      organization: emulator.projectId,
      project: emulator.projectId,
      tags: ['sam', 'agent'],
      state: 'stopped',
      state_detail: '',
      allowed_actions: ['poweron', 'backup'],
      dynamic_ip_required: true,
      routed_ip_enabled: true,
      public_ip: null,
      public_ips: [],
      private_ip: null,
      ipv6: null,
      location: null,
      protected: false,
      zone: 'fr-par-1',
      security_group: { name: 'Default security group' },
      end_of_service: false,
      dns: `${server.id}.pub.instances.scw.cloud`,
    });
    expect(server.id).toMatch(UUID);
    expect(server.creation_date).toMatch(INSTANCE_DATE);
    expect(server.mac_address).toMatch(/^de:00:00(:[0-9a-f]{2}){3}$/);
  });

  it('resolves a label to the zone SBS image by default and creates a 10 GB SBS root (§4.2, §10.2)', async () => {
    const server = (await createServer(send, emulator)).body.server;
    expect(server.image.id).toBe(emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_sbs'));
    expect(server.image.root_volume).toMatchObject({ volume_type: 'sbs_snapshot', size: 0, name: '' });
    // §3: an SBS VolumeServer has only these five fields.
    const root = server.volumes['0'];
    expect(Object.keys(root).sort()).toEqual(['boot', 'id', 'state', 'volume_type', 'zone']);
    expect(root.volume_type).toBe('sbs_volume');
    const block = await send('GET', `/block/v1/zones/fr-par-1/volumes/${root.id}`);
    expect(block.body).toMatchObject({
      id: root.id,
      size: 10 * GB,
      type: 'sbs_5k',
      status: 'in_use',
      references: [{ product_resource_type: 'instance_server', product_resource_id: server.id }],
    });
  });

  it.each([
    ['DEV1-M', 40],
    ['GP1-XS', 150],
  ])(
    'gives %s from a local image an l_ssd root at its local maximum (%i GB)',
    async (commercialType, size) => {
      const image = emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local');
      const server = (await createServer(send, emulator, { commercial_type: commercialType, image })).body
        .server;
      expect(server.image.id).toBe(image);
      expect(server.volumes['0']).toMatchObject({
        volume_type: 'l_ssd',
        size: size * GB,
        server: { id: server.id, name: 'agent-1' },
        export_uri: null,
        state: 'available',
      });
      const local = await send('GET', `${FR_PAR_1}/volumes/${server.volumes['0'].id}`);
      expect(local.body.volume).toMatchObject({ volume_type: 'l_ssd', server: { id: server.id } });
    },
  );

  it('picks the local image for a label when the root volume asks for l_ssd', async () => {
    const server = (
      await createServer(send, emulator, {
        commercial_type: 'DEV1-M',
        volumes: { '0': { volume_type: 'l_ssd' } },
      })
    ).body.server;
    expect(server.image.id).toBe(emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local'));
    expect(server.volumes['0'].volume_type).toBe('l_ssd');
  });

  it('derives the hostname from the name (§3)', async () => {
    const server = (await createServer(send, emulator, { name: 'TestAcc_Private_NIC' })).body.server;
    expect(server.hostname).toBe('testacc-private-nic');
  });

  it('answers the recorded invalid_arguments body when commercial_type, image and volumes are missing', async () => {
    const response = await send('POST', `${FR_PAR_1}/servers`, {
      json: { name: 'srv', project: emulator.projectId },
    });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      type: 'invalid_arguments',
      message: 'invalid argument(s)',
      details: [
        { argument_name: 'commercial_type', reason: 'required', help_message: 'required key not provided' },
        { argument_name: 'image', reason: 'required', help_message: 'required key not provided' },
        { argument_name: 'volumes', reason: 'required', help_message: 'required key not provided' },
      ],
    });
  });

  it.each([
    ['an unknown type', 'DEV9-XXL', 'fr-par-1'],
    ['DEV1-S where DEV1 is absent', 'DEV1-S', 'fr-par-3'],
    ['DEV1-M where DEV1 is absent', 'DEV1-M', 'nl-ams-3'],
    ['GP1-S where GP1-S is absent', 'GP1-S', 'pl-waw-3'],
  ])('refuses %s with 400 invalid_arguments', async (_case, commercialType, zone) => {
    const response = await createServer(send, emulator, { commercial_type: commercialType }, zone);
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('invalid_arguments');
    expect(response.body.details[0]).toMatchObject({
      argument_name: 'commercial_type',
      reason: 'constraint',
    });
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('accepts GP1-S in fr-par-3 and PLAY2-NANO in it-mil-1', async () => {
    expect((await createServer(send, emulator, { commercial_type: 'GP1-S' }, 'fr-par-3')).status).toBe(201);
    expect((await createServer(send, emulator, { commercial_type: 'PLAY2-NANO' }, 'it-mil-1')).status).toBe(
      201,
    );
  });

  it('answers 404 instance_image for an unknown UUID or an image of another zone (§4.1)', async () => {
    const unknown = '8b6b0d6d-0c1e-4a7a-9e8f-2f0e8c3c1a11';
    const response = await createServer(send, emulator, { image: unknown });
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      type: 'not_found',
      message: 'resource is not found',
      resource: 'instance_image',
      resource_id: unknown,
    });
    const elsewhere = emulator.marketplaceImageId('ubuntu_noble', 'nl-ams-1');
    const other = await createServer(send, emulator, { image: elsewhere });
    expect(other.status).toBe(404);
    expect(other.body.resource_id).toBe(elsewhere);
  });

  it('refuses an image the type cannot boot and an SBS root from a local image (§4.1)', async () => {
    const local = emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local');
    const play = await createServer(send, emulator, { commercial_type: 'PLAY2-NANO', image: local });
    expect(play.status).toBe(400);
    expect(play.body.details[0].argument_name).toBe('image');
    const mixed = await createServer(send, emulator, {
      commercial_type: 'DEV1-M',
      image: local,
      volumes: { '0': { volume_type: 'sbs_volume' } },
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body).toEqual({
      type: 'invalid_request_error',
      message: 'cannot create a volume of type sbs_volume from a base of type unified',
    });
  });

  it('refuses local volumes beyond the type limit', async () => {
    const response = await createServer(send, emulator, {
      commercial_type: 'DEV1-S',
      volumes: { '0': { volume_type: 'l_ssd', size: 30 * GB } },
    });
    expect(response.status).toBe(400);
    expect(response.body.type).toBe('invalid_request_error');
  });

  it('lists flexible IPs at once and keeps them through DELETE (§4.2, §6.1)', async () => {
    const ip = (
      await send('POST', `${FR_PAR_1}/ips`, { json: { project: emulator.projectId, type: 'routed_ipv4' } })
    ).body.ip;
    expect(ip).toMatchObject({ state: 'detached', server: null, type: 'routed_ipv4' });
    const server = (await createServer(send, emulator, { public_ips: [ip.id] })).body.server;
    expect(server.public_ips).toEqual([
      expect.objectContaining({ id: ip.id, address: ip.address, dynamic: false, state: 'attached' }),
    ]);
    expect(server.public_ip.id).toBe(ip.id);
    expect((await send('DELETE', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(204);
    const after = await send('GET', `${FR_PAR_1}/ips/${ip.id}`);
    expect(after.body.ip).toMatchObject({ server: null, state: 'detached' });
    expect(emulator.leftovers().ips).toEqual([expect.objectContaining({ id: ip.id, orphaned: true })]);
    expect((await send('DELETE', `${FR_PAR_1}/ips/${ip.id}`)).status).toBe(204);
  });

  it('answers 404 instance_ip for an unknown flexible IP', async () => {
    const response = await createServer(send, emulator, {
      public_ips: ['1d1e7b0a-3a4b-4c5d-8e9f-0a1b2c3d4e5f'],
    });
    expect(response.status).toBe(404);
    expect(response.body.resource).toBe('instance_ip');
  });

  it('refuses a server beyond the quota with 403 quotas_exceeded', async () => {
    emulator = new ScalewayEmulator({ quota: { servers: 2 } });
    send = scalewayClient(emulator);
    await createdId(createServer(send, emulator));
    await createdId(createServer(send, emulator));
    const refused = await createServer(send, emulator);
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({
      type: 'quotas_exceeded',
      message: 'quota(s) exceeded for this resource',
      details: [{ resource: 'instance_server', quota: 2, current: 2, project_id: emulator.projectId }],
    });
    expect(emulator.leftovers().servers).toHaveLength(2);
  });

  it('refuses volumes beyond the quota', async () => {
    emulator = new ScalewayEmulator({ quota: { volumes: 1 } });
    send = scalewayClient(emulator);
    await createdId(createServer(send, emulator));
    const refused = await createServer(send, emulator);
    expect(refused.status).toBe(403);
    expect(refused.body.details[0]).toMatchObject({ resource: 'instance_volume', quota: 1, current: 1 });
  });

  it('refuses to create in another project with 403 permissions_denied', async () => {
    const response = await createServer(send, emulator, { project: '0e4cb2a4-7f0c-4b6a-9d53-5cf4d6e0a9b1' });
    expect(response.status).toBe(403);
    expect(response.body.type).toBe('permissions_denied');
  });
});

describe('DELETE /servers/{id}', () => {
  it('refuses a running server with the recorded body', async () => {
    const server = emulator.seedServer({ state: 'running' });
    const response = await send('DELETE', `${FR_PAR_1}/servers/${server.id}`);
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      type: 'invalid_request_error',
      message: 'instance should be powered off',
    });
    expect(emulator.getServer('fr-par-1', server.id)).toBeDefined();
  });

  it.each(['stopped in place', 'starting', 'stopping'] as const)('refuses a %s server', async (state) => {
    emulator = new ScalewayEmulator({ clock: { mode: 'manual' } });
    send = scalewayClient(emulator);
    const server = emulator.seedServer({ state });
    const response = await send('DELETE', `${FR_PAR_1}/servers/${server.id}`);
    expect(response.status).toBe(400);
    expect(response.body.message).toBe('instance should be powered off');
  });

  it('deletes a stopped server with 204 and leaves its l_ssd volume behind with server null (§6.1)', async () => {
    const server = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const volumeId = server.volumes['0'] ?? '';
    const response = await send('DELETE', `${FR_PAR_1}/servers/${server.id}`);
    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(response.headers.get('content-type')).toBe('application/json');
    const gone = await send('GET', `${FR_PAR_1}/servers/${server.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toEqual({
      type: 'not_found',
      message: 'resource is not found',
      resource: 'instance_server',
      resource_id: server.id,
    });
    const volume = await send('GET', `${FR_PAR_1}/volumes/${volumeId}`);
    expect(volume.body.volume).toMatchObject({ id: volumeId, server: null, volume_type: 'l_ssd' });
    expect(emulator.inventory()).toEqual([
      expect.objectContaining({ kind: 'volume', id: volumeId, server: null, orphaned: true }),
    ]);
    expect((await send('DELETE', `${FR_PAR_1}/volumes/${volumeId}`)).status).toBe(204);
    expect(emulator.inventory()).toEqual([]);
  });

  it('leaves an SBS root available with no references (§6.1)', async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const volumeId = server.volumes['0'] ?? '';
    expect((await send('DELETE', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(204);
    const block = await send('GET', `/block/v1/zones/fr-par-1/volumes/${volumeId}`);
    expect(block.body).toMatchObject({ status: 'available', references: [] });
    expect(block.body.last_detached_at).not.toBeNull();
    expect((await send('DELETE', `/block/v1/zones/fr-par-1/volumes/${volumeId}`)).status).toBe(204);
    expect((await send('GET', `/block/v1/zones/fr-par-1/volumes/${volumeId}`)).status).toBe(404);
  });

  it('refuses to delete attached volumes: 400 for l_ssd, 412 resource_still_in_use for SBS', async () => {
    const local = emulator.seedServer({ state: 'stopped', volumeType: 'l_ssd' });
    const localResponse = await send('DELETE', `${FR_PAR_1}/volumes/${local.volumes['0']}`);
    expect(localResponse.status).toBe(400);
    expect(localResponse.body.type).toBe('invalid_request_error');
    const block = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const blockResponse = await send('DELETE', `/block/v1/zones/fr-par-1/volumes/${block.volumes['0']}`);
    expect(blockResponse.status).toBe(412);
    expect(blockResponse.body).toMatchObject({
      type: 'precondition_failed',
      precondition: 'resource_still_in_use',
    });
  });

  it('serves SBS volumes only through the Block API and local ones only through Instance', async () => {
    const local = emulator.seedServer({ volumeType: 'l_ssd' });
    const block = emulator.seedServer({ volumeType: 'sbs_volume' });
    expect((await send('GET', `${FR_PAR_1}/volumes/${block.volumes['0']}`)).body.resource).toBe(
      'instance_volume',
    );
    expect((await send('GET', `/block/v1/zones/fr-par-1/volumes/${local.volumes['0']}`)).status).toBe(404);
    expect((await send('GET', `/block/v1alpha1/zones/fr-par-1/volumes/${block.volumes['0']}`)).status).toBe(
      200,
    );
  });
});

describe('terminate', () => {
  it('deletes l_ssd volumes and the dynamic IP with the server (§6.2)', async () => {
    const server = emulator.seedServer({ state: 'running', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    expect(emulator.leftovers().ips).toHaveLength(1);
    expect((await action(send, server.id, 'terminate')).status).toBe(202);
    expect((await send('GET', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(404);
    expect((await send('GET', `${FR_PAR_1}/volumes/${server.volumes['0']}`)).status).toBe(404);
    expect(emulator.inventory()).toEqual([]);
  });

  it('only detaches SBS volumes and flexible IPs (§6.2)', async () => {
    const server = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const ip = emulator.seedFlexibleIp({ serverId: server.id });
    expect((await action(send, server.id, 'terminate')).status).toBe(202);
    const block = await send('GET', `/block/v1/zones/fr-par-1/volumes/${server.volumes['0']}`);
    expect(block.body).toMatchObject({ status: 'available', references: [] });
    const leftovers = emulator.leftovers();
    expect(leftovers.servers).toEqual([]);
    expect(leftovers.volumes).toEqual([expect.objectContaining({ id: server.volumes['0'], orphaned: true })]);
    expect(leftovers.ips).toEqual([expect.objectContaining({ id: ip.id, orphaned: true })]);
  });
});

describe('PATCH /servers/{id}', () => {
  it('updates name and tags, and a protected server refuses deletion', async () => {
    const id = await createdId(createServer(send, emulator));
    const patched = await send('PATCH', `${FR_PAR_1}/servers/${id}`, {
      json: { name: 'renamed', tags: ['x'], protected: true },
    });
    expect(patched.body.server).toMatchObject({ name: 'renamed', tags: ['x'], protected: true });
    expect((await send('DELETE', `${FR_PAR_1}/servers/${id}`)).status).toBe(400);
    await send('PATCH', `${FR_PAR_1}/servers/${id}`, { json: { protected: false } });
    expect((await send('DELETE', `${FR_PAR_1}/servers/${id}`)).status).toBe(204);
  });
});

describe('zones', () => {
  it('serves all ten zones and keeps servers apart per zone', async () => {
    const zones = [...SCALEWAY_ZONE_IDS];
    for (const zone of zones) {
      const response = await createServer(send, emulator, { commercial_type: 'PLAY2-NANO' }, zone);
      expect(response.status).toBe(201);
      expect(response.body.server.zone).toBe(zone);
      const other = await send(
        'GET',
        `${instancePath(zone === 'fr-par-1' ? 'fr-par-2' : 'fr-par-1')}/servers/${response.body.server.id}`,
      );
      expect(other.status).toBe(404);
    }
  });
});
