import { beforeEach, describe, expect, it } from 'vitest';
import { SCALEWAY_BLOCK_VOLUME_DELAYS } from '../src/scaleway/block-volumes.js';
import { ScalewayEmulator, type ScalewayEmulatorOptions } from '../src/scaleway/emulator.js';
import type { ScalewayServerRecord } from '../src/scaleway/records.js';
import { SCALEWAY_MAX_SERVER_VOLUMES } from '../src/scaleway/server-volumes.js';
import { SCALEWAY_TRANSITION_DELAYS } from '../src/scaleway/servers.js';
import { action, FR_PAR_1, instancePath, type Send, scalewayClient } from './scaleway-helpers.js';

const GB = 1_000_000_000;
const UNKNOWN_ID = '5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b';

let emulator: ScalewayEmulator;
let send: Send;

function start(options: ScalewayEmulatorOptions = {}): void {
  emulator = new ScalewayEmulator({ clock: { mode: 'manual' }, ...options });
  send = scalewayClient(emulator);
}

beforeEach(() => start());

const attach = (server: ScalewayServerRecord, json: Record<string, unknown>, zone = server.zone) =>
  send('POST', `${instancePath(zone)}/servers/${server.id}/attach-volume`, { json });
const attachBlock = (server: ScalewayServerRecord, volumeId: string) =>
  attach(server, { volume_id: volumeId, volume_type: 'sbs_volume' });
const detach = (server: ScalewayServerRecord, volumeId: string) =>
  send('POST', `${instancePath(server.zone)}/servers/${server.id}/detach-volume`, {
    json: { volume_id: volumeId },
  });
const blockVolume = async (id: string, zone = 'fr-par-1') =>
  (await send('GET', `/block/v1/zones/${zone}/volumes/${id}`)).body;
const serverVolumes = async (server: ScalewayServerRecord) =>
  (await send('GET', `${instancePath(server.zone)}/servers/${server.id}`)).body.server.volumes;

/** A stopped SBS server (root at "0") and a detached data volume. */
function stoppedServerAndVolume(tags: string[] = ['sam', 'env=test']) {
  const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
  const volume = emulator.seedBlockVolume({ name: 'data', size: 20 * GB, tags });
  return { server, volume };
}

