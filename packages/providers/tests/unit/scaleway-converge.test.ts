import {
  type FaultRule,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  hasLeftoverSweep,
  type ProviderError,
  type ProviderEvent,
  ScalewayProvider,
  type ScalewayProviderConfig,
  type ScalewayZone,
} from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';
import { failureOf } from '../failure-of.js';

/**
 * Deletes and creates that converge (docs/scaleway-api.md §6.4, §15.10, §15.12): whichever step fails beyond the
 * retry budget, or whichever answers are lost, calling `deleteVM` again until it resolves leaves nothing of the VM,
 * and a rejected `createVM` leaves nothing untracked. Each case: the fault, the rejection, the documented recovery,
 * then zero leftovers in the emulator.
 */

const emulator = new ScalewayEmulator();
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
});

const ZONE: ScalewayZone = 'fr-par-1';
const GB = 1_000_000_000;
const SERVER = /\/instance\/v1\/zones\/[^/]+\/servers\/[^/]+$/;
const SERVERS = /\/instance\/v1\/zones\/[^/]+\/servers$/;
const ACTION = /\/servers\/[^/]+\/action$/;
const LOCAL_VOLUME = /\/instance\/v1\/zones\/[^/]+\/volumes\/[^/]+$/;
const BLOCK_VOLUME = /\/block\/v1\/zones\/[^/]+\/volumes\/[^/]+$/;
const USER_DATA = '#cloud-config\n# secret: token-converge-7f3a\n';

const events: ProviderEvent[] = [];
const provider = (overrides: Partial<ScalewayProviderConfig> = {}) =>
  new ScalewayProvider(
    scalewayTestConfig({ timeoutMs: 60, onEvent: (event) => events.push(event), ...overrides }),
  );
beforeEach(() => {
  events.length = 0;
});

const zonal = (uuid: string) => `${ZONE}/${uuid}`;
const remaining = () => {
  emulator.clock.settle();
  const { servers, volumes, ips } = emulator.leftovers();
  return { servers: servers.length, volumes: volumes.length, ips: ips.length };
};
const NOTHING = { servers: 0, volumes: 0, ips: 0 };
const bootOf = (id: string, zone: ScalewayZone = ZONE) =>
  emulator.getServer(zone, id)?.volumes['0'] as string;

/** The same lost or refused answer, on every matching request: beyond any retry budget. */
const FAULTS: ReadonlyArray<[string, Omit<FaultRule, 'method' | 'path'>]> = [
  ['503', { status: 503, body: { type: 'service_unavailable', message: 'unavailable' } }],
  ['429', scalewayRateLimitFault({})],
  ['a dropped connection', { drop: true }],
  // Never reaching the API: a gateway that answers after the client gave up.
  ['a timeout', { delayMs: 200, status: 504 }],
];

