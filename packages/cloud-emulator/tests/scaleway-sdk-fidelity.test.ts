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

/** The waiters sleep at least 1 s between polls; poll once a second for at most 15 s. */
const WAIT = { minDelay: 1, maxDelay: 1, timeout: 15 };
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
});
