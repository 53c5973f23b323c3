import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createProvider,
  type ProviderError,
  type ProviderEvent,
  SCALEWAY_ZONE_IDS,
  ScalewayProvider,
  type ScalewayProviderConfig,
  type ScalewayZone,
  type VMConfig,
} from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';
import { inVirtualTime } from '../virtual-time.js';

const emulator = new ScalewayEmulator();
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
});

const OTHER_PROJECT = '9d0c1b2a-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const USER_DATA = '#cloud-config\nwrite_files:\n  - content: "token-abc-123-very-secret"\n';
const ZONES = SCALEWAY_ZONE_IDS;

const provider = (overrides: Partial<ScalewayProviderConfig> = {}) =>
  new ScalewayProvider(scalewayTestConfig(overrides));

const config = (overrides: Partial<VMConfig> = {}): VMConfig => ({
  name: 'agent-1',
  size: 'small',
  location: 'fr-par-1',
  userData: USER_DATA,
  labels: { team: 'a', workspace: '42' },
  ...overrides,
});

const uuidOf = (id: string) => id.split('/')[1] as string;
const leftovers = () => {
  emulator.clock.settle();
  const { servers, volumes, ips } = emulator.leftovers();
  return servers.length + volumes.length + ips.length;
};

describe('ScalewayProvider.createVM', () => {
  it('resolves the image, then POSTs, sets cloud-init as text/plain and powers on, in that order', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = await provider().createVM(config());
    const calls = emulator.requests.map((request) => `${request.method} ${request.path}`);
    const id = uuidOf(vm.id);
    expect(calls).toEqual([
      'GET /marketplace/v2/local-images',
      'POST /instance/v1/zones/fr-par-1/servers',
      `PATCH /instance/v1/zones/fr-par-1/servers/${id}/user_data/cloud-init`,
      `POST /instance/v1/zones/fr-par-1/servers/${id}/action`,
    ]);
    expect(emulator.requests[0]?.query).toMatchObject({ image_label: 'ubuntu_noble', zone: 'fr-par-1' });
    const post = JSON.parse(emulator.requests[1]?.body ?? '{}') as Record<string, unknown>;
    expect(post).toMatchObject({
      name: 'agent-1',
      commercial_type: 'DEV1-M',
      image: emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local'),
      project: SCALEWAY_EMULATOR_PROJECT_ID,
      dynamic_ip_required: true,
    });
    expect(post.tags).toEqual([
      'team=a',
      'workspace=42',
      expect.stringMatching(/^sam-creation:[0-9a-f-]{36}$/),
    ]);
    expect(emulator.requests[1]?.headers['content-type']).toBe('application/json');
    expect(emulator.requests[1]?.headers['x-auth-token']).toBe('[REDACTED]');
    expect(emulator.requests[2]?.headers['content-type']).toBe('text/plain');
    expect(JSON.parse(emulator.requests[3]?.body ?? '{}')).toEqual({ action: 'poweron' });
    expect(emulator.userData('fr-par-1', id, 'cloud-init')).toBe(USER_DATA);
    expect(vm).toMatchObject({
      id: `fr-par-1/${id}`,
      status: 'starting',
      ip: '',
      location: 'fr-par-1',
      serverType: 'DEV1-M',
      labels: { team: 'a', workspace: '42' },
    });
    expect(emulator.getServer('fr-par-1', id)?.state).toBe('starting');
  });

  it('resolves each image label once per zone and commercial type, then costs 3 requests per create', async () => {
    const scaleway = provider();
    await Promise.all([
      scaleway.createVM(config({ name: 'a1' })),
      scaleway.createVM(config({ name: 'a2' })),
      scaleway.createVM(config({ name: 'a3', location: 'nl-ams-1' })),
    ]);
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(2);
    emulator.clearRequests();
    const vm = await scaleway.createVM(config({ name: 'a4', location: 'nl-ams-1' }));
    expect(emulator.requestCount()).toBe(3);
    const stored = emulator.getServer('nl-ams-1', uuidOf(vm.id));
    expect(stored?.imageId).toBe(emulator.marketplaceImageId('ubuntu_noble', 'nl-ams-1', 'instance_local'));
    expect(stored?.imageId).not.toBe(
      emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_local'),
    );
    await scaleway.createVM(config({ name: 'a5', location: 'nl-ams-1', size: 'large' }));
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(1);
  });

  it('uses an image UUID as is and accepts labels written with dashes', async () => {
    const image = emulator.marketplaceImageId('ubuntu_jammy', 'fr-par-1', 'instance_local');
    const vm = await provider().createVM(config({ image }));
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(0);
    expect(emulator.getServer('fr-par-1', uuidOf(vm.id))?.imageId).toBe(image);
    const dashed = await provider({ image: 'ubuntu-jammy' }).createVM(config({ name: 'agent-2' }));
    expect(emulator.getServer('fr-par-1', uuidOf(dashed.id))?.imageId).toBe(image);
  });

  it('rejects an unknown image label as invalid_input naming the label and zone, creating nothing', async () => {
    const failure = (await provider()
      .createVM(config({ image: 'ubuntu_warty', location: 'pl-waw-1' }))
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'invalid_input', field: 'vm.image' });
    expect(failure.message).toContain('ubuntu_warty');
    expect(failure.message).toContain('pl-waw-1');
    expect(emulator.requestCount({ method: 'POST' })).toBe(0);
  });

  it('refuses a size in a zone that does not offer it, before any request, listing the zones that do', async () => {
    const failure = (await provider()
      .createVM(config({ location: 'fr-par-3' }))
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'invalid_input', field: 'vm.size' });
    expect(failure.message).toContain('fr-par-1, fr-par-2, nl-ams-1, nl-ams-2, pl-waw-1, pl-waw-2');
    await expect(provider().createVM(config({ location: 'nl-ams-3', size: 'large' }))).rejects.toMatchObject({
      field: 'vm.size',
    });
    await expect(
      provider({ zones: ['fr-par-1'] }).createVM(config({ location: 'fr-par-2' })),
    ).rejects.toMatchObject({
      field: 'vm.location',
    });
    expect(emulator.requests).toHaveLength(0);
  });

  it.each([
    [
      'the user-data PATCH',
      {
        method: 'PATCH',
        path: /\/user_data\//,
        status: 400,
        body: { type: 'invalid_arguments', message: 'bad' },
      },
    ],
    [
      'poweron',
      {
        method: 'POST',
        path: /\/action$/,
        status: 503,
        body: { type: 'out_of_stock', message: 'resource is out of stock' },
      },
    ],
  ])(
    'removes the server and its volumes when %s fails, and rethrows the original error',
    async (_, fault) => {
      emulator.injectFault(fault);
      const failure = (await provider()
        .createVM(config())
        .catch((error: unknown) => error)) as ProviderError;
      expect(failure.statusCode).toBe(fault.status);
      expect(failure.cleanupErrors).toEqual([]);
      expect(leftovers()).toBe(0);
    },
  );

  it('attaches a failed cleanup to the original error instead of swallowing it', async () => {
    emulator.injectFault({
      method: 'PATCH',
      path: /\/user_data\//,
      status: 400,
      body: { type: 'invalid_arguments', message: 'bad' },
    });
    emulator.injectFault({
      method: 'DELETE',
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    const failure = (await provider()
      .createVM(config())
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'invalid_request', statusCode: 400 });
    expect(failure.cleanupErrors).toHaveLength(1);
    expect(failure.cleanupErrors[0]).toMatchObject({ category: 'permission' });
  });

  it('removes the server when the caller aborts after the POST', async () => {
    emulator.injectFault({ method: 'PATCH', delayMs: 200 });
    const controller = new AbortController();
    const reason = new Error('handler deadline');
    // Virtual time: the abort lands at the same point of the call on any machine.
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 40);
      await expect(provider().createVM(config(), { signal: controller.signal })).rejects.toBe(reason);
    });
    expect(leftovers()).toBe(0);
  });

  it('adopts a server whose create answer was lost or late: no duplicate, no orphan', async () => {
    for (const fault of [{ drop: true }, { delayMs: 3_000 }, { status: 502 }]) {
      emulator.reset();
      emulator.injectFault({ method: 'POST', path: /\/servers$/, phase: 'after', times: 1, ...fault });
      const vm = await provider().createVM(config());
      expect(emulator.servers().map((stored) => stored.id)).toEqual([uuidOf(vm.id)]);
      expect(emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(1);
      expect(emulator.userData('fr-par-1', uuidOf(vm.id), 'cloud-init')).toBe(USER_DATA);
    }
  });

  it('retries the POST after a lost request that never reached Scaleway, after looking it up', async () => {
    emulator.injectFault({ method: 'POST', path: /\/servers$/, drop: true, times: 1 });
    emulator.injectFault({ method: 'POST', path: /\/servers$/, status: 503, times: 1 });
    const vm = await provider({ timeoutMs: 100 }).createVM(config());
    expect(emulator.servers()).toHaveLength(1);
    expect(emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(3);
    // A lost answer is looked up patiently (the create may still be running), a 503 once; then the twin check.
    expect(emulator.requestCount({ method: 'GET', path: /\/servers$/ })).toBeGreaterThanOrEqual(3);
    expect(vm.status).toBe('starting');
  });

  it('finds a server committed after the client gave up on the POST, and makes no duplicate', async () => {
    // The request is held before Scaleway acts on it, longer than the client waits: the commit comes late.
    emulator.injectFault({ method: 'POST', path: /\/servers$/, delayMs: 150, times: 1 });
    const vm = await inVirtualTime(async () => {
      const created = await provider({ timeoutMs: 100 }).createVM(config());
      await new Promise((resolve) => setTimeout(resolve, 200));
      return created;
    });
    emulator.clock.settle();
    expect(emulator.servers().map((stored) => stored.id)).toEqual([uuidOf(vm.id)]);
    expect(emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(1);
  });

  it('removes the twin a late first POST made after the retried one was sent', async () => {
    // Timeline: POST #1 is held 450 ms before Scaleway acts on it; the client gives up at 200 ms and looks for it
    // until ~400 ms; POST #2 then creates a server at once, its answer held 150 ms; POST #1 commits at 450 ms; the
    // twin sweep after POST #2's answer (~550 ms) finds both and removes the first.
    emulator.injectFault({ method: 'POST', path: /\/servers$/, delayMs: 450, times: 1 });
    emulator.injectFault({ method: 'POST', path: /\/servers$/, phase: 'after', delayMs: 150, times: 1 });
    const vm = await inVirtualTime(async () => {
      const created = await provider({ timeoutMs: 200, pollIntervalMs: 20 }).createVM(config());
      await new Promise((resolve) => setTimeout(resolve, 100));
      return created;
    });
    emulator.clock.settle();
    expect(emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(2);
    expect(emulator.servers().map((stored) => stored.id)).toEqual([uuidOf(vm.id)]);
    expect(leftovers()).toBe(3);
  });

  it('treats a malformed 2xx answer to the POST as lost: the server is adopted, not leaked', async () => {
    emulator.injectFault({
      method: 'POST',
      path: /\/servers$/,
      phase: 'after',
      status: 201,
      body: { server: { id: 'x' } },
      times: 1,
    });
    const vm = await provider().createVM(config());
    expect(emulator.servers().map((stored) => stored.id)).toEqual([uuidOf(vm.id)]);
  });

  it('on an abort during the POST, waits for its answer and removes the server', async () => {
    emulator.injectFault({ method: 'POST', path: /\/servers$/, phase: 'after', delayMs: 60, times: 1 });
    const controller = new AbortController();
    const reason = new Error('gone');
    // Virtual time: the abort lands at the same point of the call on any machine.
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(provider().createVM(config(), { signal: controller.signal })).rejects.toBe(reason);
    });
    expect(leftovers()).toBe(0);
  });

  it('reports a failed cleanup through onEvent when the error is the caller’s abort reason', async () => {
    const events: ProviderEvent[] = [];
    emulator.injectFault({ method: 'PATCH', delayMs: 60 });
    emulator.injectFault({
      method: 'DELETE',
      status: 403,
      body: { type: 'permissions_denied', message: 'no' },
    });
    const controller = new AbortController();
    const reason = new Error('gone');
    // Virtual time: the abort lands at the same point of the call on any machine.
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 10);
      await expect(
        provider({ onEvent: (event) => events.push(event) }).createVM(config(), {
          signal: controller.signal,
        }),
      ).rejects.toBe(reason);
    });
    expect(events.filter((event) => event.type === 'cleanup_failed')).toEqual([
      expect.objectContaining({
        category: 'permission',
        resource: expect.stringMatching(/^server fr-par-1\//),
      }),
    ]);
  });

  it('retries the POST after Scaleway’s empty-bodied 429 without a lookup', async () => {
    emulator.injectFault(scalewayRateLimitFault({ method: 'POST', path: /\/servers$/, times: 2 }));
    await provider().createVM(config());
    expect(emulator.servers()).toHaveLength(1);
    expect(emulator.requestCount({ method: 'GET', path: /\/servers$/ })).toBe(0);
  });

  it('gives up on a POST that keeps failing, with nothing created', async () => {
    emulator.injectFault({ method: 'POST', path: /\/servers$/, status: 500 });
    const failure = (await provider()
      .createVM(config())
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'unavailable', retryable: true });
    expect(emulator.requestCount({ method: 'POST', path: /\/servers$/ })).toBe(4);
    expect(leftovers()).toBe(0);
  });

  it('surfaces a quota refusal as quota, with nothing created', async () => {
    const limited = new ScalewayEmulator({ quota: { servers: 0 } });
    const local = setupServer(...limited.handlers('https://quota.example.test'));
    server.close();
    local.listen({ onUnhandledRequest: 'error' });
    try {
      const failure = await provider({ apiUrl: 'https://quota.example.test' })
        .createVM(config())
        .catch((error: unknown) => error);
      expect(failure).toMatchObject({ category: 'quota', code: 'quotas_exceeded', retryable: false });
      expect(limited.leftovers().servers).toEqual([]);
    } finally {
      local.close();
      server.listen({ onUnhandledRequest: 'error' });
    }
  });
});