describe('deleteVM: a boot volume whose delete keeps failing (issue sequence 1)', () => {
  it.each(FAULTS)(
    'names the volume, says a retry finishes, and a retried deleteVM deletes it (%s on the volume DELETE)',
    async (_, fault) => {
      const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
      const root = bootOf(vm.id);
      const handle = emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, ...fault });
      const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
      expect(failure.retryable).toBe(true);
      expect(failure.message).toContain(`${ZONE}/${root} (l_ssd)`);
      expect(failure.message).toContain('calling deleteVM again deletes them');
      expect(failure.cleanupErrors.length).toBeGreaterThan(0);
      expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
      // The volume outlived its server, and carries the marks that find it from the VM's id.
      expect(emulator.getVolume(root)).toMatchObject({ serverId: null });
      expect(emulator.getVolume(root)?.tags).toEqual(
        expect.arrayContaining(['sam-owned', `sam-vm:${vm.id}`]),
      );
      handle.remove();
      await provider().deleteVM(zonal(vm.id));
      expect(remaining()).toEqual(NOTHING);
    },
  );

  it('the same for a Block boot volume left by a terminate', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const root = bootOf(vm.id);
    const handle = emulator.injectFault({ method: 'DELETE', path: BLOCK_VOLUME, status: 503 });
    const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
    expect(failure).toMatchObject({ retryable: true });
    expect(failure.message).toContain(`${ZONE}/${root} (sbs_volume)`);
    handle.remove();
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('a retry finds nothing left: the server read and the two lists of marked volumes, nothing deleted', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'l_ssd' });
    await provider().deleteVM(zonal(vm.id));
    emulator.clearRequests();
    await provider().deleteVM(zonal(vm.id));
    expect(emulator.requests.map((request) => `${request.method} ${request.path}`).sort()).toEqual([
      'GET /block/v1/zones/fr-par-1/volumes',
      `GET /instance/v1/zones/fr-par-1/servers/${vm.id}`,
      'GET /instance/v1/zones/fr-par-1/volumes',
    ]);
    expect(emulator.requests.find((request) => request.path.endsWith('/volumes'))?.query).toMatchObject({
      tags: `sam-vm:${vm.id}`,
    });
  });

  it('keeps data volumes through every retry, and never deletes a marked volume another server holds', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const data = emulator.seedBlockVolume({ serverId: vm.id, name: 'data', tags: ['keep=yes'] });
    const handle = emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, status: 503 });
    await failureOf(provider().deleteVM(zonal(vm.id)));
    handle.remove();
    // Someone attached a Block volume carrying this VM's mark to another server meanwhile: not ours to take.
    const other = emulator.seedServer({ state: 'running' });
    const held = emulator.seedBlockVolume({ serverId: other.id, tags: [`sam-vm:${vm.id}`, 'sam-owned'] });
    await provider().deleteVM(zonal(vm.id));
    expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null, tags: ['keep=yes'] });
    expect(emulator.getVolume(held.id)?.serverId).toBe(other.id);
    expect(emulator.leftovers().volumes.map((volume) => volume.id)).not.toContain(bootOf(vm.id));
  });
});

describe('deleteVM: a removal whose answers are lost (issue sequence 2)', () => {
  it.each([
    ['DELETE of a stopped server (l_ssd root)', 'stopped', 'l_ssd', { method: 'DELETE', path: SERVER }],
    ['terminate of a running server (Block root)', 'running', 'sbs_volume', { method: 'POST', path: ACTION }],
    ['DELETE of a stopped server (Block root)', 'stopped', 'sbs_volume', { method: 'DELETE', path: SERVER }],
  ] as const)(
    '%s: carried out, its answer dropped on every attempt; the retry deletes the boot volume, data kept',
    async (_, state, volumeType, route) => {
      const vm = emulator.seedServer({ state, commercialType: 'DEV1-M', volumeType });
      const root = bootOf(vm.id);
      const data = emulator.seedBlockVolume({ serverId: vm.id, name: 'data', size: 20 * GB });
      const handle = emulator.injectFault({ ...route, drop: true, phase: 'after' });
      const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
      expect(failure).toMatchObject({ category: 'network', retryable: true });
      // It says what is left and that a retry finishes.
      expect(failure.message).toContain(`boot volume ${ZONE}/${root} is marked as its own`);
      expect(failure.message).toContain('calling deleteVM again finishes the job');
      expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
      expect(emulator.getVolume(root)?.tags).toContain(`sam-vm:${vm.id}`);
      handle.remove();
      await provider().deleteVM(zonal(vm.id));
      emulator.clock.settle();
      expect(emulator.getVolume(root)).toBeUndefined();
      expect(emulator.getVolume(data.id)).toMatchObject({ serverId: null });
      expect(emulator.leftovers().volumes.map((volume) => volume.id)).toEqual([data.id]);
      expect(remaining()).toEqual({ ...NOTHING, volumes: 1 });
    },
  );

  it('a mark that cannot be written stops the delete before anything is removed; a retry finishes', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const handle = emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, status: 503 });
    const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
    expect(failure).toMatchObject({ category: 'unavailable', retryable: true });
    expect(emulator.getServer(ZONE, vm.id)).toBeDefined();
    expect(emulator.requestCount({ method: 'DELETE' })).toBe(0);
    handle.remove();
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('a boot volume that vanished before its mark is no obstacle (404 on the PATCH)', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    emulator.injectFault({
      method: 'PATCH',
      path: LOCAL_VOLUME,
      status: 404,
      body: { type: 'not_found', message: 'resource is not found', resource: 'instance_volume' },
      times: 1,
    });
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('an unmarked boot volume left by someone else’s removal is marked when its delete fails, so a retry finds it', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const root = bootOf(vm.id);
    // The server is already being removed by another client: our read shows it, our DELETE finds it gone.
    emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, status: 404, times: 1 });
    emulator.injectFault({ method: 'DELETE', path: SERVER, phase: 'after', status: 404, times: 1 });
    const handle = emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, status: 503 });
    const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
    expect(failure.retryable).toBe(true);
    expect(emulator.getVolume(root)?.tags).toContain(`sam-vm:${vm.id}`);
    handle.remove();
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('resolves when the boot volume’s delete did go through and only its answers were lost', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    // Not marked (gone on the PATCH, as far as that answer says), then every DELETE answer of it lost.
    emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, status: 404, times: 1 });
    emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, drop: true, phase: 'after' });
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('says a retry will not help when the volume delete is refused for good (403)', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    emulator.injectFault({
      method: 'DELETE',
      path: LOCAL_VOLUME,
      status: 403,
      body: { type: 'permissions_denied', message: 'insufficient permissions' },
    });
    const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
    expect(failure).toMatchObject({ category: 'permission', retryable: false });
    expect(failure.message).toContain('deleteLeftovers deletes them once the API accepts it');
  });
});