describe('attach-volume (§15.9)', () => {
  it('answers 200 {server} with the volume under the next free key, reference attaching → attached', async () => {
    const { server, volume } = stoppedServerAndVolume();
    const response = await attachBlock(server, volume.id);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['server']);
    const entry = response.body.server.volumes['1'];
    expect(Object.keys(entry)).toEqual(['boot', 'volume_type', 'id', 'state', 'zone']);
    expect(entry).toEqual({
      boot: false,
      volume_type: 'sbs_volume',
      id: volume.id,
      state: 'attaching',
      zone: 'fr-par-1',
    });
    expect(response.body.server.volumes['0'].id).toBe(server.volumes['0']);

    const attaching = await blockVolume(volume.id);
    expect(attaching.status).toBe('in_use');
    expect(attaching.references).toEqual([
      expect.objectContaining({
        product_resource_type: 'instance_server',
        product_resource_id: server.id,
        type: 'exclusive',
        status: 'attaching',
      }),
    ]);
    emulator.clock.advance(SCALEWAY_BLOCK_VOLUME_DELAYS.attach - 1);
    expect((await blockVolume(volume.id)).references[0].status).toBe('attaching');
    emulator.clock.advance(1);
    expect((await blockVolume(volume.id)).references[0].status).toBe('attached');
    expect((await serverVolumes(server))['1'].state).toBe('available');
    expect(emulator.leftovers().volumes.find((item) => item.id === volume.id)).toMatchObject({
      server: server.id,
      orphaned: false,
    });
  });

  it('attaches to a running server (hot-plug) and honours boot: true', async () => {
    const server = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const volume = emulator.seedBlockVolume();
    const response = await attach(server, { volume_id: volume.id, volume_type: 'sbs_volume', boot: true });
    expect(response.status).toBe(200);
    expect(response.body.server.volumes['1']).toMatchObject({ boot: true, id: volume.id });
    expect(response.body.server.volumes['0'].boot).toBe(false);
  });

  it('keeps the other keys on detach and fills the lowest free key next (UNCONFIRMED)', async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const [first, second, third] = [0, 1, 2].map(() => emulator.seedBlockVolume());
    await attachBlock(server, first?.id ?? '');
    await attachBlock(server, second?.id ?? '');
    emulator.clock.settle();
    const detached = await detach(server, first?.id ?? '');
    expect(Object.keys(detached.body.server.volumes)).toEqual(['0', '2']);
    emulator.clock.settle();
    const again = await attachBlock(server, third?.id ?? '');
    expect(again.body.server.volumes['1'].id).toBe(third?.id);
  });

  it('infers the volume type when volume_type is left out', async () => {
    const { server, volume } = stoppedServerAndVolume();
    const response = await attach(server, { volume_id: volume.id });
    expect(response.body.server.volumes['1'].volume_type).toBe('sbs_volume');
  });

  it(`allows at most ${SCALEWAY_MAX_SERVER_VOLUMES} volumes per server, the boot volume included`, async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    for (let index = 1; index < SCALEWAY_MAX_SERVER_VOLUMES; index++) {
      const response = await attachBlock(server, emulator.seedBlockVolume().id);
      expect(response.status).toBe(200);
    }
    expect(Object.keys(server.volumes)).toHaveLength(16);
    const extra = emulator.seedBlockVolume();
    const refused = await attachBlock(server, extra.id);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      type: 'invalid_arguments',
      message: 'invalid argument(s)',
      details: [
        {
          argument_name: 'volume_id',
          reason: 'constraint',
          help_message: 'a server can have at most 16 volumes, the boot volume included',
        },
      ],
    });
    expect((await blockVolume(extra.id)).status).toBe('available');
  });

  it('refuses more than 16 volumes in a server create too', async () => {
    const volumes: Record<string, unknown> = {};
    for (let index = 1; index <= SCALEWAY_MAX_SERVER_VOLUMES; index++) {
      volumes[String(index)] = { id: emulator.seedBlockVolume().id, volume_type: 'sbs_volume' };
    }
    const response = await send('POST', `${FR_PAR_1}/servers`, {
      json: {
        name: 'x',
        commercial_type: 'PLAY2-NANO',
        image: 'ubuntu_noble',
        project: emulator.projectId,
        volumes,
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.details[0]).toMatchObject({ argument_name: 'volumes', reason: 'constraint' });
    expect(emulator.servers()).toEqual([]);
  });

  it('attaches only within the zone: a volume of another zone is not found', async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume', zone: 'fr-par-1' });
    const elsewhere = emulator.seedBlockVolume({ zone: 'fr-par-2' });
    const response = await attachBlock(server, elsewhere.id);
    expect(response.status).toBe(404);
    expect(response.body).toEqual({
      type: 'not_found',
      message: 'resource is not found',
      resource: 'volume',
      resource_id: elsewhere.id,
    });
    expect((await blockVolume(elsewhere.id, 'fr-par-2')).status).toBe('available');
    expect(Object.keys(server.volumes)).toEqual(['0']);
  });

  it('answers an unknown volume with 404 volume, an unknown server with 404 instance_server', async () => {
    const { server, volume } = stoppedServerAndVolume();
    expect((await attachBlock(server, UNKNOWN_ID)).body).toMatchObject({
      resource: 'volume',
      resource_id: UNKNOWN_ID,
    });
    const ghost = await send('POST', `${FR_PAR_1}/servers/${UNKNOWN_ID}/attach-volume`, {
      json: { volume_id: volume.id, volume_type: 'sbs_volume' },
    });
    expect(ghost.body).toMatchObject({ type: 'not_found', resource: 'instance_server' });
  });

  it('refuses a volume attached elsewhere, still detaching, or creating (UNCONFIRMED bodies)', async () => {
    const { server, volume } = stoppedServerAndVolume();
    const other = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    await attachBlock(server, volume.id);
    const elsewhere = await attachBlock(other, volume.id);
    expect(elsewhere.status).toBe(412);
    expect(elsewhere.body).toEqual({
      type: 'precondition_failed',
      message: 'precondition is not respected',
      precondition: 'resource_still_in_use',
      help_message: `volume ${volume.id} is in use by server ${server.id}`,
    });
    emulator.clock.settle();
    await detach(server, volume.id);
    expect((await attachBlock(other, volume.id)).status).toBe(412);
    emulator.clock.settle();
    expect((await attachBlock(other, volume.id)).status).toBe(200);

    const created = await send('POST', '/block/v1/zones/fr-par-1/volumes', {
      json: { name: 'new', project_id: emulator.projectId, from_empty: { size: GB } },
    });
    const creating = await attachBlock(other, created.body.id);
    expect(creating.status).toBe(409);
    expect(creating.body).toMatchObject({
      type: 'transient_state',
      resource: 'volume',
      current_state: 'creating',
    });
  });

  it('refuses while the server is starting or stopping (409) or locked (423)', async () => {
    const volume = emulator.seedBlockVolume();
    for (const [state, status, type] of [
      ['starting', 409, 'transient_state'],
      ['stopping', 409, 'transient_state'],
      ['locked', 423, 'locked'],
    ] as const) {
      const server = emulator.seedServer({ state, volumeType: 'sbs_volume' });
      const response = await attachBlock(server, volume.id);
      expect(response.status).toBe(status);
      expect(response.body.type).toBe(type);
    }
    expect((await blockVolume(volume.id)).status).toBe('available');
  });

  it('answers a fault after the API acted: the volume is attached though the answer was lost', async () => {
    const { server, volume } = stoppedServerAndVolume();
    emulator.injectFault({ method: 'POST', path: /attach-volume$/, phase: 'after', status: 500, times: 1 });
    expect((await attachBlock(server, volume.id)).status).toBe(500);
    expect(Object.values(server.volumes)).toContain(volume.id);
  });
});