describe('ScalewayProvider.deleteVM', () => {
  const seed = (state: Parameters<typeof emulator.seedServer>[0]) =>
    emulator.seedServer({ commercialType: 'DEV1-M', ...state });

  // GET, the removal, and the boot volume's DELETE where the removal leaves it; that boot volume is marked first
  // (one PATCH; a Block one is read before, its tags not being in the server's read), so that a deleteVM called
  // again after the server went still finds it.
  it.each([
    ['running', 'l_ssd', 2],
    ['stopped in place', 'l_ssd', 2],
    ['stopped', 'l_ssd', 4],
    ['running', 'sbs_volume', 5],
    ['stopped', 'sbs_volume', 5],
  ] as const)(
    'deletes a %s server with an %s root, leaving nothing, in %i requests',
    async (state, volumeType, budget) => {
      const stored = seed({ state, volumeType });
      await provider().deleteVM(`fr-par-1/${stored.id}`);
      expect(emulator.requestCount()).toBe(budget);
      expect(leftovers()).toBe(0);
    },
  );

  it.each(['starting', 'stopping'] as const)(
    'waits for a %s server to settle, then deletes it',
    async (state) => {
      emulator.clock.setMode({ mode: 'realtime', speed: 50 });
      const stored = seed({ state, volumeType: 'l_ssd' });
      await provider().deleteVM(`fr-par-1/${stored.id}`);
      expect(emulator.requestCount({ method: 'GET' })).toBeGreaterThan(1);
      expect(leftovers()).toBe(0);
    },
  );

  it('refuses a locked server with a conflict and touches nothing', async () => {
    const stored = seed({ state: 'locked' });
    await expect(provider().deleteVM(`fr-par-1/${stored.id}`)).rejects.toMatchObject({
      category: 'conflict',
      retryable: false,
    });
    expect(emulator.getServer('fr-par-1', stored.id)).toBeDefined();
    expect(emulator.requestCount()).toBe(1);
  });

  it('resolves for unknown and already deleted ids', async () => {
    const stored = seed({ state: 'stopped' });
    await provider().deleteVM(`fr-par-1/${stored.id}`);
    await provider().deleteVM(`fr-par-1/${stored.id}`);
    await provider().deleteVM('fr-par-1/11111111-2222-4333-8444-555555555555');
    expect(leftovers()).toBe(0);
  });

  it('refuses, rather than pretends, when the key may not see the server', async () => {
    // A 403 may mean the key lost its permissions: resolving would leave a paid server behind unnoticed.
    const foreign = emulator.seedServer({ project: OTHER_PROJECT });
    await expect(provider().deleteVM(`fr-par-1/${foreign.id}`)).rejects.toMatchObject({
      category: 'permission',
    });
    await expect(provider().getVM(`fr-par-1/${foreign.id}`)).rejects.toMatchObject({
      category: 'permission',
    });
    expect(emulator.getServer('fr-par-1', foreign.id)).toBeDefined();
  });

  it('follows a state change between the read and the action', async () => {
    const stored = seed({ state: 'stopped', volumeType: 'l_ssd' });
    emulator.injectFault({
      method: 'DELETE',
      path: /\/servers\//,
      status: 400,
      body: { type: 'invalid_request_error', message: 'instance should be powered off' },
      times: 1,
    });
    await provider().deleteVM(`fr-par-1/${stored.id}`);
    expect(leftovers()).toBe(0);
  });

  it('gives up waiting after waitTimeoutMs with a retryable timeout', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const stored = seed({ state: 'starting' });
    const failure = await provider({ waitTimeoutMs: 30 })
      .deleteVM(`fr-par-1/${stored.id}`)
      .catch((error: unknown) => error);
    expect(failure).toMatchObject({ category: 'timeout', retryable: true });
  });

  it('finds a bare UUID in the default zone first, then in the others at once', async () => {
    const local = seed({ zone: 'fr-par-1', state: 'running' });
    await provider().deleteVM(local.id);
    expect(emulator.requestCount()).toBe(2);
    emulator.clearRequests();
    const far = seed({ zone: 'it-mil-1', commercialType: 'PLAY2-NANO', state: 'stopped' });
    expect((await provider().getVM(far.id))?.id).toBe(`it-mil-1/${far.id}`);
    expect(emulator.requestCount()).toBe(ZONES.length);
  });
});