describe('deleteVM: the edges of convergence', () => {
  it('a bare UUID of a VM in another zone: the retry finds its marked boot volume there', async () => {
    const vm = emulator.seedServer({
      zone: 'nl-ams-1',
      state: 'stopped',
      commercialType: 'DEV1-M',
      volumeType: 'l_ssd',
    });
    const handle = emulator.injectFault({ method: 'DELETE', path: SERVER, drop: true, phase: 'after' });
    expect(await failureOf(provider().deleteVM(vm.id))).toMatchObject({ retryable: true });
    handle.remove();
    await provider().deleteVM(vm.id);
    expect(remaining()).toEqual(NOTHING);
  });

  it('an upper-case id is the same VM, and its retry finds the marks (written lower-case)', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const handle = emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, status: 503 });
    expect(await failureOf(provider().deleteVM(zonal(vm.id.toUpperCase())))).toMatchObject({
      retryable: true,
    });
    handle.remove();
    await provider().deleteVM(zonal(vm.id.toUpperCase()));
    expect(remaining()).toEqual(NOTHING);
  });

  it('never marks nor deletes a data volume that sits in the boot slot (its boot volume detached before)', async () => {
    const vm = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const root = bootOf(vm.id);
    const scaleway = provider();
    const data = await scaleway.createVolume({
      name: 'precious',
      sizeGb: 5,
      location: ZONE,
      labels: { keep: 'yes' },
    });
    emulator.clock.settle();
    await scaleway.detachVolume({ volumeId: zonal(root), location: ZONE });
    await scaleway.attachVolume({ volumeId: data.id, serverId: zonal(vm.id), location: ZONE });
    const uuid = data.id.split('/')[1] as string;
    expect(emulator.getServer(ZONE, vm.id)?.volumes['0']).toBe(uuid);
    const tags = [...(emulator.getVolume(uuid)?.tags ?? [])];
    await scaleway.deleteVM(zonal(vm.id));
    emulator.clock.settle();
    expect(emulator.getServer(ZONE, vm.id)).toBeUndefined();
    expect(emulator.getVolume(uuid)).toMatchObject({ serverId: null, tags });
    expect(tags).toContain('keep=yes');
  });

  it('a mark refused for good (400) does not block the delete: the VM and its boot volume go', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    emulator.injectFault({
      method: 'PATCH',
      path: LOCAL_VOLUME,
      status: 400,
      body: { type: 'invalid_arguments', message: 'invalid argument(s)' },
    });
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('a Block boot volume that cannot be read is not deleted blind: it is reported, not retryable', async () => {
    const vm = emulator.seedServer({ state: 'stopped', volumeType: 'sbs_volume' });
    const root = bootOf(vm.id);
    emulator.injectFault({
      method: 'GET',
      path: BLOCK_VOLUME,
      status: 403,
      body: { type: 'permissions_denied', message: 'insufficient permissions' },
    });
    const failure = await failureOf(provider().deleteVM(zonal(vm.id)));
    expect(failure).toMatchObject({ retryable: false });
    expect(failure.message).toContain(`${ZONE}/${root} (sbs_volume)`);
    expect(emulator.getVolume(root)).toBeDefined();
  });
});

