/**
 * Block volume rows of the call-budget benchmark: every volume operation of both providers against its emulator
 * (Scaleway: the bench's own emulator process; Hetzner: one more), beside its request floor. Each row keeps the
 * emulator's log of its last run, so the request sequence is the API's view, not only the provider's count.
 *
 * Floors are the fewest requests the API allows while keeping the library's guarantees: attach and detach resolve
 * only once the API shows the new state, and take the VM id exactly as `createVM` returned it; resize rejects a
 * shrink before any request and resolves once the new size has landed; delete refuses an attached volume (a read
 * first) and is idempotent.
 */
import {
  HETZNER_EMULATOR_TOKEN,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
} from '@simple-agent-manager/cloud-emulator';
import { createProvider, isProviderError, type Provider, type ProviderEvent } from '../src/index.js';
import type { EmulatorProcess } from './emulator-client.js';
import type { Measure, Row } from './rows.js';

/** What the volume rows need from the bench around them. */
export interface VolumeBench {
  measure: Measure;
  /** Counts the provider's requests for `measure`. */
  onEvent: (event: ProviderEvent) => void;
  /** The table the rows go to. */
  into: Row[];
}

/**
 * The volume providers poll every 1 ms (the emulators' clocks are instant, so the first poll finds the change):
 * their rows show round trips, not the poll interval. One row per provider runs with the shipped default instead.
 */
export const BENCH_POLL_INTERVAL_MS = 1;
const LABELS = { bench: 'yes' };
const check = (condition: boolean, what: string) => {
  if (!condition) throw new Error(`volume bench: ${what}`);
};

/** A resize that does not grow, refused before any request. */
async function expectShrinkRefused(resize: Promise<unknown>): Promise<void> {
  try {
    await resize;
  } catch (error) {
    if (isProviderError(error, 'invalid_input')) return;
    throw error;
  }
  throw new Error('volume bench: a shrink was not refused');
}

