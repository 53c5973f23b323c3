import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProvider, HetznerProvider, type ProviderError, type VMConfig } from '../../src/index.js';
import { inVirtualTime } from '../virtual-time.js';

const emulator = new HetznerEmulator();
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  emulator.reset();
  emulator.clock.setMode({ mode: 'instant' });
});

const provider = new HetznerProvider({
  token: HETZNER_EMULATOR_TOKEN,
  timeoutMs: 300,
  retry: { baseDelayMs: 1, maxDelayMs: 5 },
});

const config = (overrides: Partial<VMConfig> = {}): VMConfig => ({
  name: 'agent-1',
  size: 'small',
  location: 'fsn1',
  userData: '#cloud-config\n',
  labels: { team: 'a' },
  ...overrides,
});

describe('HetznerProvider', () => {
  it('creates with one POST carrying type, location, image, user data and labels', async () => {
    emulator.clock.setMode({ mode: 'manual' });
    const vm = await provider.createVM(config({ image: 'debian-12' }));
    expect(emulator.requests).toHaveLength(1);
    const body = JSON.parse(emulator.requests[0]?.body ?? '{}') as Record<string, unknown>;
    expect(body).toMatchObject({
      name: 'agent-1',
      server_type: 'cx23',
      location: 'fsn1',
      image: 'debian-12',
      user_data: '#cloud-config\n',
      labels: { team: 'a' },
      start_after_create: true,
    });
    expect(emulator.requests[0]?.headers.authorization).toBe('[REDACTED]');
    expect(vm).toMatchObject({
      name: 'agent-1',
      status: 'initializing',
      serverType: 'cx23',
      location: 'fsn1',
    });
    expect(vm.ip).not.toBe('');
    expect(emulator.server(vm.id)?.image).toBe('debian-12');
  });

  it('uses the configured default image', async () => {
    const custom = createProvider({
      provider: 'hetzner',
      token: HETZNER_EMULATOR_TOKEN,
      image: 'ubuntu-22.04',
    });
    const vm = await custom.createVM(config());
    expect(emulator.server(vm.id)?.image).toBe('ubuntu-22.04');
  });

  it.each([
    ['dropped after the provider created it', { drop: true }],
    ['answered after the client timed out', { delayMs: 1_000 }],
  ])('adopts the server when the create response is %s: no duplicate, no orphan', async (_, fault) => {
    emulator.injectFault({ method: 'POST', phase: 'after', times: 1, ...fault });
    const vm = await provider.createVM(config());
    expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([vm.id]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(1);
    expect(emulator.requests.at(-1)?.query).toEqual({ name: 'agent-1' });
  });

  it('retries the POST after a 5xx that created nothing, ending with exactly one server', async () => {
    emulator.injectFault({ method: 'POST', status: 503, times: 1 });
    const vm = await provider.createVM(config());
    expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([vm.id]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
  });

  it('adopts its own late first server when the retried POST meets it as a name conflict', async () => {
    // The first POST is held past the client's timeout and the lookup window, so the retry goes out first... and
    // the late first one commits before it: the retry's name conflict proves the server is ours.
    emulator.injectFault({ method: 'POST', delayMs: 700, times: 1 });
    const slow = new HetznerProvider({
      token: HETZNER_EMULATOR_TOKEN,
      timeoutMs: 100,
      retry: { baseDelayMs: 600, maxDelayMs: 600, random: () => 0.999 },
    });
    // Virtual time: the timeline above holds on any machine.
    const vm = await inVirtualTime(() => slow.createVM(config()));
    expect(emulator.leftovers().servers.map((item) => item.id)).toEqual([vm.id]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(2);
  });

  it('gives up when every POST fails, with nothing created', async () => {
    emulator.injectFault({ method: 'POST', status: 503 });
    await expect(provider.createVM(config())).rejects.toMatchObject({
      category: 'unavailable',
      statusCode: 503,
    });
    expect(emulator.leftovers().servers).toEqual([]);
    expect(emulator.requestCount({ method: 'POST' })).toBe(4);
  });

  it('attaches a failed lookup to the original error instead of swallowing it', async () => {
    emulator.injectFault({ method: 'POST', status: 502, times: 1 });
    emulator.injectFault({ method: 'GET', status: 500 });
    const failure = (await provider.createVM(config()).catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'unavailable', statusCode: 502 });
    expect(failure.cleanupErrors).toHaveLength(1);
    expect(failure.cleanupErrors[0]).toMatchObject({ statusCode: 500 });
  });

  it('does not look anything up after a definite rejection', async () => {
    emulator.seedServer({ name: 'agent-1' });
    await expect(provider.createVM(config())).rejects.toMatchObject({
      category: 'conflict',
      code: 'uniqueness_error',
    });
    expect(emulator.requests).toHaveLength(1);
  });

  it('refuses a size where it is not offered, naming where it is', async () => {
    const failure = (await provider
      .createVM(config({ location: 'ash' }))
      .catch((error: unknown) => error)) as ProviderError;
    expect(failure).toMatchObject({ category: 'invalid_input', field: 'vm.size' });
    expect(failure.message).toContain('fsn1, nbg1, hel1');
    await expect(provider.createVM(config({ location: 'mars1' }))).rejects.toMatchObject({
      field: 'vm.location',
    });
    await expect(provider.createVM(config({ userData: 'x'.repeat(33 * 1024) }))).rejects.toMatchObject({
      field: 'vm.userData',
    });
    await expect(provider.createVM(config({ image: '../etc' }))).rejects.toMatchObject({ field: 'vm.image' });
    const longKey = 'a'.repeat(64);
    await expect(provider.createVM(config({ labels: { [longKey]: 'x' } }))).rejects.toMatchObject({
      field: `vm.labels.${longKey}`,
    });
    expect(emulator.requests).toHaveLength(0);
  });

  it('accepts prefixed label keys', async () => {
    const vm = await provider.createVM(config({ labels: { 'sam.dev/owner': 'alice' } }));
    expect((await provider.listVMs({ 'sam.dev/owner': 'alice' })).map((found) => found.id)).toEqual([vm.id]);
  });

  it.each([
    [0, 1],
    [50, 1],
    [51, 2],
    [120, 3],
  ])('lists %i servers with %i requests', async (count, requests) => {
    for (let index = 0; index < count; index++) emulator.seedServer({ labels: { fleet: 'x' } });
    emulator.seedServer({ labels: { fleet: 'y' } });
    const listed = await provider.listVMs({ fleet: 'x' });
    expect(listed).toHaveLength(count);
    expect(emulator.requestCount({ method: 'GET' })).toBe(requests);
    expect(emulator.requests[0]?.query).toMatchObject({ label_selector: 'fleet=x', per_page: '50' });
  });

  it('rejects invalid ids for mutations with invalid_input and no request', async () => {
    await expect(provider.powerOff('../1')).rejects.toMatchObject({ category: 'invalid_input', field: 'id' });
    await expect(provider.powerOn('abc')).rejects.toMatchObject({ category: 'invalid_input', field: 'id' });
    await expect(provider.listVMs({ 'bad key': 'x' })).rejects.toMatchObject({ category: 'invalid_input' });
    expect(emulator.requests).toHaveLength(0);
  });

  it('throws from validateToken when it cannot tell', async () => {
    emulator.injectFault({ method: 'GET', status: 503 });
    await expect(provider.validateToken()).rejects.toMatchObject({ category: 'unavailable' });
    expect(emulator.requestCount()).toBe(4);
  });

  it('rejects a refused token with a non-retryable error saying so', async () => {
    emulator.injectFault({
      method: 'GET',
      status: 403,
      body: { error: { code: 'forbidden', message: 'no' } },
      times: 1,
    });
    const forbidden = await provider.validateToken().catch((error: unknown) => error);
    expect(forbidden).toMatchObject({
      category: 'permission',
      retryable: false,
      statusCode: 403,
      providerCode: 'forbidden',
      providerName: 'hetzner',
    });
    expect((forbidden as Error).message).toMatch(/^Hetzner rejected the API token: /);
    const wrong = new HetznerProvider({ apiToken: 'wrong-token', timeoutMs: 300 });
    await expect(wrong.validateToken()).rejects.toMatchObject({
      category: 'auth',
      retryable: false,
      statusCode: 401,
    });
    await expect(provider.validateToken()).resolves.toBe(true);
  });

  it('reports a malformed answer as invalid_response, never a TypeError', async () => {
    const vm = emulator.seedServer();
    emulator.injectFault({ method: 'GET', status: 200, body: '<html>maintenance</html>', times: 1 });
    await expect(provider.getVM(String(vm.id))).rejects.toMatchObject({ category: 'invalid_response' });
    emulator.injectFault({ method: 'GET', status: 200, body: { server: { id: 'not-a-number' } }, times: 1 });
    await expect(provider.getVM(String(vm.id))).rejects.toMatchObject({ category: 'invalid_response' });
  });

  it('propagates a failure of a delete other than not found', async () => {
    const vm = emulator.seedServer();
    emulator.injectFault({
      method: 'DELETE',
      status: 423,
      body: { error: { code: 'protected', message: 'protected' } },
    });
    await expect(provider.deleteVM(String(vm.id))).rejects.toMatchObject({
      category: 'conflict',
      code: 'protected',
    });
  });

  it('exposes sizes and locations with prices', () => {
    expect(provider.name).toBe('hetzner');
    expect(provider.sizes.small.type).toBe('cx23');
    expect(provider.sizes.large.pricing.hourlyEur).toBeGreaterThan(provider.sizes.small.pricing.hourlyEur);
    expect(provider.sizes.small.price).toBe('€0.0048/hr');
    expect(provider.locations).toEqual(['fsn1', 'nbg1', 'hel1']);
    expect(provider.defaultLocation).toBe('fsn1');
    expect(provider.locationMetadata.sin).toEqual({ name: 'Singapore', country: 'SG', sizes: [] });
    expect(provider.locationMetadata.hel1).toMatchObject({ name: 'Helsinki', country: 'FI' });
  });
});