describe('ScalewayProvider reads and actions', () => {
  it('reads a VM with one request and maps it', async () => {
    const stored = emulator.seedServer({ zone: 'pl-waw-2', state: 'running', tags: ['team=a', 'loose-tag'] });
    emulator.clock.settle();
    const vm = await provider().getVM(`pl-waw-2/${stored.id}`);
    expect(emulator.requestCount()).toBe(1);
    expect(vm).toMatchObject({
      id: `pl-waw-2/${stored.id}`,
      status: 'running',
      location: 'pl-waw-2',
      labels: { team: 'a' },
    });
    expect(vm?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('returns null for malformed ids and unknown zones without a request', async () => {
    const scaleway = provider();
    for (const id of [
      'fr-par-9/11111111-2222-4333-8444-555555555555',
      '../x',
      'fr-par-1/../../admin',
      'fr-par-1/',
    ]) {
      expect(await scaleway.getVM(id)).toBeNull();
    }
    expect(emulator.requestCount()).toBe(0);
  });

  it('maps locked to an unusable status', async () => {
    const stored = emulator.seedServer({ state: 'locked' });
    expect((await provider().getVM(`fr-par-1/${stored.id}`))?.status).toBe('locked');
  });

  it('powers off and on with one request each', async () => {
    const stored = emulator.seedServer({ state: 'running' });
    const scaleway = provider();
    await scaleway.powerOff(`fr-par-1/${stored.id}`);
    expect(emulator.requestCount()).toBe(1);
    emulator.clearRequests();
    await scaleway.powerOn(`fr-par-1/${stored.id}`);
    expect(emulator.requestCount()).toBe(1);
    expect(emulator.getServer('fr-par-1', stored.id)?.state).toBe('running');
  });

  it('resolves an action the server is already in or heading to', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const stored = emulator.seedServer({ state: 'stopped' });
    const scaleway = provider();
    await scaleway.powerOff(`fr-par-1/${stored.id}`);
    await scaleway.powerOn(`fr-par-1/${stored.id}`);
    await scaleway.powerOn(`fr-par-1/${stored.id}`);
    expect(emulator.getServer('fr-par-1', stored.id)?.state).toBe('starting');
    const locked = emulator.seedServer({ state: 'locked' });
    await expect(scaleway.powerOn(`fr-par-1/${locked.id}`)).rejects.toMatchObject({ category: 'conflict' });
  });

  it('waits out a power-off still running, then powers on (a refusal in a state that passes)', async () => {
    emulator.clock.setMode({ mode: 'realtime', speed: 50 });
    const stored = emulator.seedServer({ state: 'stopping' });
    await provider().powerOn(`fr-par-1/${stored.id}`);
    const actions = emulator.requests.filter((request) => request.path.endsWith('/action'));
    expect(actions.map((request) => request.status)).toEqual([409, 202]);
    expect(emulator.requestCount({ method: 'GET' })).toBeGreaterThan(1);
    expect(emulator.getServer('fr-par-1', stored.id)?.state).toMatch(/^(starting|running)$/);
  });

  it('sends the action again when the refusal met a state that has passed (back to stopped)', async () => {
    const stored = emulator.seedServer({ state: 'stopped' });
    emulator.injectFault({
      method: 'POST',
      path: /\/action$/,
      status: 400,
      body: { type: 'invalid_request_error', message: 'server should be stopped' },
      times: 1,
    });
    await provider().powerOn(`fr-par-1/${stored.id}`);
    expect(emulator.requests.map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 400',
      'GET 200',
      'POST 202',
    ]);
    // Refused every time: it gives up with the refusal after three tries.
    const other = emulator.seedServer({ state: 'stopped' });
    emulator.injectFault({
      method: 'POST',
      path: /\/action$/,
      status: 400,
      body: { type: 'invalid_request_error', message: 'server should be stopped' },
    });
    await expect(provider().powerOn(`fr-par-1/${other.id}`)).rejects.toMatchObject({ category: 'conflict' });
  });

  it('reports an unknown id as not_found for actions and rejects malformed ids', async () => {
    await expect(provider().powerOn('11111111-2222-4333-8444-555555555555')).rejects.toMatchObject({
      category: 'not_found',
    });
    await expect(provider().powerOff('fr-par-1/nope')).rejects.toMatchObject({
      category: 'invalid_input',
      field: 'id',
    });
  });
});

describe('ScalewayProvider.listVMs', () => {
  it.each([0, 1, 100, 101, 250])(
    'lists %i servers of one zone in ceil(n/100) requests there',
    async (count) => {
      emulator.seedServers(count, { zone: 'nl-ams-2', tags: ['fleet=x'] });
      emulator.seedServers(3, { zone: 'nl-ams-2', project: OTHER_PROJECT, tags: ['fleet=x'] });
      const listed = await provider({ zones: ['nl-ams-2'], zone: 'nl-ams-2' }).listVMs({ fleet: 'x' });
      expect(listed).toHaveLength(count);
      expect(new Set(listed.map((vm) => vm.id)).size).toBe(count);
      expect(emulator.requestCount()).toBe(Math.max(Math.ceil(count / 100), 1));
      expect(emulator.requests[0]?.query).toMatchObject({
        project: SCALEWAY_EMULATOR_PROJECT_ID,
        tags: 'fleet=x',
        per_page: '100',
      });
    },
  );

  it('covers every zone, one request each when small', async () => {
    for (const [index, zone] of ZONES.entries()) {
      emulator.seedServers(index + 1, { zone: zone as ScalewayZone, commercialType: 'PLAY2-NANO' });
    }
    const listed = await provider().listVMs();
    expect(listed).toHaveLength(55);
    expect(new Set(listed.map((vm) => vm.location)).size).toBe(10);
    expect(emulator.requestCount()).toBe(10);
  });

  it('filters labels exactly and with AND, including values the tag filter cannot carry', async () => {
    const both = emulator.seedServer({ tags: ['team=a', 'role=agent'] });
    emulator.seedServer({ tags: ['team=a'] });
    emulator.seedServer({ tags: ['team=ab', 'role=agent'] });
    const comma = emulator.seedServer({ tags: ['team=a', 'note=x,y'] });
    emulator.seedServer({ tags: ['team=a', 'note=x'] });
    const scaleway = provider({ zones: ['fr-par-1'] });
    expect((await scaleway.listVMs({ team: 'a', role: 'agent' })).map((vm) => vm.id)).toEqual([
      `fr-par-1/${both.id}`,
    ]);
    expect((await scaleway.listVMs({ note: 'x,y' })).map((vm) => vm.id)).toEqual([`fr-par-1/${comma.id}`]);
    expect(emulator.requests.at(-1)?.query.tags).toBeUndefined();
  });

  it('fails the whole call when a zone fails, naming the zone', async () => {
    emulator.injectFault({
      method: 'GET',
      path: '/instance/v1/zones/pl-waw-1/servers',
      status: 403,
      body: { type: 'permissions_denied', message: 'insufficient permissions' },
    });
    const failure = (await provider()
      .listVMs()
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'permission', statusCode: 403 });
    expect(failure.message).toContain('pl-waw-1');
  });

  it('walks pages when X-Total-Count is missing, and refuses an absurd one', async () => {
    emulator.seedServers(150, { zone: 'fr-par-2' });
    const zone = { zones: ['fr-par-2'], zone: 'fr-par-2' };
    const servers = (count: number) =>
      Array.from({ length: count }, (_, index) => ({
        id: `0000000${index % 10}-0000-4000-8000-${String(index).padStart(12, '0')}`,
        name: `s${index}`,
        state: 'running',
        commercial_type: 'DEV1-M',
        project: SCALEWAY_EMULATOR_PROJECT_ID,
      }));
    emulator.injectFault({ method: 'GET', status: 200, body: { servers: servers(100) }, times: 1 });
    emulator.injectFault({ method: 'GET', status: 200, body: { servers: servers(7) }, times: 1 });
    expect(await provider(zone).listVMs()).toHaveLength(100);
    expect(emulator.requestCount()).toBe(2);
    emulator.injectFault({
      method: 'GET',
      status: 200,
      body: { servers: servers(100) },
      headers: { 'x-total-count': '1000000000' },
      times: 1,
    });
    await expect(provider(zone).listVMs()).rejects.toMatchObject({ category: 'invalid_response' });
  });
});

