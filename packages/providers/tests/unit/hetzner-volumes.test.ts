import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mapHetznerActionError, mapHetznerVolume } from '../../src/hetzner-mappers.js';
import type { ProviderEvent } from '../../src/index.js';
import {
  AMBIGUOUS_LABEL_PREFIX,
  HetznerProvider,
  type HetznerProviderSettings,
  isProviderError,
  ProviderError,
  type VolumeConfig,
} from '../../src/index.js';
import { inVirtualTime } from '../virtual-time.js';

const emulator = new HetznerEmulator();
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
});

const NOTHING = { servers: [], volumes: [], ips: [] };

const make = (settings: Partial<HetznerProviderSettings> = {}) =>
  new HetznerProvider({
    token: HETZNER_EMULATOR_TOKEN,
    timeoutMs: 300,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    pollIntervalMs: 5,
    waitTimeoutMs: 5_000,
    ...settings,
  });
const provider = make();
/** Hetzner's own timing: actions polled every 500 ms, one minute per call (run in virtual time). */
const realistic = make({ pollIntervalMs: undefined, waitTimeoutMs: undefined, timeoutMs: 10_000 });

// Every case ends with nothing billed left: what it made is removed through the provider itself.
afterEach(async () => {
  emulator.clock.setMode({ mode: 'instant' });
  emulator.clearFaults();
  emulator.clearVolumeActionFailures();
  for (const vm of await provider.listVMs()) await provider.deleteVM(vm.id);
  for (const location of ['fsn1', 'nbg1', 'hel1']) {
    for (const volume of await provider.listVolumes({ location })) {
      await provider.detachVolume({ volumeId: volume.id, location });
      await provider.deleteVolume({ volumeId: volume.id, location });
    }
  }
  expect(emulator.leftovers()).toEqual(NOTHING);
});

const volumeConfig = (overrides: Partial<VolumeConfig> = {}): VolumeConfig => ({
  name: 'sam-env-1-data',
  sizeGb: 10,
  location: 'fsn1',
  labels: { 'sam-environment': 'env-1', 'sam-volume-name': 'data' },
  ...overrides,
});

const bodyOf = (index: number) =>
  JSON.parse(emulator.requests[index]?.body ?? '{}') as Record<string, unknown>;
/** The requests since `from`, as `METHOD path`. */
const sent = (from = 0) => emulator.requests.slice(from).map((entry) => `${entry.method} ${entry.path}`);
const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('resolved');
    },
    (error: unknown) => error,
  );
const running = (location = 'fsn1') => String(emulator.seedServer({ status: 'running', location }).id);

describe('HetznerProvider volumes: capabilities and configuration', () => {
  it('reports true capabilities: 10–10 000 GB, 16 per server, grow only, same location, SAM’s lifecycle', () => {
    expect(provider.volumeCapabilities).toMatchObject({
      supported: true,
      minSizeGb: 10,
      maxSizeGb: 10_000,
      maxAttachedVolumesPerServer: 16,
      growOnlyResize: true,
      requiresSameLocation: true,
      defaultFormat: 'ext4',
      lifecycle: {
        filesystem: 'ext4',
        mountPathTemplate: '/mnt/sam-env-{environmentId}/',
        fstabOptions: ['nofail'],
      },
    });
  });

  it.each([
    ['waitTimeoutMs', { waitTimeoutMs: -1 }],
    ['waitTimeoutMs', { waitTimeoutMs: 1.5 }],
    ['pollIntervalMs', { pollIntervalMs: 0 }],
    ['pollIntervalMs', { pollIntervalMs: 60_001 }],
  ])('refuses a bad %s', (field, settings) => {
    expect(() => make(settings)).toThrow(
      expect.objectContaining({ category: 'invalid_input', field: `config.${field}` }),
    );
  });
});