describe('detach-volume (§15.9)', () => {
  it('updates the server map at once; the volume stays in_use/detaching, then available', async () => {
    const { server, volume } = stoppedServerAndVolume();
    await attachBlock(server, volume.id);
    emulator.clock.settle();
    const response = await detach(server, volume.id);
    expect(response.status).toBe(200);
    expect(Object.keys(response.body.server.volumes)).toEqual(['0']);
    const detaching = await blockVolume(volume.id);
    expect(detaching).toMatchObject({ status: 'in_use', last_detached_at: null });
    expect(detaching.references).toEqual([
      expect.objectContaining({ status: 'detaching', product_resource_id: server.id }),
    ]);
    const listed = await send('GET', `/block/v1/zones/fr-par-1/volumes?product_resource_id=${server.id}`);
    expect(listed.body.volumes.map((entry: any) => entry.id)).toContain(volume.id);

    emulator.clock.advance(SCALEWAY_BLOCK_VOLUME_DELAYS.detachStopped - 1);
    expect((await blockVolume(volume.id)).status).toBe('in_use');
    emulator.clock.advance(1);
    const available = await blockVolume(volume.id);
    expect(available).toMatchObject({ status: 'available', references: [], tags: ['sam', 'env=test'] });
    expect(available.last_detached_at).toMatch(/Z$/);
    expect(available.updated_at).toBe(available.last_detached_at);
  });

  it('lags longer from a running server, as configured', async () => {
    start({ blockVolumeDelays: { detachRunning: 45_000 } });
    const server = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const volume = emulator.seedBlockVolume({ serverId: server.id });
    await detach(server, volume.id);
    emulator.clock.advance(44_999);
    expect((await blockVolume(volume.id)).references[0].status).toBe('detaching');
    emulator.clock.advance(1);
    expect((await blockVolume(volume.id)).status).toBe('available');
  });

  it('detaches at once on the instant clock', async () => {
    start({ clock: { mode: 'instant' } });
    const { server, volume } = stoppedServerAndVolume();
    await attachBlock(server, volume.id);
    await detach(server, volume.id);
    expect((await blockVolume(volume.id)).status).toBe('available');
  });

  it('cancels a pending attach when detached while attaching', async () => {
    start({ blockVolumeDelays: { attach: 1_000, detachStopped: 5_000 } });
    const { server, volume } = stoppedServerAndVolume();
    await attachBlock(server, volume.id);
    await detach(server, volume.id);
    emulator.clock.advance(1_000);
    expect((await blockVolume(volume.id)).references[0].status).toBe('detaching');
    emulator.clock.settle();
    expect((await blockVolume(volume.id)).references).toEqual([]);
  });

  it('answers a volume not on the server with the recorded 400 body', async () => {
    const { server, volume } = stoppedServerAndVolume();
    for (const volumeId of [volume.id, UNKNOWN_ID]) {
      const response = await detach(server, volumeId);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        message: 'invalid argument(s)',
        type: 'invalid_arguments',
        details: [
          {
            argument_name: 'volume_id',
            reason: 'constraint',
            help_message: `Volume ${volumeId} is not attached to this server`,
          },
        ],
      });
    }
  });

  it('detaches the root volume too, leaving an empty map', async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const rootId = server.volumes['0'] ?? '';
    const response = await detach(server, rootId);
    expect(response.body.server.volumes).toEqual({});
    emulator.clock.settle();
    expect((await blockVolume(rootId)).status).toBe('available');
  });

  it('detaches and attaches local volumes on stopped servers only (UNCONFIRMED)', async () => {
    const running = emulator.seedServer({ state: 'running', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const refused = await detach(running, running.volumes['0'] ?? '');
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe('instance must be stopped to change local volumes');

    const stopped = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const localId = stopped.volumes['0'] ?? '';
    expect((await detach(stopped, localId)).status).toBe(200);
    expect(emulator.getVolume(localId)?.serverId).toBeNull();
    const other = emulator.seedServer({
      state: 'stopped',
      commercialType: 'DEV1-M',
      volumeType: 'sbs_volume',
    });
    const attached = await attach(other, { volume_id: localId, volume_type: 'l_ssd' });
    expect(attached.status).toBe(200);
    expect(attached.body.server.volumes['1']).toMatchObject({ id: localId, volume_type: 'l_ssd' });
    expect((await attach(other, { volume_id: localId, volume_type: 'sbs_volume' })).body.resource).toBe(
      'volume',
    );
  });
});