/** Scaleway: Block Storage volumes in fr-par-1, attached through the Instance API (Block lag set to 0). */
export async function scalewayVolumeRows(bench: VolumeBench, emulator: EmulatorProcess): Promise<void> {
  const { measure, into } = bench;
  const options = { into, log: emulator };
  const zone = 'fr-par-1';
  const provider = (pollIntervalMs?: number): Provider =>
    createProvider({
      provider: 'scaleway',
      secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
      projectId: SCALEWAY_EMULATOR_PROJECT_ID,
      apiUrl: emulator.apiUrl,
      onEvent: bench.onEvent,
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    });
  const scw = provider(BENCH_POLL_INTERVAL_MS);
  await emulator.reset();
  await emulator.setBlockVolumeDelays({
    create: 0,
    update: 0,
    attach: 0,
    detachStopped: 0,
    detachRunning: 0,
  });
  const volume = (sizeGb = 10) => emulator.seedBlockVolume({ zone, size: sizeGb * 1e9, tags: ['bench=yes'] });
  /** A running VM (l_ssd boot volume, which terminate deletes with it), as `createVM` returns its id. */
  const runningVm = async () =>
    (
      await emulator.seed(1, { zone, state: 'running', commercialType: 'DEV1-M', volumeType: 'l_ssd' })
    )[0] as string;
  const uuid = (zonal: string) => zonal.split('/')[1] as string;

  // §15.5: 100 per page, the count in the body: page 1, then every other page at once.
  await measure(
    'listVolumes, 0 volumes in one zone',
    { requests: 1, roundTrips: 1 },
    async () => undefined,
    async () => {
      check((await scw.listVolumes({ location: zone })).length === 0, 'listed volumes in an empty zone');
    },
    options,
  );
  for (let index = 0; index < 250; index++) await volume();
  await measure(
    'listVolumes, 250 volumes in one zone',
    { requests: 3, roundTrips: 2 },
    async () => undefined,
    async () => {
      check((await scw.listVolumes({ location: zone })).length === 250, 'listed other than 250 volumes');
    },
    options,
  );
  await emulator.reset();

  await measure(
    'getVolume',
    { requests: 1, roundTrips: 1 },
    volume,
    async (id) => {
      check((await scw.getVolume({ volumeId: id, location: zone }))?.id === id, 'getVolume missed');
    },
    options,
  );
  let created = 0;
  await measure(
    'createVolume',
    { requests: 1, roundTrips: 1 },
    async () => created++,
    (index) =>
      scw.createVolume({ name: `bench-volume-${index}`, sizeGb: 10, location: zone, labels: LABELS }),
    options,
  );

  // §15.9: attach-volume, then the Block volume must say `attached` to that server: read, attach, read.
  const attachable = async () => ({ serverId: await runningVm(), volumeId: await volume() });
  const attach = async (on: Provider, { serverId, volumeId }: { serverId: string; volumeId: string }) => {
    const attached = await on.attachVolume({ volumeId, serverId, location: zone });
    check(attached.status === 'attached' && attached.attachedServerId === serverId, 'attach did not land');
  };
  await measure(
    'attachVolume to a running VM',
    { requests: 3, roundTrips: 3 },
    attachable,
    (ids) => attach(scw, ids),
    options,
  );
  // Read (which VM holds it), detach-volume, read until `available` with no reference.
  const attachedVolume = async () => {
    const serverId = await runningVm();
    return {
      serverId,
      volumeId: await emulator.seedBlockVolume({ zone, tags: ['bench=yes'], serverId: uuid(serverId) }),
    };
  };
  await measure(
    'detachVolume from a running VM',
    { requests: 3, roundTrips: 3 },
    attachedVolume,
    async ({ serverId, volumeId }) => {
      const detached = await scw.detachVolume({ volumeId, serverId, location: zone });
      check(
        detached?.status === 'available' && detached.attachedServerId === undefined,
        'detach did not land',
      );
    },
    options,
  );

  // §15.6: read (the size before the PATCH decides a shrink), PATCH {size}, read until the size has landed.
  const grow = async (on: Provider, volumeId: string) => {
    const grown = await on.resizeVolume({ volumeId, location: zone, sizeGb: 20, currentSizeGb: 10 });
    check(grown.sizeGb === 20, 'resize did not land');
  };
  await measure(
    'resizeVolume 10 → 20 GB, currentSizeGb given',
    { requests: 3, roundTrips: 3 },
    volume,
    (id) => grow(scw, id),
    options,
  );
  await measure(
    'resizeVolume shrink 10 → 5 GB, currentSizeGb given',
    { requests: 0, roundTrips: 0 },
    volume,
    (id) =>
      expectShrinkRefused(scw.resizeVolume({ volumeId: id, location: zone, sizeGb: 5, currentSizeGb: 10 })),
    options,
  );
  // §15.7: read (refuse an attached volume, naming its VM), DELETE.
  await measure(
    'deleteVolume',
    { requests: 2, roundTrips: 2 },
    volume,
    (id) => scw.deleteVolume({ volumeId: id, location: zone }),
    options,
  );

  // §6.2: terminate detaches the data volume and keeps it; read the server (its state), terminate.
  const kept: string[] = [];
  await measure(
    'deleteVM, running, with an attached data volume',
    { requests: 2, roundTrips: 2 },
    async () => {
      const ids = await attachedVolume();
      kept.push(ids.volumeId);
      return ids.serverId;
    },
    (serverId) => scw.deleteVM(serverId),
    options,
  );
  for (const volumeId of kept) {
    const survivor = await scw.getVolume({ volumeId, location: zone });
    check(
      survivor?.status === 'available' &&
        survivor.attachedServerId === undefined &&
        survivor.labels.bench === 'yes',
      `data volume ${volumeId} did not survive deleteVM`,
    );
  }

  // As shipped: the first re-read after the PATCH waits `pollIntervalMs` (default 1 000 ms).
  const shipped = provider();
  await measure(
    'resizeVolume 10 → 20 GB, default pollIntervalMs (1 000 ms)',
    { requests: 3, roundTrips: 3 },
    volume,
    (id) => grow(shipped, id),
    options,
  );
}