describe('HetznerProvider.createVolume', () => {
  it('creates with one POST of name, size, location and labels, neither format nor automount', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const volume = await provider.createVolume(volumeConfig({ format: 'ext4' }));
    expect(sent()).toEqual(['POST /v1/volumes']);
    expect(bodyOf(0)).toEqual({
      name: 'sam-env-1-data',
      size: 10,
      location: 'fsn1',
      labels: { 'sam-environment': 'env-1', 'sam-volume-name': 'data' },
    });
    expect(volume).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      name: 'sam-env-1-data',
      sizeGb: 10,
      location: 'fsn1',
      status: 'creating',
      labels: { 'sam-environment': 'env-1', 'sam-volume-name': 'data' },
      linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
    });
    expect(volume.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(volume.attachedServerId).toBeUndefined();
    expect(emulator.volume(volume.id)?.format).toBeNull();
    emulator.clock.settle();
    expect(await provider.getVolume({ volumeId: volume.id, location: 'fsn1' })).toMatchObject({
      status: 'available',
    });
  });

  it('finds the volume by its name when the create answer is lost: exactly one volume', async () => {
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', phase: 'after', drop: true, times: 1 });
    const volume = await provider.createVolume(volumeConfig());
    expect(emulator.leftovers().volumes.map((item) => item.id)).toEqual([volume.id]);
    expect(sent()).toEqual(['POST /v1/volumes', 'GET /v1/volumes']);
    expect(emulator.requests.at(-1)?.query).toEqual({ name: 'sam-env-1-data' });
    expect(volume).toMatchObject({ name: 'sam-env-1-data', labels: volumeConfig().labels });
  });

  it('retries the POST after a 5xx that created nothing, ending with exactly one volume', async () => {
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', status: 503, times: 1 });
    const volume = await provider.createVolume(volumeConfig());
    expect(emulator.leftovers().volumes.map((item) => item.id)).toEqual([volume.id]);
    expect(sent()).toEqual(['POST /v1/volumes', 'GET /v1/volumes', 'POST /v1/volumes']);
  });

  it('adopts its own late first volume when the retried POST meets it as a name conflict', async () => {
    // The first POST is held past the client's timeout and the lookups, and lands before the retry.
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', delayMs: 700, times: 1 });
    const slow = make({ timeoutMs: 100, retry: { baseDelayMs: 600, maxDelayMs: 600, random: () => 0.999 } });
    const volume = await inVirtualTime(() => slow.createVolume(volumeConfig()));
    expect(emulator.leftovers().volumes.map((item) => item.id)).toEqual([volume.id]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
  });

  it('does not take a same-named volume with other labels for its own', async () => {
    emulator.seedVolume({ name: 'sam-env-1-data', labels: { owner: 'someone-else' } });
    const failure = await rejection(provider.createVolume(volumeConfig()));
    expect(failure).toMatchObject({ category: 'conflict', code: 'uniqueness_error' });
    expect(sent()).toEqual(['POST /v1/volumes']);
  });

  it('removes the volume an aborted create made, once it has left creating, and rejects with the reason', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', phase: 'after', delayMs: 200, times: 1 });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const failure = await inVirtualTime(() => {
      setTimeout(() => controller.abort(reason), 50);
      return rejection(realistic.createVolume(volumeConfig(), { signal: controller.signal }));
    });
    expect(failure).toBe(reason);
    expect(emulator.leftovers()).toEqual(NOTHING);
    // The volume was still creating (locked): the DELETE was retried until it went through.
    expect(
      emulator.requests.filter((entry) => entry.method === 'DELETE').map((entry) => entry.status),
    ).toContain(204);
  });

  it('refuses bad input before any request', async () => {
    for (const [field, override] of [
      ['volume.sizeGb', { sizeGb: 9 }],
      ['volume.sizeGb', { sizeGb: 10_001 }],
      ['volume.name', { name: 'x'.repeat(65) }],
      ['volume.name', { name: '-data' }],
      ['volume.location', { location: 'mars1' }],
      ['volume.labels.a,b', { labels: { 'a,b': 'x' } }],
    ] as const) {
      await expect(provider.createVolume(volumeConfig(override))).rejects.toMatchObject({
        category: 'invalid_input',
        field,
      });
    }
    expect(emulator.requests).toEqual([]);
  });
});