describe('ScalewayProvider.validateToken', () => {
  it('is true for the right key and project, and rejects a wrong key or an unknown project, non-retryably', async () => {
    expect(await provider().validateToken()).toBe(true);
    expect(emulator.requests[0]?.path).toBe(`/account/v3/projects/${SCALEWAY_EMULATOR_PROJECT_ID}`);
    const wrongKey = await provider({ secretKey: '00000000-0000-4000-8000-000000000000' })
      .validateToken()
      .catch((error: unknown) => error);
    expect(wrongKey).toMatchObject({
      category: 'auth',
      retryable: false,
      statusCode: 401,
      providerName: 'scaleway',
    });
    expect((wrongKey as Error).message).toMatch(/^Scaleway rejected the credentials: /);
    await expect(provider({ projectId: OTHER_PROJECT }).validateToken()).rejects.toMatchObject({
      category: 'not_found',
      retryable: false,
    });
  });

  it('falls back to listing servers when the key may not read projects', async () => {
    const denied = { type: 'permissions_denied', message: 'insufficient permissions', details: [] };
    emulator.injectFault({ path: '/account/*', status: 403, body: denied });
    expect(await provider().validateToken()).toBe(true);
    expect(emulator.requests.at(-1)?.query).toMatchObject({
      per_page: '1',
      project: SCALEWAY_EMULATOR_PROJECT_ID,
    });
    emulator.injectFault({ path: '/instance/*', status: 403, body: denied });
    await expect(provider().validateToken()).rejects.toMatchObject({
      category: 'permission',
      retryable: false,
      providerCode: 'permissions_denied',
    });
  });

  it('throws when it cannot tell', async () => {
    emulator.injectFault({ path: '/account/*', status: 503 });
    await expect(provider().validateToken()).rejects.toMatchObject({
      category: 'unavailable',
      retryable: true,
    });
    emulator.clearFaults();
    emulator.injectFault({ path: '/account/*', status: 403 });
    emulator.injectFault({ path: '/instance/*', status: 500 });
    await expect(provider().validateToken()).rejects.toMatchObject({ category: 'unavailable' });
  });
});

