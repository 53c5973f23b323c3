import { Blockv1 } from '@scaleway/sdk-block';
import { createClient, Errors } from '@scaleway/sdk-client';
import { Instancev1 } from '@scaleway/sdk-instance';
import { Marketplacev2 } from '@scaleway/sdk-marketplace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmulatorServer, startEmulatorServer } from '../src/core/server.js';
import { SCALEWAY_EMULATOR_ACCESS_KEY, ScalewayEmulator } from '../src/scaleway/emulator.js';

/**
 * The official JavaScript SDK (unchanged) against the emulator over loopback HTTP: if the SDK cannot parse an
 * answer or its waiters and paginators misbehave, the emulator is wrong.
 */
const emulator = new ScalewayEmulator({ clock: { mode: 'manual' } });
let server: EmulatorServer;
let instance: Instancev1.API;
let marketplace: Marketplacev2.API;
let block: Blockv1.API;

/** The waiters sleep at least 1 s between polls; poll once a second for at most 15 s. */
const WAIT = { minDelay: 1, maxDelay: 1, timeout: 15 };
const GB = 1_000_000_000;
const CLOUD_INIT = '#cloud-config\nruncmd:\n  - echo "hello from sam" > /tmp/hello\n';

beforeAll(async () => {
  server = await startEmulatorServer(emulator);
  const client = createClient({
    accessKey: SCALEWAY_EMULATOR_ACCESS_KEY,
    secretKey: emulator.secretKey,
    apiURL: server.url,
    defaultProjectId: emulator.projectId,
    defaultRegion: 'fr-par',
    defaultZone: 'fr-par-1',
    // Each answer moves the manual clock on by one emulated second, so transitions progress with the SDK's
    // polling, deterministically, without changing any request or response.
    interceptors: [
      {
        response: ({ response }) => {
          emulator.clock.advance(1_000);
          return response;
        },
      },
    ],
  });
  instance = new Instancev1.API(client);
  marketplace = new Marketplacev2.API(client);
  block = new Blockv1.API(client);
});

afterAll(async () => {
  await server.close();
});