describe('deleteVM against an API without the routes the marks use', () => {
  const NO_ROUTE = { status: 404, body: { type: 'not_found', message: 'resource is not found' } };
  it('no local-volume PATCH: the boot volume is still deleted with its VM', async () => {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, ...NO_ROUTE });
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('a Block PATCH refused for good (400): the Block boot volume, read and no data volume, is still deleted', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    emulator.injectFault({
      method: 'PATCH',
      path: BLOCK_VOLUME,
      status: 400,
      body: { type: 'invalid_arguments', message: 'invalid argument(s)' },
    });
    await provider().deleteVM(zonal(vm.id));
    expect(remaining()).toEqual(NOTHING);
  });

  it('no local-volume list: deleteVM of a VM already gone still resolves', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'l_ssd' });
    await provider().deleteVM(zonal(vm.id));
    emulator.injectFault({ method: 'GET', path: /\/instance\/v1\/zones\/[^/]+\/volumes$/, ...NO_ROUTE });
    await expect(provider().deleteVM(zonal(vm.id))).resolves.toBeUndefined();
  });
});

describe('deleteVM aborted by its caller once the server is going', () => {
  it('still marks and deletes the Block boot volume, then rejects with the caller’s reason', async () => {
    const vm = emulator.seedServer({ state: 'running', volumeType: 'sbs_volume' });
    const controller = new AbortController();
    const reason = new Error('handler deadline');
    server.events.on('request:start', function abortOnTerminate({ request }) {
      if (ACTION.test(new URL(request.url).pathname)) {
        controller.abort(reason);
        server.events.removeListener('request:start', abortOnTerminate);
      }
    });
    await expect(provider().deleteVM(zonal(vm.id), { signal: controller.signal })).rejects.toBe(reason);
    expect(remaining()).toEqual(NOTHING);
  });
});