describe('ScalewayProvider secrets', () => {
  it('keeps the secret key and user data out of errors and the request log', async () => {
    const events: ProviderEvent[] = [];
    const scaleway = provider({ onEvent: (event) => events.push(event) });
    emulator.injectFault({
      method: 'PATCH',
      status: 400,
      body: {
        type: 'invalid_request_error',
        message: `rejected ${USER_DATA} for ${SCALEWAY_EMULATOR_SECRET_KEY}`,
        fields: {},
      },
    });
    const failure = (await scaleway.createVM(config()).catch((error: unknown) => error)) as ProviderError;
    for (const text of [
      failure.message,
      String(failure),
      JSON.stringify(failure),
      failure.stack ?? '',
      JSON.stringify(events),
    ]) {
      expect(text).not.toContain('token-abc-123-very-secret');
      expect(text).not.toContain(SCALEWAY_EMULATOR_SECRET_KEY);
    }
    expect(JSON.stringify(emulator.requests)).not.toContain(SCALEWAY_EMULATOR_SECRET_KEY);
    expect(JSON.stringify(emulator.requests)).not.toContain('token-abc-123-very-secret');
  });
});

describe('ScalewayProvider configuration', () => {
  it('is built by createProvider with defaults and exposes the size table', () => {
    const scaleway = createProvider(scalewayTestConfig());
    expect(scaleway.name).toBe('scaleway');
    // nl-ams-3, pl-waw-3 and it-mil-1 offer none of the sizes: they are listed from, not offered for creation.
    expect(scaleway.locations).toEqual([
      'fr-par-1',
      'fr-par-2',
      'fr-par-3',
      'nl-ams-1',
      'nl-ams-2',
      'pl-waw-1',
      'pl-waw-2',
    ]);
    expect(Object.keys(scaleway.locationMetadata)).toEqual(ZONES);
    expect(scaleway.defaultLocation).toBe('fr-par-1');
    expect(scaleway.sizes.large).toMatchObject({ type: 'GP1-S', vcpu: 8, ramGb: 32, storageGb: 300 });
    expect(scaleway.sizes.small.price).toBe('€0.0202/hr');
    expect(scaleway.sizes.small.pricing.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(scaleway.locationMetadata['fr-par-3']).toEqual({
      name: 'Paris 3',
      country: 'FR',
      sizes: ['large'],
    });
    expect(provider({ zones: ['nl-ams-1', 'fr-par-1'] }).locations).toEqual(['nl-ams-1', 'fr-par-1']);
    expect(provider({ zones: ['nl-ams-1', 'fr-par-1'], zone: 'nl-ams-1' }).defaultLocation).toBe('nl-ams-1');
  });
});

describe('ScalewayProvider edge cases', () => {
  const serverBody = (overrides: Record<string, unknown>) => ({
    server: {
      id: '22222222-3333-4444-8555-666666666666',
      name: 'stale',
      state: 'running',
      commercial_type: 'DEV1-M',
      project: SCALEWAY_EMULATOR_PROJECT_ID,
      ...overrides,
    },
  });

  it('works with only the credentials configured, against the public endpoint', async () => {
    const stored = emulator.seedServer({ state: 'running' });
    const minimal = new ScalewayProvider({
      secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
      projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    });
    expect((await minimal.getVM(stored.id))?.id).toBe(`fr-par-1/${stored.id}`);
  });

  it('creates without labels, tagging only the creation token', async () => {
    const vm = await provider().createVM({
      name: 'bare',
      size: 'medium',
      location: 'fr-par-2',
      userData: '',
    });
    expect(vm.labels).toEqual({});
    expect(emulator.getServer('fr-par-2', uuidOf(vm.id))?.tags).toEqual([
      expect.stringMatching(/^sam-creation:/),
    ]);
  });

  it('says so when no configured zone offers a size', async () => {
    const failure = (await provider({ zones: ['fr-par-3'], zone: 'fr-par-3' })
      .createVM(config({ location: 'fr-par-3' }))
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure.message).toContain('no configured zone');
  });

  it('falls back to an SBS image only when no local image fits the type', async () => {
    const sbs = emulator.marketplaceImageId('ubuntu_noble', 'fr-par-1', 'instance_sbs');
    emulator.injectFault({
      path: '/marketplace/*',
      status: 200,
      times: 1,
      body: {
        local_images: [
          {
            id: '33333333-0000-4000-8000-000000000000',
            type: 'instance_local',
            compatible_commercial_types: ['GP1-S'],
          },
          {
            id: '44444444-0000-4000-8000-000000000000',
            type: 'instance_local',
            compatible_commercial_types: null,
          },
          { id: sbs, type: 'instance_sbs', compatible_commercial_types: ['dev1-m'] },
        ],
      },
    });
    const vm = await provider().createVM(config());
    expect(emulator.getServer('fr-par-1', uuidOf(vm.id))?.imageId).toBe(sbs);
    emulator.injectFault({ path: '/marketplace/*', status: 200, times: 1, body: { local_images: [] } });
    await expect(provider().createVM(config({ location: 'fr-par-2' }))).rejects.toMatchObject({
      category: 'invalid_input',
      message: expect.stringContaining('compatible with DEV1-M'),
    });
  });

  it('shares one image lookup between concurrent creates, and reuses the settled id', async () => {
    emulator.injectFault({ path: '/marketplace/*', delayMs: 50, times: 1 });
    const scaleway = provider();
    const [first, second] = await Promise.all([
      scaleway.createVM(config({ name: 'first' })),
      scaleway.createVM(config({ name: 'second' })),
    ]);
    expect([first.name, second.name]).toEqual(['first', 'second']);
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(1);
    await scaleway.createVM(config({ name: 'third' }));
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(1);
  });

  it('never lets a caller inherit the abort of the caller whose lookup it joined', async () => {
    emulator.injectFault({ path: '/marketplace/*', delayMs: 50, times: 1 });
    const scaleway = provider();
    const controller = new AbortController();
    const reason = new Error('first caller left');
    const first = scaleway.createVM(config({ name: 'first' }), { signal: controller.signal });
    const second = scaleway.createVM(config({ name: 'second' }));
    controller.abort(reason);
    await expect(first).rejects.toBe(reason);
    // The joiner looks the image up itself (the aborted lookup may or may not have reached the API), never
    // hearing the other caller's reason; the id it found is then reused.
    expect((await second).name).toBe('second');
    const lookups = emulator.requestCount({ path: '/marketplace/' });
    expect(lookups).toBeGreaterThanOrEqual(1);
    expect(lookups).toBeLessThanOrEqual(2);
    await scaleway.createVM(config({ name: 'third' }));
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(lookups);
  });

  it('never lets a caller inherit the failure of the lookup it joined', async () => {
    emulator.injectFault({ path: '/marketplace/*', delayMs: 50, status: 503, times: 2 });
    const scaleway = provider({ retry: { maxRetries: 0 } });
    const [first, second] = await Promise.allSettled([
      scaleway.createVM(config({ name: 'first' })),
      scaleway.createVM(config({ name: 'second' })),
    ]);
    expect(first.status).toBe('rejected');
    expect(second.status).toBe('rejected');
    // The second tried on its own after the first's lookup failed: a failure is never cached.
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(2);
    expect((await scaleway.createVM(config({ name: 'third' }))).name).toBe('third');
  });

  it('copes with a server that vanished between the read and the action', async () => {
    const stale = serverBody({
      volumes: { '0': { id: '55555555-0000-4000-8000-000000000000', volume_type: null } },
    });
    emulator.injectFault({ method: 'GET', status: 200, body: stale, times: 1 });
    await provider().deleteVM(`fr-par-1/${stale.server.id}`);
    // Its boot volume is marked first (404: gone too, most likely), and its DELETE still sent (404: done).
    expect(
      emulator.requests.filter((request) => request.method === 'PATCH' && request.status === 404),
    ).toHaveLength(1);
    expect(emulator.requestCount({ method: 'DELETE', path: /\/volumes\// })).toBe(1);
  });

  it('re-reads when the state changed under a terminate', async () => {
    const stored = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M' });
    emulator.injectFault({
      method: 'GET',
      status: 200,
      body: serverBody({ id: stored.id, volumes: {} }),
      times: 1,
    });
    await provider().deleteVM(`fr-par-1/${stored.id}`);
    expect(emulator.requests.map((request) => request.method)).toEqual([
      'GET',
      'POST',
      'GET',
      'PATCH',
      'DELETE',
      'DELETE',
    ]);
    expect(leftovers()).toBe(0);
  });

  it('gives up on a server that keeps refusing, and on states it does not know', async () => {
    const stored = emulator.seedServer({ state: 'stopped' });
    emulator.injectFault({
      method: 'DELETE',
      status: 400,
      body: { type: 'invalid_request_error', message: 'instance should be powered off' },
    });
    await expect(provider().deleteVM(`fr-par-1/${stored.id}`)).rejects.toMatchObject({
      category: 'conflict',
      retryable: true,
    });
    emulator.clearFaults();
    emulator.injectFault({ method: 'GET', status: 200, body: serverBody({ state: 'hibernating' }) });
    await expect(provider().deleteVM('fr-par-1/22222222-3333-4444-8555-666666666666')).rejects.toMatchObject({
      category: 'conflict',
      message: expect.stringContaining('hibernating'),
    });
  });
});

describe('ScalewayProvider cleanup guarantees', () => {
  it('refuses to delete a protected server, with a final conflict and one request', async () => {
    const stored = emulator.seedServer({ state: 'running', protected: true });
    await expect(provider().deleteVM(`fr-par-1/${stored.id}`)).rejects.toMatchObject({
      category: 'conflict',
      retryable: false,
      message: expect.stringContaining('protected'),
    });
    expect(emulator.requestCount()).toBe(1);
  });

  it('names the volumes it could not delete once the server is gone, instead of pretending', async () => {
    const stored = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    const volumeId = stored.volumes['0'] as string;
    emulator.injectFault({
      method: 'DELETE',
      path: /\/volumes\//,
      status: 403,
      body: { type: 'permissions_denied' },
    });
    const failure = (await provider()
      .deleteVM(`fr-par-1/${stored.id}`)
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'permission', retryable: false });
    expect(failure.message).toContain(volumeId);
    expect(failure.cleanupErrors).toHaveLength(1);
    expect(emulator.getServer('fr-par-1', stored.id)).toBeUndefined();
  });

  it('finishes deleting the volumes even when the caller aborts meanwhile, then reports the abort', async () => {
    const stored = emulator.seedServer({ state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' });
    emulator.injectFault({ method: 'DELETE', path: /\/volumes\//, delayMs: 60, times: 1 });
    const controller = new AbortController();
    const reason = new Error('handler ended');
    // Virtual time: the abort lands at the same point of the call on any machine.
    await inVirtualTime(async () => {
      setTimeout(() => controller.abort(reason), 20);
      await expect(provider().deleteVM(`fr-par-1/${stored.id}`, { signal: controller.signal })).rejects.toBe(
        reason,
      );
    });
    expect(leftovers()).toBe(0);
  });

  it('finds a bare UUID even when another zone fails, and fails only when it is nowhere', async () => {
    const far = emulator.seedServer({ zone: 'pl-waw-1', state: 'running' });
    emulator.injectFault({ path: '/instance/v1/zones/nl-ams-2/*', status: 500 });
    expect((await provider().getVM(far.id))?.id).toBe(`pl-waw-1/${far.id}`);
    await expect(provider().getVM('11111111-2222-4333-8444-555555555555')).rejects.toMatchObject({
      category: 'unavailable',
    });
  });

  it('drops a cached image the zone no longer has, so the next create looks it up again', async () => {
    const scaleway = provider();
    await scaleway.createVM(config({ name: 'first' }));
    emulator.injectFault({
      method: 'POST',
      path: /\/servers$/,
      status: 404,
      body: {
        type: 'not_found',
        message: 'resource is not found',
        resource: 'instance_image',
        resource_id: 'x',
      },
      times: 1,
    });
    await expect(scaleway.createVM(config({ name: 'second' }))).rejects.toMatchObject({
      category: 'not_found',
    });
    emulator.clearRequests();
    await scaleway.createVM(config({ name: 'third' }));
    expect(emulator.requestCount({ path: '/marketplace/' })).toBe(1);
  });

  it('deduplicates configured zones and validates the retry policy', () => {
    expect(provider({ zones: ['fr-par-1', 'fr-par-1'] }).locations).toHaveLength(1);
    expect(() => provider({ retry: { maxRetries: Number.NaN } })).toThrow(/retry\.maxRetries/);
    // JavaScript callers may pass undefined explicitly.
    expect(() =>
      provider({ retry: { maxRetries: 3, baseDelayMs: undefined } as unknown as { maxRetries: number } }),
    ).not.toThrow();
  });
});