describe('HetznerProvider.getVolume and listVolumes', () => {
  it('reads a volume with one GET; null when it is gone; invalid_input for an id of the wrong shape', async () => {
    const seeded = emulator.seedVolume({ name: 'data', size: 20, labels: { team: 'a' } });
    expect(await provider.getVolume({ volumeId: String(seeded.id), location: 'fsn1' })).toEqual({
      id: String(seeded.id),
      name: 'data',
      sizeGb: 20,
      location: 'fsn1',
      status: 'available',
      linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${seeded.id}`,
      createdAt: expect.any(String),
      labels: { team: 'a' },
    });
    expect(await provider.getVolume({ volumeId: '999999999', location: 'fsn1' })).toBeNull();
    expect(emulator.requests).toHaveLength(2);
    for (const volumeId of ['../etc', '0', '12a', '99999999999999999']) {
      await expect(provider.getVolume({ volumeId, location: 'fsn1' })).rejects.toMatchObject({
        category: 'invalid_input',
        field: 'volume.volumeId',
      });
    }
    expect(emulator.requests).toHaveLength(2);
  });

  it('checks the location of every call against where the volume is', async () => {
    const { id } = emulator.seedVolume({ location: 'nbg1' });
    const volumeId = String(id);
    const vm = running('fsn1');
    for (const call of [
      () => provider.getVolume({ volumeId, location: 'fsn1' }),
      () => provider.attachVolume({ volumeId, serverId: vm, location: 'fsn1' }),
      () => provider.detachVolume({ volumeId, location: 'fsn1' }),
      () => provider.resizeVolume({ volumeId, location: 'fsn1', sizeGb: 20 }),
      () => provider.deleteVolume({ volumeId, location: 'fsn1' }),
    ]) {
      const failure = (await rejection(call())) as ProviderError;
      expect(failure).toMatchObject({ category: 'invalid_input', field: 'volume.location' });
      expect(failure.message).toContain('is in nbg1, not in fsn1');
    }
    // One GET each, nothing else.
    expect(new Set(sent())).toEqual(new Set([`GET /v1/volumes/${volumeId}`]));
    expect(emulator.volume(volumeId)).toMatchObject({ server: null, size: 10 });
  });

  it('lists every page of one location with exact AND labels, the selector narrowing it on the server', async () => {
    const both = emulator.seedVolume({ labels: { team: 'a', role: 'db' } });
    emulator.seedVolume({ labels: { team: 'a' } });
    emulator.seedVolume({ labels: { team: 'ab', role: 'db' } });
    emulator.seedVolume({ location: 'nbg1', labels: { team: 'a', role: 'db' } });
    for (let index = 0; index < 110; index++)
      emulator.seedVolume({ labels: { team: 'a', role: 'db', n: `${index}` } });
    const listed = await provider.listVolumes({ location: 'fsn1', labels: { team: 'a', role: 'db' } });
    expect(listed).toHaveLength(111);
    expect(listed[0]?.id).toBe(String(both.id));
    expect(listed.every((volume) => volume.location === 'fsn1')).toBe(true);
    expect(emulator.requests.map((entry) => entry.query)).toEqual(
      [1, 2, 3].map((page) => ({ label_selector: 'team=a,role=db', page: String(page), per_page: '50' })),
    );
    expect((await provider.listVolumes({ location: 'nbg1' })).map((volume) => volume.labels)).toEqual([
      { team: 'a', role: 'db' },
    ]);
  });

  it('drops a reserved marker key read from the API and refuses a filter on it', async () => {
    emulator.seedVolume({ labels: { team: 'a', [`${AMBIGUOUS_LABEL_PREFIX}team`]: 'true' } });
    const [listed] = await provider.listVolumes({ location: 'fsn1' });
    expect(listed?.labels).toEqual({ team: 'a' });
    await expect(
      provider.listVolumes({ location: 'fsn1', labels: { [`${AMBIGUOUS_LABEL_PREFIX}team`]: 'true' } }),
    ).rejects.toMatchObject({ category: 'invalid_input' });
  });

  it('refuses a list claiming more pages than it will read', async () => {
    emulator.injectFault({
      method: 'GET',
      path: '/v1/volumes',
      status: 200,
      body: { volumes: [], meta: { pagination: { last_page: 1_000_000 } } },
      times: 1,
    });
    await expect(provider.listVolumes({ location: 'fsn1' })).rejects.toMatchObject({
      category: 'invalid_response',
    });
  });
});

describe('HetznerProvider.attachVolume', () => {
  it('attaches with automount off, polls the action, and resolves attached to the VM id as given', async () => {
    const vm = running();
    const volume = await provider.createVolume(volumeConfig());
    const from = emulator.requests.length;
    const attached = await provider.attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' });
    expect(attached).toMatchObject({
      id: volume.id,
      status: 'attached',
      attachedServerId: vm,
      linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
    });
    expect(sent(from)).toEqual([
      `GET /v1/volumes/${volume.id}`,
      `GET /v1/servers/${vm}`,
      `POST /v1/volumes/${volume.id}/actions/attach`,
      expect.stringMatching(/^GET \/v1\/actions\/\d+$/),
      `GET /v1/volumes/${volume.id}`,
    ]);
    expect(bodyOf(from + 2)).toEqual({ server: Number(vm), automount: false });
    expect(emulator.volume(volume.id)).toMatchObject({ server: Number(vm), automount: false });
    // Idempotent: one read, nothing sent.
    const again = emulator.requests.length;
    expect(
      await provider.attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' }),
    ).toMatchObject({
      status: 'attached',
      attachedServerId: vm,
    });
    expect(sent(again)).toEqual([`GET /v1/volumes/${volume.id}`]);
  });

  it('waits for a VM still booting (locked) and a volume still creating, then attaches', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    const result = await inVirtualTime(async () => {
      const vm = await realistic.createVM({
        name: 'agent-1',
        size: 'small',
        location: 'fsn1',
        userData: '#cloud-config\n',
      });
      const volume = await realistic.createVolume(volumeConfig());
      const started = Date.now();
      const attached = await realistic.attachVolume({
        volumeId: volume.id,
        serverId: vm.id,
        location: 'fsn1',
      });
      return { vm, volume, attached, elapsed: Date.now() - started };
    });
    expect(result.attached).toMatchObject({ status: 'attached', attachedServerId: result.vm.id });
    const posts = emulator.requests.filter((entry) => entry.path.endsWith('/actions/attach'));
    expect(posts.map((entry) => entry.status)).toContain(423);
    expect(posts.at(-1)?.status).toBe(201);
    // Boot (2.5 s) and the attach (1.5 s) are waited for, no more than a few polls apart.
    expect(result.elapsed).toBeGreaterThanOrEqual(2_500);
    expect(result.elapsed).toBeLessThan(10_000);
  });

  it('retries an attach whose action failed with locked', async () => {
    const vm = running();
    const volume = await provider.createVolume(volumeConfig());
    emulator.setVolumeActionFailure({ command: 'attach_volume', failure: 'locked', times: 1 });
    const attached = await provider.attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' });
    expect(attached).toMatchObject({ status: 'attached', attachedServerId: vm });
    expect(emulator.requestCount({ method: 'POST', path: /\/actions\/attach$/ })).toBe(2);
  });

  it('rejects with the action’s own error when the attach fails for another reason', async () => {
    const vm = running();
    const volume = await provider.createVolume(volumeConfig());
    emulator.setVolumeActionFailure({ command: 'attach_volume', failure: 'user_action_required', times: 1 });
    const failure = (await rejection(
      provider.attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({ code: 'user_action_required', retryable: false });
    expect(failure.message).toContain(`Power off and back on the server id: ${vm}`);
    expect(emulator.volume(volume.id)?.server).toBeNull();
  });

  it('refuses a volume attached elsewhere with a conflict naming that VM, sending nothing', async () => {
    const holder = running();
    const other = running();
    const { id } = emulator.seedVolume({ server: Number(holder) });
    const failure = (await rejection(
      provider.attachVolume({ volumeId: String(id), serverId: other, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'conflict', retryable: false });
    expect(failure.message).toContain(`VM ${holder}`);
    expect(sent()).toEqual([`GET /v1/volumes/${id}`]);
  });

  it('refuses a VM in another location (invalid_input naming the field) and a missing VM (not_found)', async () => {
    const { id } = emulator.seedVolume();
    const elsewhere = running('nbg1');
    const failure = (await rejection(
      provider.attachVolume({ volumeId: String(id), serverId: elsewhere, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'invalid_input', field: 'volume.serverId' });
    expect(failure.message).toContain('is in nbg1, not in fsn1');
    await expect(
      provider.attachVolume({ volumeId: String(id), serverId: '999999999', location: 'fsn1' }),
    ).rejects.toMatchObject({ category: 'not_found', message: expect.stringContaining('VM 999999999') });
    await expect(
      provider.attachVolume({ volumeId: '999999999', serverId: elsewhere, location: 'fsn1' }),
    ).rejects.toMatchObject({ category: 'not_found' });
    expect(emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('gives up after waitTimeoutMs on a VM that stays locked, naming why', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = await provider.createVM({ name: 'agent-1', size: 'small', location: 'fsn1', userData: '' });
    const { id } = emulator.seedVolume();
    const impatient = make({ waitTimeoutMs: 40 });
    const failure = (await rejection(
      impatient.attachVolume({ volumeId: String(id), serverId: vm.id, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
    expect(failure.message).toContain('locked');
  });

  it('an abort while the action runs rejects with the caller’s reason and sends nothing more', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    const vm = running();
    const { id } = emulator.seedVolume();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const outcome = await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 700);
      const failure = await rejection(
        realistic.attachVolume(
          { volumeId: String(id), serverId: vm, location: 'fsn1' },
          { signal: controller.signal },
        ),
      );
      const atAbort = emulator.requests.length;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      return { failure, atAbort, after: emulator.requests.length };
    });
    expect(outcome.failure).toBe(reason);
    expect(outcome.after).toBe(outcome.atAbort);
    expect(emulator.requests.at(-1)?.path).toMatch(/^\/v1\/actions\/\d+$/);
  });

  it('an abort before the call rejects with the reason and sends nothing', async () => {
    const controller = new AbortController();
    const reason = new Error('stop');
    controller.abort(reason);
    const signal = controller.signal;
    const calls = [
      provider.createVolume(volumeConfig(), { signal }),
      provider.attachVolume({ volumeId: '1', serverId: '2', location: 'fsn1' }, { signal }),
      provider.detachVolume({ volumeId: '1', location: 'fsn1' }, { signal }),
      provider.resizeVolume({ volumeId: '1', location: 'fsn1', sizeGb: 20 }, { signal }),
      provider.deleteVolume({ volumeId: '1', location: 'fsn1' }, { signal }),
      provider.getVolume({ volumeId: '1', location: 'fsn1' }, { signal }),
      provider.listVolumes({ location: 'fsn1' }, { signal }),
    ];
    for (const call of calls) expect(await rejection(call)).toBe(reason);
    expect(emulator.requests).toEqual([]);
  });
});

describe('HetznerProvider.detachVolume', () => {
  it('detaches, polls the action, resolves available; idempotent; null when gone', async () => {
    const vm = running();
    const { id } = emulator.seedVolume({ server: Number(vm) });
    const volumeId = String(id);
    const detached = await provider.detachVolume({ volumeId, serverId: vm, location: 'fsn1' });
    expect(detached).toMatchObject({ id: volumeId, status: 'available' });
    expect(detached?.attachedServerId).toBeUndefined();
    expect(sent()).toEqual([
      `GET /v1/volumes/${volumeId}`,
      `POST /v1/volumes/${volumeId}/actions/detach`,
      expect.stringMatching(/^GET \/v1\/actions\/\d+$/),
      `GET /v1/volumes/${volumeId}`,
    ]);
    const again = emulator.requests.length;
    expect(await provider.detachVolume({ volumeId, location: 'fsn1' })).toMatchObject({
      status: 'available',
    });
    expect(sent(again)).toEqual([`GET /v1/volumes/${volumeId}`]);
    expect(await provider.detachVolume({ volumeId: '999999999', location: 'fsn1' })).toBeNull();
  });

  it('refuses to detach from a VM the caller did not name, with a conflict naming the holder', async () => {
    const holder = running();
    const other = running();
    const { id } = emulator.seedVolume({ server: Number(holder) });
    const failure = (await rejection(
      provider.detachVolume({ volumeId: String(id), serverId: other, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'conflict' });
    expect(failure.message).toContain(`VM ${holder}`);
    expect(emulator.volume(id)?.server).toBe(Number(holder));
    expect(emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('reads again after a lost detach answer, waiting out the detach it started (locked)', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    const vm = running();
    const { id } = emulator.seedVolume({ server: Number(vm) });
    emulator.injectFault({
      method: 'POST',
      path: /\/actions\/detach$/,
      phase: 'after',
      drop: true,
      times: 1,
    });
    const detached = await inVirtualTime(() =>
      realistic.detachVolume({ volumeId: String(id), location: 'fsn1' }),
    );
    expect(detached).toMatchObject({ status: 'available' });
    const posts = emulator.requests.filter((entry) => entry.path.endsWith('/actions/detach'));
    expect(posts.map((entry) => entry.status)).toEqual([undefined, 423]);
    expect(emulator.volume(id)?.server).toBeNull();
  });
});

describe('HetznerProvider.resizeVolume', () => {
  it('grows with one action and resolves with the new size', async () => {
    const { id } = emulator.seedVolume({ size: 10 });
    const volumeId = String(id);
    const grown = await provider.resizeVolume({ volumeId, location: 'fsn1', sizeGb: 25, currentSizeGb: 10 });
    expect(grown).toMatchObject({ id: volumeId, sizeGb: 25 });
    expect(sent()).toEqual([
      `GET /v1/volumes/${volumeId}`,
      `POST /v1/volumes/${volumeId}/actions/resize`,
      expect.stringMatching(/^GET \/v1\/actions\/\d+$/),
      `GET /v1/volumes/${volumeId}`,
    ]);
    expect(bodyOf(1)).toEqual({ size: 25 });
  });

  it('refuses a shrink or the same size with zero requests when currentSizeGb says so', async () => {
    const { id } = emulator.seedVolume({ size: 20 });
    for (const sizeGb of [20, 15]) {
      await expect(
        provider.resizeVolume({ volumeId: String(id), location: 'fsn1', sizeGb, currentSizeGb: 20 }),
      ).rejects.toMatchObject({ category: 'invalid_input', field: 'volume.sizeGb' });
    }
    expect(emulator.requests).toEqual([]);
  });

  it('refuses a shrink or the same size after one GET without currentSizeGb', async () => {
    const { id } = emulator.seedVolume({ size: 20 });
    for (const sizeGb of [20, 15]) {
      const failure = (await rejection(
        provider.resizeVolume({ volumeId: String(id), location: 'fsn1', sizeGb }),
      )) as ProviderError;
      expect(failure).toMatchObject({ category: 'invalid_input', field: 'volume.sizeGb' });
      expect(failure.message).toContain('20 GB now');
    }
    expect(sent()).toEqual([`GET /v1/volumes/${id}`, `GET /v1/volumes/${id}`]);
    expect(emulator.volume(id)?.size).toBe(20);
  });

  it('resizes an attached volume, in realistic time, and refuses a missing one', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    const vm = running();
    const { id } = emulator.seedVolume({ server: Number(vm), size: 10 });
    const grown = await inVirtualTime(() =>
      realistic.resizeVolume({ volumeId: String(id), location: 'fsn1', sizeGb: 50 }),
    );
    expect(grown).toMatchObject({ sizeGb: 50, status: 'attached', attachedServerId: vm });
    // The resize runs 1 s: two polls 500 ms apart.
    expect(emulator.requestCount({ method: 'GET', path: /^\/v1\/actions\// })).toBe(2);
    await expect(
      provider.resizeVolume({ volumeId: '999999999', location: 'fsn1', sizeGb: 50 }),
    ).rejects.toMatchObject({ category: 'not_found' });
  });
});

describe('HetznerProvider.deleteVolume', () => {
  it('deletes with one GET and one DELETE; deleting again resolves after one GET', async () => {
    const { id } = emulator.seedVolume();
    await provider.deleteVolume({ volumeId: String(id), location: 'fsn1' });
    expect(sent()).toEqual([`GET /v1/volumes/${id}`, `DELETE /v1/volumes/${id}`]);
    expect(emulator.volume(id)).toBeUndefined();
    await provider.deleteVolume({ volumeId: String(id), location: 'fsn1' });
    expect(emulator.requests).toHaveLength(3);
  });

  it('refuses an attached volume with a conflict naming the VM, and leaves it attached', async () => {
    const vm = running();
    const { id } = emulator.seedVolume({ server: Number(vm) });
    const failure = (await rejection(
      provider.deleteVolume({ volumeId: String(id), location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'conflict', retryable: false });
    expect(failure.message).toContain(`VM ${vm}`);
    expect(emulator.volume(id)?.server).toBe(Number(vm));
    expect(emulator.requestCount({ method: 'DELETE' })).toBe(0);
    expect(emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('waits for a volume still creating, and for one locked by an action, then deletes it', async () => {
    emulator.clock.setMode({ mode: 'realtime' });
    await inVirtualTime(async () => {
      const fresh = await realistic.createVolume(volumeConfig());
      await realistic.deleteVolume({ volumeId: fresh.id, location: 'fsn1' });
      const { id } = emulator.seedVolume({ name: 'busy' });
      // A resize someone else started: the DELETE meets `locked` until it ends.
      await fetch(`https://api.hetzner.cloud/v1/volumes/${id}/actions/resize`, {
        method: 'POST',
        headers: { authorization: `Bearer ${HETZNER_EMULATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ size: 20 }),
      });
      await realistic.deleteVolume({ volumeId: String(id), location: 'fsn1' });
    });
    expect(emulator.leftovers().volumes).toEqual([]);
    const deletes = emulator.requests
      .filter((entry) => entry.method === 'DELETE')
      .map((entry) => entry.status);
    // No DELETE while creating; then `locked` (retried by the client, then by the wait) until the resize ended.
    expect(deletes[0]).toBe(204);
    expect(deletes.length).toBeGreaterThan(2);
    expect(deletes.slice(1, -1).every((status) => status === 423)).toBe(true);
    expect(deletes.at(-1)).toBe(204);
  });

  it('rejects a protected volume at once instead of waiting', async () => {
    const { id } = emulator.seedVolume({ protection: { delete: true } });
    await expect(provider.deleteVolume({ volumeId: String(id), location: 'fsn1' })).rejects.toMatchObject({
      category: 'conflict',
      code: 'protected',
    });
    const stored = emulator.volume(id);
    if (stored !== undefined) stored.protection.delete = false;
  });
});

describe('HetznerProvider volumes and deleteVM', () => {
  it.each(['running', 'off', 'initializing'] as const)(
    'a data volume survives deleteVM of a %s VM: available, labels kept, nothing of the VM left',
    async (status) => {
      const vm = running();
      const config = volumeConfig();
      const volume = await provider.createVolume(config);
      await provider.attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' });
      const stored = emulator.server(vm);
      if (stored !== undefined) stored.status = status;
      await provider.deleteVM(vm);
      expect(await provider.getVM(vm)).toBeNull();
      const survivor = await provider.getVolume({ volumeId: volume.id, location: 'fsn1' });
      expect(survivor).toMatchObject({
        id: volume.id,
        status: 'available',
        labels: config.labels,
        sizeGb: 10,
      });
      expect(survivor?.attachedServerId).toBeUndefined();
      const leftovers = emulator.leftovers();
      expect(leftovers.servers).toEqual([]);
      expect(leftovers.ips).toEqual([]);
      expect(leftovers.volumes.map((item) => item.id)).toEqual([volume.id]);
    },
  );

  it('a whole lifecycle ends with nothing left, with these request counts per operation', async () => {
    const counts: Record<string, number> = {};
    const measure = async <T>(name: string, operation: () => Promise<T>): Promise<T> => {
      const from = emulator.requests.length;
      const result = await operation();
      counts[name] = emulator.requests.length - from;
      return result;
    };
    const vm = running();
    const volume = await measure('create', () => provider.createVolume(volumeConfig()));
    const ref = { volumeId: volume.id, location: 'fsn1' };
    await measure('get', () => provider.getVolume(ref));
    await measure('list', () =>
      provider.listVolumes({ location: 'fsn1', labels: { 'sam-environment': 'env-1' } }),
    );
    await measure('attach', () => provider.attachVolume({ ...ref, serverId: vm }));
    await measure('attach again', () => provider.attachVolume({ ...ref, serverId: vm }));
    await measure('resize', () => provider.resizeVolume({ ...ref, sizeGb: 20, currentSizeGb: 10 }));
    await measure('shrink refused', () =>
      rejection(provider.resizeVolume({ ...ref, sizeGb: 20, currentSizeGb: 20 })),
    );
    await measure('detach', () => provider.detachVolume({ ...ref, serverId: vm }));
    await measure('detach again', () => provider.detachVolume(ref));
    await measure('delete', () => provider.deleteVolume(ref));
    await measure('delete again', () => provider.deleteVolume(ref));
    await provider.deleteVM(vm);
    expect(counts).toEqual({
      create: 1,
      get: 1,
      list: 1,
      attach: 5,
      'attach again': 1,
      resize: 4,
      'shrink refused': 0,
      detach: 4,
      'detach again': 1,
      delete: 2,
      'delete again': 1,
    });
    expect(emulator.leftovers()).toEqual(NOTHING);
  });

  it('is a typed failure throughout: an unknown failure keeps the provider’s code', async () => {
    const { id } = emulator.seedVolume();
    emulator.injectFault({
      method: 'GET',
      path: `/v1/volumes/${id}`,
      status: 403,
      body: { error: { code: 'forbidden', message: 'no' } },
    });
    const failure = await rejection(provider.getVolume({ volumeId: String(id), location: 'fsn1' }));
    expect(isProviderError(failure, 'permission')).toBe(true);
  });
});

describe('HetznerProvider volumes: edges of the API', () => {
  const apiVolume = (id: number) => ({
    id,
    name: `listed-${id}`,
    status: 'available',
    created: '2026-01-01T00:00:00+00:00',
    location: { name: 'fsn1' },
    size: 10,
    server: null,
    labels: {},
  });

  it('creates without labels as an empty set', async () => {
    const volume = await provider.createVolume({ name: 'bare', sizeGb: 10, location: 'hel1' });
    expect(bodyOf(0)).toMatchObject({ labels: {}, location: 'hel1' });
    expect(volume).toMatchObject({ location: 'hel1', labels: {} });
  });

  it('attaches a failed lookup to the original error of a create, and reports a failed cleanup', async () => {
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', status: 502, times: 1 });
    emulator.injectFault({ method: 'GET', path: '/v1/volumes', status: 500 });
    const failure = (await rejection(provider.createVolume(volumeConfig()))) as ProviderError;
    expect(failure).toMatchObject({ category: 'unavailable', statusCode: 502 });
    expect(failure.cleanupErrors).toHaveLength(1);
    emulator.clearFaults();

    const events: ProviderEvent[] = [];
    const observed = make({ onEvent: (event) => events.push(event) });
    emulator.injectFault({ method: 'POST', path: '/v1/volumes', phase: 'after', delayMs: 50, times: 1 });
    emulator.injectFault({ method: 'DELETE', status: 500 });
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 10);
    expect(await rejection(observed.createVolume(volumeConfig(), { signal: controller.signal }))).toBe(
      reason,
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'cleanup_failed', category: 'unavailable' }),
    );
    emulator.clearFaults();
  });

  it('pages on when a full last page names a next one, and reads a list without meta', async () => {
    for (let index = 0; index < 3; index++) emulator.seedVolume();
    emulator.injectFault({
      method: 'GET',
      path: '/v1/volumes',
      status: 200,
      body: {
        volumes: Array.from({ length: 50 }, (_, index) => apiVolume(9_000_000 + index)),
        meta: { pagination: { last_page: 1, next_page: 2 } },
      },
      times: 1,
    });
    // Page 2 is the emulator's: 3 volumes, a short page ends the walk.
    const listed = await provider.listVolumes({ location: 'fsn1' });
    expect(listed).toHaveLength(50);
    expect(emulator.requests.map((entry) => entry.query.page)).toEqual(['1', '2']);
    emulator.injectFault({
      method: 'GET',
      path: '/v1/volumes',
      status: 200,
      body: { volumes: [apiVolume(7)] },
      times: 1,
    });
    expect((await provider.listVolumes({ location: 'fsn1' })).map((volume) => volume.id)).toEqual(['7']);
  });

  it('refuses a 17th volume on one server with the attach limit, a quota', async () => {
    const vm = running();
    for (let index = 0; index < 16; index++) emulator.seedVolume({ server: Number(vm) });
    const { id } = emulator.seedVolume();
    const failure = await rejection(
      provider.attachVolume({ volumeId: String(id), serverId: vm, location: 'fsn1' }),
    );
    expect(failure).toMatchObject({ category: 'quota', code: 'limit_exceeded_error', statusCode: 403 });
    expect(emulator.requestCount({ method: 'POST' })).toBe(1);
  });

  it('reports a VM deleted between the check and the attach as not found', async () => {
    const vm = running();
    const { id } = emulator.seedVolume();
    emulator.injectFault({
      method: 'POST',
      path: /\/actions\/attach$/,
      status: 404,
      body: { error: { code: 'not_found', message: `server with ID ${vm} not found` } },
      times: 1,
    });
    await expect(
      provider.attachVolume({ volumeId: String(id), serverId: vm, location: 'fsn1' }),
    ).rejects.toMatchObject({
      category: 'not_found',
      statusCode: 404,
      message: expect.stringContaining(`VM ${vm} not found`),
    });
  });

  it('passes on a failure to read the VM other than 404', async () => {
    const vm = running();
    const { id } = emulator.seedVolume();
    emulator.injectFault({
      method: 'GET',
      path: `/v1/servers/${vm}`,
      status: 403,
      body: { error: { code: 'forbidden', message: 'no' } },
    });
    await expect(
      provider.attachVolume({ volumeId: String(id), serverId: vm, location: 'fsn1' }),
    ).rejects.toMatchObject({
      category: 'permission',
    });
  });

  it('polls on through failed polls, and rejects an action that vanished', async () => {
    const vm = running();
    const { id } = emulator.seedVolume();
    // More failures than the client retries: the wait itself polls again.
    emulator.injectFault({ method: 'GET', path: /^\/v1\/actions\//, status: 503, times: 5 });
    const attached = await provider.attachVolume({ volumeId: String(id), serverId: vm, location: 'fsn1' });
    expect(attached).toMatchObject({ status: 'attached' });
    expect(emulator.requestCount({ path: /^\/v1\/actions\// })).toBe(6);
    emulator.injectFault({
      method: 'GET',
      path: /^\/v1\/actions\//,
      status: 404,
      body: { error: { code: 'not_found', message: 'action with ID 1 not found' } },
      times: 1,
    });
    await expect(provider.detachVolume({ volumeId: String(id), location: 'fsn1' })).rejects.toMatchObject({
      category: 'not_found',
    });
  });

  it('reads a failed action’s code through the error table', async () => {
    const { id } = emulator.seedVolume();
    emulator.injectFault({
      method: 'GET',
      path: /^\/v1\/actions\//,
      status: 200,
      body: {
        action: {
          id: 1,
          command: 'resize_volume',
          status: 'error',
          error: { code: 'server_error', message: 'boom' },
        },
      },
      times: 1,
    });
    const failure = (await rejection(
      provider.resizeVolume({ volumeId: String(id), location: 'fsn1', sizeGb: 20 }),
    )) as ProviderError;
    expect(failure).toMatchObject({
      category: 'unavailable',
      code: 'server_error',
      context: { actionId: 1 },
    });
    expect(failure.message).toContain('resize_volume');
    expect(failure.message).toContain('boom');
  });

  it('retries a resize whose action failed with locked, and waits for a volume still creating', async () => {
    const { id } = emulator.seedVolume({ size: 10 });
    emulator.setVolumeActionFailure({ command: 'resize_volume', failure: 'locked', times: 1 });
    expect(await provider.resizeVolume({ volumeId: String(id), location: 'fsn1', sizeGb: 11 })).toMatchObject(
      {
        sizeGb: 11,
      },
    );
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
    emulator.clock.setMode({ mode: 'realtime' });
    const grown = await inVirtualTime(async () => {
      const fresh = await realistic.createVolume(volumeConfig());
      return realistic.resizeVolume({ volumeId: fresh.id, location: 'fsn1', sizeGb: 30 });
    });
    expect(grown).toMatchObject({ sizeGb: 30, status: 'available' });
  });

  it('resolves a delete whose volume vanished between the read and the DELETE', async () => {
    const { id } = emulator.seedVolume();
    emulator.injectFault({
      method: 'DELETE',
      status: 404,
      body: { error: { code: 'not_found', message: 'volume not found' } },
      times: 1,
    });
    await expect(provider.deleteVolume({ volumeId: String(id), location: 'fsn1' })).resolves.toBeUndefined();
  });

  it('times out on a volume that stays creating, naming what it waited for', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = running();
    const volume = await provider.createVolume(volumeConfig());
    const failure = (await rejection(
      make({ waitTimeoutMs: 30 }).attachVolume({ volumeId: volume.id, serverId: vm, location: 'fsn1' }),
    )) as ProviderError;
    expect(failure).toMatchObject({ category: 'timeout' });
    expect(failure.message).toBe(`Gave up waiting for volume ${volume.id} to attach to VM ${vm} after 30 ms`);
  });
});

describe('mapHetznerVolume and mapHetznerActionError', () => {
  const base = {
    id: 5,
    name: 'data',
    status: 'available',
    created: '2026-01-01T00:00:00+00:00',
    location: { name: 'nbg1' },
    size: 40,
  };

  it.each([
    [{ status: 'creating' }, 'creating'],
    [{ status: 'available', server: null }, 'available'],
    [{ status: 'available', server: 42 }, 'attached'],
    [{ status: 'a-future-status' }, 'unknown'],
  ] as const)('%o → %s', (overrides, status) => {
    expect(mapHetznerVolume({ ...base, ...overrides }).status).toBe(status);
  });

  it('maps a sparse volume: no server, device or labels', () => {
    expect(mapHetznerVolume({ ...base, linux_device: null, labels: null })).toEqual({
      id: '5',
      name: 'data',
      sizeGb: 40,
      location: 'nbg1',
      status: 'available',
      createdAt: '2026-01-01T00:00:00.000Z',
      labels: {},
    });
    expect(mapHetznerVolume({ ...base, server: 42 }).attachedServerId).toBe('42');
  });

  it('reads an action error without code, command or message as unknown', () => {
    expect(mapHetznerActionError({ id: 3, command: null, error: null })).toEqual({
      category: 'unknown',
      retryable: false,
      message: 'Hetzner action 3 failed: no reason given',
    });
    expect(
      mapHetznerActionError({ id: 3, command: 'attach_volume', error: { code: 'locked' } }),
    ).toMatchObject({
      category: 'conflict',
      retryable: true,
      code: 'locked',
    });
  });
});

describe('HetznerProvider.createVolume never takes over an older volume of the same name', () => {
  it('refuses with the name conflict, and leaves the existing volume alone, when its own answer was lost', async () => {
    const existing = emulator.seedVolume({
      name: 'sam-env-1-data',
      size: 10,
      location: 'fsn1',
      labels: { 'sam-environment': 'env-1' },
      created: '2020-01-01T00:00:00+00:00',
    });
    // The POST never reaches the API: the lookup finds only the older volume, which is not this call's.
    emulator.injectFault({ method: 'POST', path: /\/volumes$/, drop: true, times: 1 });
    const failure = await provider
      .createVolume({
        name: 'sam-env-1-data',
        sizeGb: 10,
        location: 'fsn1',
        labels: { 'sam-environment': 'env-1' },
      })
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ category: 'conflict', providerCode: 'uniqueness_error' });
    expect(emulator.volume(existing.id)).toBeDefined();
    expect(emulator.leftovers().volumes).toHaveLength(1);
  });
});