describe('createVM: nothing untracked when it rejects (issue sequence 3)', () => {
  it('a retried POST whose twin lookups all time out: the server it made is deleted and the create rejects', async () => {
    emulator.injectFault({ method: 'POST', path: SERVERS, status: 500, times: 1 });
    // The lookup after the 500 finds nothing (as the API would); every lookup for twins after the retry times out.
    emulator.injectFault({ method: 'GET', path: SERVERS, status: 200, body: { servers: [] }, times: 1 });
    const lookup = emulator.injectFault({ method: 'GET', path: SERVERS, delayMs: 200 });
    const failure = await failureOf(
      provider({ retry: { baseDelayMs: 1, maxDelayMs: 5, maxRetries: 1 } }).createVM({
        name: 'agent-twin',
        size: 'small',
        location: ZONE,
        userData: USER_DATA,
        labels: { team: 'a' },
      }),
    );
    expect(lookup.hits).toBeGreaterThan(0);
    expect(emulator.requestCount({ method: 'POST', path: SERVERS })).toBe(2);
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(JSON.stringify(failure)).not.toContain('token-converge-7f3a');
    lookup.remove();
    // The created server was deleted; a failed deletion would have been named by id.
    expect(remaining()).toEqual(NOTHING);
    const reported = events.filter((event) => event.type === 'cleanup_failed');
    expect(reported.map((event) => (event as { resource: string }).resource)).toEqual([
      expect.stringMatching(/^a server tagged sam-creation:[0-9a-f-]{36} in fr-par-1$/),
    ]);
  });

  it('names the created server by id in cleanupErrors and an event when it cannot be deleted either', async () => {
    emulator.injectFault({ method: 'POST', path: SERVERS, status: 500, times: 1 });
    // The first lookup finds nothing; then every lookup and every delete of the created server fails.
    emulator.injectFault({ method: 'GET', path: SERVERS, status: 200, body: { servers: [] }, times: 1 });
    emulator.injectFault({ method: 'GET', path: SERVERS, status: 503 });
    emulator.injectFault({ method: 'GET', path: SERVER, status: 503 });
    emulator.injectFault({ method: 'POST', path: ACTION, status: 503 });
    emulator.injectFault({ method: 'DELETE', status: 503 });
    emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, status: 503 });
    const failure = await failureOf(
      provider().createVM({ name: 'agent-stuck', size: 'small', location: ZONE, userData: USER_DATA }),
    );
    expect(failure.retryable).toBe(true);
    const [made] = emulator.servers();
    expect(made).toBeDefined();
    const id = `${ZONE}/${made?.id}`;
    const resources = events
      .filter((event) => event.type === 'cleanup_failed')
      .map((event) => (event as { resource: string }).resource);
    expect(resources).toContain(`server ${id}`);
    // The cause names the server by id too, in the error itself.
    expect(failure.cleanupErrors.map((cause) => (cause as Error).message)).toContainEqual(
      expect.stringContaining(`server ${id}: `),
    );
    // Once the API answers again, the VM is found by id (or by its labels) and deleted like any other.
    emulator.clearFaults();
    await provider().deleteVM(id);
    expect(remaining()).toEqual(NOTHING);
  });
});

describe('createVM: every step failing beyond the retry budget leaves nothing untracked', () => {
  const USER_DATA_PATH = /\/user_data\/cloud-init$/;
  it.each([
    ['the POST, refused before the API acted (503)', { method: 'POST', path: SERVERS, status: 503 }],
    [
      'the POST, carried out and its answer dropped',
      { method: 'POST', path: SERVERS, drop: true, phase: 'after' },
    ],
    ['the cloud-init PATCH (503)', { method: 'PATCH', path: USER_DATA_PATH, status: 503 }],
    [
      'the cloud-init PATCH, its answer dropped',
      { method: 'PATCH', path: USER_DATA_PATH, drop: true, phase: 'after' },
    ],
    ['the poweron (503)', { method: 'POST', path: ACTION, status: 503 }],
    [
      'the poweron, carried out and its answer dropped',
      { method: 'POST', path: ACTION, drop: true, phase: 'after' },
    ],
  ] as const)('%s: rejects with nothing left, or resolves with the one VM it made', async (_, fault) => {
    const handle = emulator.injectFault(fault);
    const outcome = await provider()
      .createVM({
        name: 'agent-step',
        size: 'small',
        location: ZONE,
        userData: USER_DATA,
        labels: { step: 'x' },
      })
      .then(
        (vm) => ({ vm }),
        (error: ProviderError) => ({ error }),
      );
    handle.remove();
    emulator.clock.settle();
    if ('vm' in outcome) {
      // A lost answer the lookup recovered: the caller holds the only VM, and deletes it.
      expect(emulator.servers().map((stored) => `${ZONE}/${stored.id}`)).toEqual([outcome.vm.id]);
      await provider().deleteVM(outcome.vm.id);
    } else {
      expect(outcome.error.retryable).toBe(true);
      expect(JSON.stringify(outcome.error)).not.toContain('token-converge-7f3a');
    }
    expect(remaining()).toEqual(NOTHING);
  });
});