/** Hetzner: Volumes in fsn1 and their actions (the emulator's clock is instant: every action is done at once). */
export async function hetznerVolumeRows(bench: VolumeBench, emulator: EmulatorProcess): Promise<void> {
  const { measure, into } = bench;
  const options = { into, log: emulator };
  const location = 'fsn1';
  const provider = (pollIntervalMs?: number): Provider =>
    createProvider({
      provider: 'hetzner',
      apiToken: HETZNER_EMULATOR_TOKEN,
      apiUrl: `${emulator.apiUrl}/v1`,
      onEvent: bench.onEvent,
      ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
    });
  const hz = provider(BENCH_POLL_INTERVAL_MS);
  await emulator.reset();
  const volume = (size = 10) => emulator.seedHetznerVolume({ location, size, labels: LABELS });
  const runningVm = () => emulator.seedHetznerServer({ location, status: 'running' });

  // 50 per page, `last_page` in `meta`: page 1, then every other page at once. The API has no location filter.
  await measure(
    'listVolumes, 0 volumes',
    { requests: 1, roundTrips: 1 },
    async () => undefined,
    async () => {
      check((await hz.listVolumes({ location })).length === 0, 'listed volumes in an empty project');
    },
    options,
  );
  for (let index = 0; index < 250; index++) await volume();
  await measure(
    'listVolumes, 250 volumes',
    { requests: 5, roundTrips: 2 },
    async () => undefined,
    async () => {
      check((await hz.listVolumes({ location })).length === 250, 'listed other than 250 volumes');
    },
    options,
  );
  await emulator.reset();

  await measure(
    'getVolume',
    { requests: 1, roundTrips: 1 },
    volume,
    async (id) => {
      check((await hz.getVolume({ volumeId: id, location }))?.id === id, 'getVolume missed');
    },
    options,
  );
  let created = 0;
  await measure(
    'createVolume',
    { requests: 1, roundTrips: 1 },
    async () => created++,
    (index) => hz.createVolume({ name: `bench-volume-${index}`, sizeGb: 10, location, labels: LABELS }),
    options,
  );

  // Read the volume (holder, location), read the server (its location), POST attach, poll the action, read.
  const attach = async (on: Provider, { serverId, volumeId }: { serverId: string; volumeId: string }) => {
    const attached = await on.attachVolume({ volumeId, serverId, location });
    check(attached.attachedServerId === serverId, 'attach did not land');
  };
  const attachable = async () => ({ serverId: await runningVm(), volumeId: await volume() });
  await measure(
    'attachVolume to a running VM',
    { requests: 5, roundTrips: 5 },
    attachable,
    (ids) => attach(hz, ids),
    options,
  );
  const attachedVolume = async () => {
    const serverId = await runningVm();
    return {
      serverId,
      volumeId: await emulator.seedHetznerVolume({ location, labels: LABELS, server: Number(serverId) }),
    };
  };
  // Read, POST detach, poll the action, read.
  await measure(
    'detachVolume from a running VM',
    { requests: 4, roundTrips: 4 },
    attachedVolume,
    async ({ serverId, volumeId }) => {
      const detached = await hz.detachVolume({ volumeId, serverId, location });
      check(detached !== null && detached.attachedServerId === undefined, 'detach did not land');
    },
    options,
  );
  // Read, POST resize, poll the action, read.
  await measure(
    'resizeVolume 10 → 20 GB, currentSizeGb given',
    { requests: 4, roundTrips: 4 },
    volume,
    async (id) => {
      check(
        (await hz.resizeVolume({ volumeId: id, location, sizeGb: 20, currentSizeGb: 10 })).sizeGb === 20,
        'resize did not land',
      );
    },
    options,
  );
  await measure(
    'resizeVolume shrink 20 → 15 GB, currentSizeGb given',
    { requests: 0, roundTrips: 0 },
    () => volume(20),
    (id) => expectShrinkRefused(hz.resizeVolume({ volumeId: id, location, sizeGb: 15, currentSizeGb: 20 })),
    options,
  );
  // Read (refuse an attached volume, naming its VM), DELETE.
  await measure(
    'deleteVolume',
    { requests: 2, roundTrips: 2 },
    volume,
    (id) => hz.deleteVolume({ volumeId: id, location }),
    options,
  );
  // DELETE /servers/{id}: Hetzner detaches the data volume and keeps it.
  const kept: string[] = [];
  await measure(
    'deleteVM, running, with an attached data volume',
    { requests: 1, roundTrips: 1 },
    async () => {
      const ids = await attachedVolume();
      kept.push(ids.volumeId);
      return ids.serverId;
    },
    (serverId) => hz.deleteVM(serverId),
    options,
  );
  for (const volumeId of kept) {
    const survivor = await hz.getVolume({ volumeId, location });
    check(
      survivor !== null &&
        survivor.status === 'available' &&
        survivor.attachedServerId === undefined &&
        survivor.labels.bench === 'yes',
      `data volume ${volumeId} did not survive deleteVM`,
    );
  }

  // As shipped: the action is polled after `pollIntervalMs` (default 500 ms).
  const shipped = provider();
  await measure(
    'attachVolume, default pollIntervalMs (500 ms)',
    { requests: 5, roundTrips: 5 },
    attachable,
    (ids) => attach(shipped, ids),
    options,
  );
}