describe('server DELETE and terminate with attached data volumes (§15.10)', () => {
  it('DELETE (stopped) detaches every SBS volume at once: available, tags kept, nothing deleted', async () => {
    const { server, volume } = stoppedServerAndVolume(['sam', 'keep=me']);
    await attachBlock(server, volume.id);
    emulator.clock.settle();
    const rootId = server.volumes['0'] ?? '';
    expect((await send('DELETE', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(204);
    for (const id of [volume.id, rootId]) {
      const after = await blockVolume(id);
      expect(after).toMatchObject({ status: 'available', references: [] });
      expect(after.last_detached_at).not.toBeNull();
    }
    expect((await blockVolume(volume.id)).tags).toEqual(['sam', 'keep=me']);
    expect(emulator.clock.pending).toBe(0);
    const leftovers = emulator.leftovers();
    expect(leftovers.servers).toEqual([]);
    expect(leftovers.volumes.map((item) => [item.id, item.orphaned])).toEqual([
      [rootId, true],
      [volume.id, true],
    ]);
  });

  it('DELETE while a reference is still attaching leaves the volume available', async () => {
    const { server, volume } = stoppedServerAndVolume();
    await attachBlock(server, volume.id);
    await send('DELETE', `${FR_PAR_1}/servers/${server.id}`);
    emulator.clock.settle();
    expect(await blockVolume(volume.id)).toMatchObject({ status: 'available', references: [] });
  });

  it('terminate (running) deletes the l_ssd root and detaches the data volume, tags kept', async () => {
    const server = emulator.seedServer({ state: 'running', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const volume = emulator.seedBlockVolume({ tags: ['sam', 'keep=me'], serverId: server.id });
    const rootId = server.volumes['0'] ?? '';
    expect((await action(send, server.id, 'terminate')).status).toBe(202);
    expect((await blockVolume(volume.id)).status).toBe('in_use');
    emulator.clock.advance(SCALEWAY_TRANSITION_DELAYS.terminate);
    expect((await send('GET', `${FR_PAR_1}/servers/${server.id}`)).status).toBe(404);
    expect((await send('GET', `${FR_PAR_1}/volumes/${rootId}`)).status).toBe(404);
    expect(await blockVolume(volume.id)).toMatchObject({
      status: 'available',
      references: [],
      tags: ['sam', 'keep=me'],
    });
    expect(emulator.leftovers().volumes.map((item) => item.id)).toEqual([volume.id]);
    expect((await send('DELETE', `/block/v1/zones/fr-par-1/volumes/${volume.id}`)).status).toBe(204);
    expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
  });

  it('refuses to delete an attached volume, and deletes it once detached', async () => {
    const { server, volume } = stoppedServerAndVolume();
    await attachBlock(server, volume.id);
    const path = `/block/v1/zones/fr-par-1/volumes/${volume.id}`;
    expect((await send('DELETE', path)).status).toBe(412);
    emulator.clock.settle();
    await detach(server, volume.id);
    expect((await send('DELETE', path)).status).toBe(412);
    emulator.clock.settle();
    expect((await send('DELETE', path)).status).toBe(204);
  });
});