describe('createVM: a twin that cannot be removed', () => {
  it('rejects (never two VMs for one create), deletes what it made, and names the twin by id', async () => {
    // POST #1 is carried out, its answer lost; the lookups find nothing (as a lagging list would); POST #2 succeeds;
    // the twin (POST #1's server) is then found, and its delete keeps failing.
    emulator.injectFault({ method: 'POST', path: SERVERS, drop: true, phase: 'after', times: 1 });
    const blind = emulator.injectFault({ method: 'GET', path: SERVERS, status: 200, body: { servers: [] } });
    server.events.on('request:start', function seeTwins({ request }) {
      if (
        request.method === 'POST' &&
        SERVERS.test(new URL(request.url).pathname) &&
        emulator.servers().length === 1
      ) {
        blind.remove();
        server.events.removeListener('request:start', seeTwins);
      }
    });
    emulator.injectFault({ method: 'DELETE', status: 503 });
    emulator.injectFault({ method: 'POST', path: ACTION, status: 503 });
    emulator.injectFault({ method: 'PATCH', path: LOCAL_VOLUME, status: 503 });
    const failure = await failureOf(
      provider().createVM({ name: 'agent-twin', size: 'small', location: ZONE, userData: USER_DATA }),
    );
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('could not be removed');
    const [twin] = emulator.servers().filter((stored) => failure.message.includes(stored.id));
    expect(twin).toBeDefined();
    expect(failure.context).toMatchObject({ twinsLeft: [`server ${ZONE}/${twin?.id}`] });
    const resources = events
      .filter((event) => event.type === 'cleanup_failed')
      .map((event) => (event as { resource: string }).resource);
    expect(resources).toContain(`server ${ZONE}/${twin?.id}`);
    // Every server left (the twin, and the create's own, which the failing deletes kept too) is named by id.
    for (const stored of emulator.servers()) expect(resources).toContain(`server ${ZONE}/${stored.id}`);
    emulator.clearFaults();
    // The caller deletes what the error and the events name.
    for (const stored of emulator.servers()) await provider().deleteVM(zonal(stored.id));
    expect(remaining()).toEqual(NOTHING);
  });
});