describe('official Scaleway SDK against the emulator', () => {
  it('runs create, user data, poweron, get, list, poweroff and delete', async () => {
    const localImages = await marketplace
      .listLocalImages({ imageLabel: 'ubuntu_noble', zone: 'fr-par-1', type: 'instance_sbs' })
      .all();
    const image = localImages.find(
      (candidate) => candidate.arch === 'x86_64' && candidate.compatibleCommercialTypes.includes('DEV1-M'),
    );
    expect(image?.id).toBe(emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_sbs'));
    const imageId = image?.id ?? '';
    expect((await marketplace.getLocalImage({ localImageId: imageId })).label).toBe('ubuntu_noble');

    const { server: created } = await instance.createServer({
      name: 'sdk-fidelity',
      commercialType: 'DEV1-M',
      image: imageId,
      tags: ['sam', 'fidelity'],
      protected: false,
    });
    expect(created).toMatchObject({
      name: 'sdk-fidelity',
      state: 'stopped',
      commercialType: 'DEV1-M',
      project: emulator.projectId,
      dynamicIpRequired: true,
      allowedActions: ['poweron', 'backup'],
      publicIps: [],
      tags: ['sam', 'fidelity'],
    });
    expect(created?.image?.id).toBe(imageId);
    expect(created?.creationDate).toBeInstanceOf(Date);
    expect(created?.volumes['0']?.volumeType).toBe('sbs_volume');
    const serverId = created?.id ?? '';

    await instance.setServerUserData({ serverId, key: 'cloud-init', content: CLOUD_INIT });
    expect(emulator.userData('fr-par-1', serverId, 'cloud-init')).toBe(CLOUD_INIT);
    expect(await instance.getServerUserData({ serverId, key: 'cloud-init' })).toBe(CLOUD_INIT);
    expect((await instance.listServerUserData({ serverId })).userData).toEqual(['cloud-init']);

    const task = await instance.serverAction({ serverId, action: 'poweron' });
    expect(task.task?.status).toBe('pending');
    const booting = await instance.getServer({ serverId });
    expect(booting.server?.state).toBe('starting');
    const running = await instance.waitForServer({ serverId }, WAIT);
    expect(running.state).toBe('running');
    expect(running.publicIp?.dynamic).toBe(true);
    expect(running.publicIps).toHaveLength(1);
    expect(running.location?.zoneId).toBe('par1');

    const fetched = (await instance.getServer({ serverId })).server;
    expect(fetched?.id).toBe(serverId);
    expect(fetched?.modificationDate).toBeInstanceOf(Date);

    for (let index = 0; index < 4; index++) {
      await instance.createServer({
        name: `sdk-extra-${index}`,
        commercialType: 'DEV1-S',
        image: imageId,
        tags: ['sam'],
        protected: false,
      });
    }
    const firstPage = await instance.listServers({ perPage: 2, tags: ['sam'] });
    expect(firstPage.totalCount).toBe(5);
    expect(firstPage.servers).toHaveLength(2);
    const everything = await instance.listServers({ perPage: 2, tags: ['sam'] }).all();
    expect(everything.map((entry) => entry.id).sort()).toEqual(
      emulator
        .servers()
        .map((entry) => entry.id)
        .sort(),
    );
    let pages = 0;
    for await (const page of instance.listServers({ perPage: 2 })) {
      expect(page.length).toBeGreaterThan(0);
      pages++;
    }
    expect(pages).toBe(3);
    expect((await instance.listServers({ name: 'fidelity' })).servers.map((entry) => entry.id)).toEqual([
      serverId,
    ]);

    const stopped = await instance.serverActionAndWait({ serverId, action: 'poweroff' }, WAIT);
    expect(stopped.state).toBe('stopped');
    expect(stopped.publicIps).toEqual([]);
    expect(stopped.publicIp).toBeUndefined();

    for (const entry of everything) await instance.deleteServer({ serverId: entry.id });
    await expect(instance.getServer({ serverId })).rejects.toBeInstanceOf(Errors.ResourceNotFoundError);
    // §6.1: DELETE leaves the SBS root volumes behind.
    expect(emulator.leftovers().servers).toEqual([]);
    expect(emulator.leftovers().volumes).toHaveLength(5);
    expect(emulator.leftovers().volumes.every((volume) => volume.orphaned)).toBe(true);
  }, 30_000);

  it('parses products, availability and images', async () => {
    const types = await instance.listServersTypes({ zone: 'fr-par-1' });
    expect(types.servers['DEV1-M']).toMatchObject({ ncpus: 3, ram: 4 * 1024 ** 3, hourlyPrice: 0.020196 });
    expect(types.totalCount).toBe(Object.keys(types.servers).length);
    const availability = await instance.getServerTypesAvailability({ zone: 'fr-par-1' });
    expect(availability.servers['DEV1-M']?.availability).toBe('available');
    const images = await instance.listImages({ zone: 'nl-ams-2', name: 'Noble' }).all();
    expect(images.map((image) => image.id)).toContain(
      emulator.marketplaceImageId('ubuntu_noble', 'nl-ams-2'),
    );
  });

  it('maps the emulator errors to the SDK error classes', async () => {
    const parked = emulator.seedServer({ state: 'stopped' });
    const refusal = await instance
      .serverAction({ serverId: parked.id, action: 'terminate' })
      .catch((error) => error);
    expect(refusal).toMatchObject({ status: 400, body: { message: 'server should be running' } });
    const running = emulator.seedServer({ state: 'running' });
    const deletion = await instance.deleteServer({ serverId: running.id }).catch((error) => error);
    expect(deletion).toMatchObject({ status: 400, body: { message: 'instance should be powered off' } });
    await expect(
      instance.createServer({ commercialType: 'DEV1-S', volumes: {}, protected: false }),
    ).rejects.toBeInstanceOf(Errors.InvalidArgumentsError);
    await expect(
      marketplace.listLocalImages({ imageLabel: 'no_such_label', zone: 'fr-par-1' }),
    ).rejects.toBeInstanceOf(Errors.ResourceNotFoundError);
    const stranger = new Instancev1.API(
      createClient({
        accessKey: SCALEWAY_EMULATOR_ACCESS_KEY,
        secretKey: '00000000-1111-4222-8333-444444444444',
        apiURL: server.url,
        defaultZone: 'fr-par-1',
      }),
    );
    await expect(stranger.listServers()).rejects.toBeInstanceOf(Errors.DeniedAuthenticationError);
  });

  it('drives the Block API with @scaleway/sdk-block v1: create, wait, get, list all pages, grow, delete', async () => {
    const created = await block.createVolume({
      name: 'sdk-block',
      fromEmpty: { size: 20 * GB },
      tags: ['fidelity-block', 'env=test'],
    });
    expect(created).toMatchObject({
      name: 'sdk-block',
      status: 'creating',
      size: 20 * GB,
      type: 'sbs_5k',
      projectId: emulator.projectId,
      references: [],
      tags: ['fidelity-block', 'env=test'],
      specs: { perfIops: 5000, class: 'sbs' },
      zone: 'fr-par-1',
    });
    expect(created.createdAt).toBeInstanceOf(Date);
    expect(created.lastDetachedAt).toBeUndefined();
    const available = await block.waitForVolume({ volumeId: created.id }, WAIT);
    expect(available.status).toBe('available');
    expect((await block.getVolume({ volumeId: created.id })).updatedAt).toBeInstanceOf(Date);

    for (let index = 0; index < 4; index++) {
      await block.createVolume({
        name: `sdk-block-${index}`,
        fromEmpty: { size: GB },
        tags: ['fidelity-block'],
      });
    }
    const firstPage = await block.listVolumes({
      includeDeleted: false,
      tags: ['fidelity-block'],
      pageSize: 2,
    });
    expect(firstPage.totalCount).toBe(5);
    expect(firstPage.volumes).toHaveLength(2);
    const listsBefore = emulator.requestCount({ method: 'GET', path: '/block/v1/zones/fr-par-1/volumes' });
    const everything = await block
      .listVolumes({ includeDeleted: false, tags: ['fidelity-block'], pageSize: 2 })
      .all();
    expect(everything.map((volume) => volume.name)).toEqual([
      'sdk-block',
      'sdk-block-0',
      'sdk-block-1',
      'sdk-block-2',
      'sdk-block-3',
    ]);
    // Three pages of at most two, each with total_count in the body.
    expect(
      emulator.requestCount({ method: 'GET', path: '/block/v1/zones/fr-par-1/volumes' }) - listsBefore,
    ).toBe(3);
    const byName = await block
      .listVolumes({ includeDeleted: false, tags: ['fidelity-block'], orderBy: 'name_desc' })
      .all();
    expect(byName[0]?.name).toBe('sdk-block-3');

    const growing = await block.updateVolume({ volumeId: created.id, size: 30 * GB });
    expect(growing).toMatchObject({ status: 'updating', size: 20 * GB });
    const grown = await block.waitForVolume({ volumeId: created.id }, WAIT);
    expect(grown).toMatchObject({ status: 'available', size: 30 * GB });
    const faster = await block.updateVolume({ volumeId: created.id, perfIops: 15_000 });
    expect(faster.status).toBe('updating');
    expect((await block.waitForVolume({ volumeId: created.id }, WAIT)).type).toBe('sbs_15k');

    for (const volume of everything) await block.deleteVolume({ volumeId: volume.id });
    await expect(block.getVolume({ volumeId: created.id })).rejects.toBeInstanceOf(
      Errors.ResourceNotFoundError,
    );
    expect(await block.listVolumes({ includeDeleted: false, tags: ['fidelity-block'] }).all()).toEqual([]);
  }, 30_000);

  it('maps the Block errors to the SDK error classes', async () => {
    const missing = await block
      .getVolume({ volumeId: '5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b' })
      .catch((error) => error);
    expect(missing).toBeInstanceOf(Errors.ResourceNotFoundError);
    expect(missing).toMatchObject({ resource: 'volume', resourceId: '5f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b' });

    const volume = emulator.seedBlockVolume({ size: 20 * GB });
    const shrink = await block.updateVolume({ volumeId: volume.id, size: 10 * GB }).catch((error) => error);
    expect(shrink).toBeInstanceOf(Errors.InvalidArgumentsError);
    expect(shrink.details[0]).toMatchObject({ argumentName: 'size', reason: 'constraint' });
    await expect(block.createVolume({ name: 'no-source' })).rejects.toBeInstanceOf(
      Errors.InvalidArgumentsError,
    );

    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const inUse = await block.deleteVolume({ volumeId: server.volumes['0'] ?? '' }).catch((error) => error);
    expect(inUse).toBeInstanceOf(Errors.PreconditionFailedError);
    expect(inUse.precondition).toBe('resource_still_in_use');

    emulator.setBlockVolumeDelays({ create: 60_000 });
    const creating = await block.createVolume({ name: 'slow', fromEmpty: { size: GB } });
    await expect(block.deleteVolume({ volumeId: creating.id })).rejects.toBeInstanceOf(
      Errors.TransientStateError,
    );
    emulator.setBlockVolumeDelays({ create: 1_000 });
    emulator.clock.settle();
    await block.deleteVolume({ volumeId: creating.id });
  });

  it('attaches and detaches a Block volume with the Instance SDK: in_use, then available', async () => {
    const server = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const volume = await block.createVolume({
      name: 'sdk-data',
      fromEmpty: { size: 10 * GB },
      tags: ['keep'],
    });
    await block.waitForVolume({ volumeId: volume.id }, WAIT);

    const attached = await instance.attachServerVolume({
      serverId: server.id,
      volumeId: volume.id,
      volumeType: 'sbs_volume',
    });
    expect(attached.server?.volumes['1']).toMatchObject({
      id: volume.id,
      volumeType: 'sbs_volume',
      boot: false,
      zone: 'fr-par-1',
    });
    const inUse = await block.waitForVolume(
      { volumeId: volume.id },
      { ...WAIT, stop: (current) => Promise.resolve(current.references[0]?.status === 'attached') },
    );
    expect(inUse.status).toBe('in_use');
    expect(inUse.references[0]?.productResourceId).toBe(server.id);
    const listed = await block.listVolumes({ includeDeleted: false, productResourceId: server.id }).all();
    expect(listed.map((entry) => entry.id)).toContain(volume.id);

    const refused = await instance
      .detachServerVolume({ serverId: server.id, volumeId: emulator.seedBlockVolume().id })
      .catch((error) => error);
    expect(refused).toBeInstanceOf(Errors.InvalidArgumentsError);
    expect(refused.details[0].helpMessage).toMatch(/is not attached to this server$/);

    const detached = await instance.detachServerVolume({ serverId: server.id, volumeId: volume.id });
    expect(Object.keys(detached.server?.volumes ?? {})).toEqual(['0']);
    const released = await block.waitForVolume(
      { volumeId: volume.id },
      { ...WAIT, stop: (current) => Promise.resolve(current.status === 'available') },
    );
    expect(released).toMatchObject({ status: 'available', references: [], tags: ['keep'] });
    expect(released.lastDetachedAt).toBeInstanceOf(Date);
    await block.deleteVolume({ volumeId: volume.id });
    expect(emulator.getVolume(volume.id)).toBeUndefined();
  }, 30_000);
});