describe('findLeftovers / deleteLeftovers', () => {
  /** A VM whose deleteVM left its boot volume behind (the volume DELETE kept failing), then faults off. */
  async function orphanedBootVolume(
    seed: Parameters<typeof emulator.seedServer>[0],
    route = LOCAL_VOLUME,
  ): Promise<{ vmId: string; volumeId: string }> {
    const vm = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', ...seed });
    const root = bootOf(vm.id, vm.zone);
    const handle = emulator.injectFault({ method: 'DELETE', path: route, status: 503 });
    await failureOf(provider().deleteVM(`${vm.zone}/${vm.id}`));
    handle.remove();
    return { vmId: `${vm.zone}/${vm.id}`, volumeId: `${vm.zone}/${root}` };
  }

  it('finds the marked boot volumes of gone VMs in every zone, with their VM and labels; never a data volume', async () => {
    const local = await orphanedBootVolume({ tags: ['team=a', 'run=1'], volumeType: 'l_ssd' });
    const block = await orphanedBootVolume(
      { zone: 'nl-ams-1', tags: ['team=b'], volumeType: 'sbs_volume', commercialType: 'DEV1-S' },
      BLOCK_VOLUME,
    );
    // Not leftovers: a data volume (even one with the VM's labels), an unmarked detached volume, a live VM's disk.
    emulator.seedBlockVolume({ name: 'data', tags: ['team=a', 'run=1'] });
    emulator.seedServer({ state: 'running', tags: ['team=a'] });
    const sweep = provider();
    expect(hasLeftoverSweep(sweep)).toBe(true);
    const found = await sweep.findLeftovers();
    expect(found.map((leftover) => leftover.id).sort()).toEqual([block.volumeId, local.volumeId].sort());
    expect(found.find((leftover) => leftover.id === local.volumeId)).toMatchObject({
      kind: 'volume',
      type: 'l_ssd',
      location: 'fr-par-1',
      vmId: local.vmId,
      labels: { team: 'a', run: '1' },
      description: expect.stringContaining(`of deleted VM ${local.vmId}`),
    });
    expect(found.find((leftover) => leftover.id === block.volumeId)).toMatchObject({
      type: 'sbs_volume',
      location: 'nl-ams-1',
      vmId: block.vmId,
    });
    expect((await sweep.findLeftovers({ team: 'a' })).map((leftover) => leftover.id)).toEqual([
      local.volumeId,
    ]);
    expect(await sweep.findLeftovers({ team: 'c' })).toEqual([]);
    // Marked boot volumes are no data volumes: listVolumes never shows them.
    expect(
      (await sweep.listVolumes({ location: 'fr-par-1', labels: { team: 'a' } })).map((v) => v.name),
    ).toEqual(['data']);
  });

  it('deleteLeftovers deletes them and resolves with what it deleted; then nothing is left', async () => {
    const left = await orphanedBootVolume({ tags: ['team=a'], volumeType: 'l_ssd' });
    const data = emulator.seedBlockVolume({ name: 'data', tags: ['team=a'] });
    const deleted = await provider().deleteLeftovers({ team: 'a' });
    expect(deleted.map((leftover) => leftover.id)).toEqual([left.volumeId]);
    expect(await provider().findLeftovers()).toEqual([]);
    expect(emulator.leftovers().volumes.map((volume) => volume.id)).toEqual([data.id]);
  });

  it('a mark naming no UUID sends no request for it, and the volume is reported without a VM', async () => {
    const odd = emulator.seedBlockVolume({ tags: ['sam-owned', 'sam-vm:../../../account/v3/projects'] });
    const found = await provider().findLeftovers();
    expect(found.map((leftover) => [leftover.id, leftover.vmId])).toEqual([[zonal(odd.id), undefined]]);
    expect(emulator.requests.some((request) => request.path.includes('account'))).toBe(false);
  });

  it('finds the server of a create that never finished (stopped, no cloud-init, old), and deletes it whole', async () => {
    const long = new Date(Date.now() - 60 * 60_000);
    const mark = 'sam-creation:5a1f3c2e-8b7d-4e6f-9a0b-1c2d3e4f5a6b';
    const abandoned = emulator.seedServer({ state: 'stopped', tags: ['run=9', mark], createdAt: long });
    // Not leftovers: a finished create (cloud-init set), a recent one (may be running now), a running one, and a
    // server this library did not make.
    emulator.seedServer({
      state: 'stopped',
      tags: ['run=9', mark],
      createdAt: long,
      userData: { 'cloud-init': 'x' },
    });
    emulator.seedServer({ state: 'stopped', tags: ['run=9', mark] });
    emulator.seedServer({ state: 'running', tags: ['run=9', mark], createdAt: long });
    emulator.seedServer({ state: 'stopped', tags: ['run=9'], createdAt: long });
    const found = await provider().findLeftovers({ run: '9' });
    expect(found).toEqual([
      expect.objectContaining({
        kind: 'server',
        type: 'server',
        id: zonal(abandoned.id),
        vmId: zonal(abandoned.id),
      }),
    ]);
    expect(found[0]?.labels).toEqual({ run: '9' });
    const root = bootOf(abandoned.id);
    expect(await provider().deleteLeftovers({ run: '9' })).toHaveLength(1);
    emulator.clock.settle();
    expect(emulator.getServer(ZONE, abandoned.id)).toBeUndefined();
    expect(emulator.getVolume(root)).toBeUndefined();
    expect(emulator.servers()).toHaveLength(4);
  });

  it('the issue’s lost create: its answer dropped, every lookup failing; later, the sweep finds and deletes it', async () => {
    emulator.injectFault({ method: 'POST', path: SERVERS, drop: true, phase: 'after', times: 1 });
    const lookups = emulator.injectFault({ method: 'GET', path: SERVERS, status: 503 });
    const failure = await failureOf(
      provider().createVM({
        name: 'agent-lost',
        size: 'small',
        location: ZONE,
        userData: USER_DATA,
        labels: { run: 'l' },
      }),
    );
    expect(failure.retryable).toBe(true);
    lookups.remove();
    expect(emulator.servers()).toHaveLength(1);
    expect(await provider().findLeftovers({ run: 'l' })).toEqual([]);
    // An hour later nobody can still be running that create.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 60 * 60_000 });
    try {
      expect((await provider().deleteLeftovers({ run: 'l' })).map((leftover) => leftover.kind)).toEqual([
        'server',
      ]);
    } finally {
      vi.useRealTimers();
    }
    expect(remaining()).toEqual(NOTHING);
  });

  it('deleteLeftovers(list) deletes exactly those still leftovers: one attached again since is left alone', async () => {
    const first = await orphanedBootVolume(
      { volumeType: 'sbs_volume', commercialType: 'DEV1-S' },
      BLOCK_VOLUME,
    );
    const second = await orphanedBootVolume(
      { volumeType: 'sbs_volume', commercialType: 'DEV1-S' },
      BLOCK_VOLUME,
    );
    const found = await provider().findLeftovers();
    expect(found).toHaveLength(2);
    // Someone attaches the second to a server between the list and the delete; a third appears meanwhile.
    const holder = emulator.seedServer({ state: 'stopped' });
    await provider().attachVolume({ volumeId: second.volumeId, serverId: zonal(holder.id), location: ZONE });
    const third = emulator.seedBlockVolume({ tags: ['sam-owned'] });
    const deleted = await provider().deleteLeftovers(found);
    expect(deleted.map((leftover) => leftover.id)).toEqual([first.volumeId]);
    expect(emulator.getVolume(second.volumeId.split('/')[1] as string)?.serverId).toBe(holder.id);
    expect(emulator.getVolume(third.id)).toBeDefined();
  });

  it('does not report a marked volume whose VM still exists (its deleteVM owns it)', async () => {
    const vm = emulator.seedServer({ state: 'running' });
    emulator.seedBlockVolume({ tags: ['sam-owned', `sam-vm:${vm.id}`] });
    expect(await provider().findLeftovers()).toEqual([]);
  });

  it('rejects naming each leftover it could not delete, retryable when every cause is', async () => {
    const left = await orphanedBootVolume({ volumeType: 'l_ssd' });
    emulator.injectFault({ method: 'DELETE', path: LOCAL_VOLUME, status: 503 });
    const failure = await failureOf(provider().deleteLeftovers());
    expect(failure).toMatchObject({ category: 'unavailable', retryable: true });
    expect(failure.message).toContain(left.volumeId);
    expect(failure.message).toContain('0 of 1 leftovers deleted');
    expect(failure.context).toEqual({ deleted: [], left: [left.volumeId] });
    expect(failure.cleanupErrors).toHaveLength(1);
    emulator.clearFaults();
    expect(await provider().deleteLeftovers()).toHaveLength(1);
    expect(remaining()).toEqual(NOTHING);
  });

  it('refuses bad labels before any request, and never puts the key in an error', async () => {
    const failure = await failureOf(provider().findLeftovers({ 'bad key': 'x' }));
    expect(failure).toMatchObject({ category: 'invalid_input' });
    expect(emulator.requestCount()).toBe(0);
    const offline = await failureOf(
      provider({ retry: { maxRetries: 0 } }).findLeftovers(
        {},
        { signal: AbortSignal.abort(new Error('gone')) },
      ),
    );
    expect(offline.message).toBe('gone');
    expect(JSON.stringify(failure)).not.toContain(SCALEWAY_EMULATOR_SECRET_KEY);
  });
});
