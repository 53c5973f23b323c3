import type { CloudEmulator, FaultRule } from '@simple-agent-manager/cloud-emulator';
import type { VMSize } from '@simple-agent-manager/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  hasAmbiguousLabel,
  isProviderError,
  isTransientCapacityError,
  type Provider,
  ProviderError,
  type ProviderLogger,
  type VMConfig,
  type VMInstance,
  waitForVM,
} from '../../src/index.js';

/** One fresh provider bound to its emulator, for one contract case. */
export interface ContractHarness {
  provider: Provider;
  /** The same endpoint with credentials the emulator rejects. */
  wrongCredentials: Provider;
  emulator: CloudEmulator;
  /** Where and what to create. */
  location: string;
  size: VMSize;
  /** A well-formed id that no VM has. */
  unknownId: string;
  /** Configs that must be rejected with `invalid_input` naming `field`, before any request. */
  invalidConfigs: ReadonlyArray<{ field: string; build: () => Provider }>;
  /** The same provider, reporting to `logger`. */
  withLogger: (logger: ProviderLogger) => Provider;
  /** A well-formed id of another provider (which this one could never have issued). */
  foreignId: string;
  /** The provider's own secrets, which no log line or error may contain. */
  secrets: readonly string[];
  /** What the API answers a create with when it has no capacity, and when a quota is reached. */
  capacityFault: FaultRule;
  quotaFault: FaultRule;
  /** Seed a VM whose raw metadata carries the key `env` twice (`a` and `b`), labelled `suite=contract`; absent when the provider's metadata cannot. */
  seedAmbiguousVM?: () => string;
}

/** A provider under test and how to bind it to a fresh emulator. */
export interface ContractTarget {
  name: string;
  /** Called before every case. */
  setup(): Promise<ContractHarness> | ContractHarness;
  /** Called after every case, after the leftover check. */
  teardown?(): Promise<void> | void;
}

const WAIT = { timeoutMs: 20_000, intervalMs: 5, maxIntervalMs: 50 } as const;
const USER_DATA = '#cloud-config\nruncmd:\n  - echo contract-secret-value > /root/token\n';

/** Run the behavioural contract every provider must meet, against `target`. */
export function runProviderContract(target: ContractTarget): void {
  describe(`${target.name}: provider contract`, () => {
    let harness: ContractHarness;
    let provider: Provider;
    let emulator: CloudEmulator;
    let sequence = 0;

    const vmConfig = (overrides: Partial<VMConfig> = {}): VMConfig => ({
      name: `contract-vm-${++sequence}`,
      size: harness.size,
      location: harness.location,
      userData: USER_DATA,
      labels: { suite: 'contract' },
      ...overrides,
    });

    const abortedSignal = () => {
      const controller = new AbortController();
      const reason = new Error('caller gave up');
      controller.abort(reason);
      return { signal: controller.signal, reason };
    };

    beforeEach(async () => {
      harness = await target.setup();
      provider = harness.provider;
      emulator = harness.emulator;
    });

    afterEach(async () => {
      emulator.clearFaults();
      for (const vm of await provider.listVMs()) {
        await provider.deleteVM(vm.id);
        await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
      }
      const leftovers = emulator.leftovers();
      expect(leftovers).toEqual({ servers: [], volumes: [], ips: [] });
      await target.teardown?.();
    });

    it('create → get returns the same id, name, labels and size', async () => {
      const config = vmConfig({ labels: { suite: 'contract', owner: 'alice' } });
      const created = await provider.createVM(config);
      expect(created.id).not.toBe('');
      expect(created.name).toBe(config.name);
      expect(created.labels).toEqual(config.labels);
      expect(created.serverType).toBe(provider.sizes[config.size].type);
      expect(created.location).toBe(config.location);
      const read = await provider.getVM(created.id);
      expect(read).toMatchObject({
        id: created.id,
        name: config.name,
        labels: config.labels,
        serverType: provider.sizes[config.size].type,
        location: config.location,
      });
      expect(Number.isNaN(Date.parse(read?.createdAt ?? ''))).toBe(false);
    });

    it('create → list contains it exactly once, with and without a label filter', async () => {
      const created = await provider.createVM(vmConfig({ labels: { suite: 'contract', run: 'list-once' } }));
      const all = await provider.listVMs();
      expect(all.filter((vm) => vm.id === created.id)).toHaveLength(1);
      const filtered = await provider.listVMs({ run: 'list-once' });
      expect(filtered.map((vm) => vm.id)).toEqual([created.id]);
      expect(await provider.listVMs({ run: 'list-other' })).toEqual([]);
    });

    it('a two-label filter matches only VMs carrying both labels with exactly those values', async () => {
      const both = await provider.createVM(vmConfig({ labels: { team: 'a', role: 'agent' } }));
      await provider.createVM(vmConfig({ labels: { team: 'a' } }));
      await provider.createVM(vmConfig({ labels: { team: 'a', role: 'agent2' } }));
      await provider.createVM(vmConfig({ labels: { team: 'ab', role: 'agent' } }));
      await provider.createVM(vmConfig({ labels: { role: 'agent' } }));
      const matched = await provider.listVMs({ team: 'a', role: 'agent' });
      expect(matched.map((vm) => vm.id)).toEqual([both.id]);
      expect((await provider.listVMs({ team: 'a' })).length).toBe(3);
    });

    it('boots to running with an IP, powers off to off and on again to running with an IP', async () => {
      const created = await provider.createVM(vmConfig());
      const running = await waitForVM(provider, created.id, { until: 'running', ...WAIT });
      expect(running?.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      await provider.powerOff(created.id);
      expect((await waitForVM(provider, created.id, { until: 'off', ...WAIT }))?.status).toBe('off');
      await provider.powerOff(created.id);
      await provider.powerOn(created.id);
      const again = await waitForVM(provider, created.id, { until: 'running', ...WAIT });
      expect(again?.status).toBe('running');
      expect(again?.ip).not.toBe('');
      await provider.powerOn(created.id);
    });

    it('delete → get is null, list no longer has it, and nothing is left behind', async () => {
      const created = await provider.createVM(vmConfig());
      await waitForVM(provider, created.id, { until: 'running', ...WAIT });
      await provider.deleteVM(created.id);
      const after = await provider.getVM(created.id);
      // A provider may report the VM as `deleting` for a moment; it must never come back.
      expect(after === null || after.status === 'deleting').toBe(true);
      await waitForVM(provider, created.id, { until: 'deleted', ...WAIT });
      expect(await provider.getVM(created.id)).toBeNull();
      expect((await provider.listVMs()).map((vm) => vm.id)).not.toContain(created.id);
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    });

    it('delete right after create (still booting) leaves nothing behind', async () => {
      const created = await provider.createVM(vmConfig());
      await provider.deleteVM(created.id);
      await waitForVM(provider, created.id, { until: 'deleted', ...WAIT });
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    });

    it('deleting twice and deleting an unknown id both resolve', async () => {
      const created = await provider.createVM(vmConfig());
      await provider.deleteVM(created.id);
      await expect(provider.deleteVM(created.id)).resolves.toBeUndefined();
      await expect(provider.deleteVM(harness.unknownId)).resolves.toBeUndefined();
    });

    it('getVM of an unknown or malformed id is null', async () => {
      expect(await provider.getVM(harness.unknownId)).toBeNull();
      expect(await provider.getVM('../../etc/passwd')).toBeNull();
      expect(await provider.getVM('')).toBeNull();
    });

    it('powering an unknown id fails with not_found', async () => {
      await expect(provider.powerOn(harness.unknownId)).rejects.toMatchObject({ category: 'not_found' });
      await expect(provider.powerOff(harness.unknownId)).rejects.toMatchObject({ category: 'not_found' });
    });

    it('validateToken resolves true with the right credentials and rejects wrong ones, non-retryably', async () => {
      expect(await provider.validateToken()).toBe(true);
      const refused = await harness.wrongCredentials.validateToken().catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ProviderError);
      expect(refused).toMatchObject({ category: 'auth', retryable: false, providerName: provider.name });
      expect((refused as ProviderError).statusCode).toBe(401);
    });

    it('validateToken rejects, retryably, when it cannot tell', async () => {
      emulator.injectFault({ method: 'GET', status: 503 });
      const failure = await provider.validateToken().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ category: 'unavailable', retryable: true });
    });

    it('wrong credentials surface as a ProviderError of category auth', async () => {
      const failure = await harness.wrongCredentials.listVMs().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ category: 'auth', retryable: false, provider: provider.name });
      const created = await harness.wrongCredentials.createVM(vmConfig()).catch((error: unknown) => error);
      expect(created).toMatchObject({ category: 'auth' });
    });

    it('an already aborted signal rejects with the caller’s reason and sends no request', async () => {
      const vm = await provider.createVM(vmConfig());
      const before = emulator.requests.length;
      const calls: Array<(signal: AbortSignal) => Promise<unknown>> = [
        (signal) => provider.createVM(vmConfig(), { signal }),
        (signal) => provider.getVM(vm.id, { signal }),
        (signal) => provider.listVMs({}, { signal }),
        (signal) => provider.powerOff(vm.id, { signal }),
        (signal) => provider.powerOn(vm.id, { signal }),
        (signal) => provider.deleteVM(vm.id, { signal }),
        (signal) => provider.validateToken({ signal }),
      ];
      for (const call of calls) {
        const { signal, reason } = abortedSignal();
        await expect(call(signal)).rejects.toBe(reason);
      }
      expect(emulator.requests.length).toBe(before);
    });

    it('an abort while a request is in flight rejects promptly with the caller’s reason', async () => {
      emulator.injectFault({ method: 'GET', delayMs: 5_000, times: 1 });
      const controller = new AbortController();
      const reason = new Error('user navigated away');
      const pending = provider.listVMs({}, { signal: controller.signal });
      setTimeout(() => controller.abort(reason), 20);
      const started = Date.now();
      await expect(pending).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('a create aborted after the provider accepted it leaves nothing behind', async () => {
      emulator.injectFault({ method: 'POST', phase: 'after', delayMs: 300, times: 1 });
      const controller = new AbortController();
      const reason = new Error('request handler timed out');
      setTimeout(() => controller.abort(reason), 50);
      await expect(provider.createVM(vmConfig(), { signal: controller.signal })).rejects.toBe(reason);
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    });

    it('a 5xx on a read is retried and the read succeeds', async () => {
      const created = await provider.createVM(vmConfig());
      emulator.clearRequests();
      const fault = emulator.injectFault({ method: 'GET', status: 503, times: 1 });
      const read = await provider.getVM(created.id);
      expect(read?.id).toBe(created.id);
      expect(fault.hits).toBe(1);
      expect(emulator.requestCount({ method: 'GET' })).toBe(2);
    });

    it('rejects invalid VM configs with invalid_input naming the field, before any request', async () => {
      const cases: Array<[string, VMConfig]> = [
        ['name', vmConfig({ name: '' })],
        ['location', vmConfig({ location: 'atlantis-1' })],
        ['size', vmConfig({ size: 'huge' as VMSize })],
        ['labels', vmConfig({ labels: { '': 'empty-key' } })],
        ['labels', vmConfig({ labels: { 'bad,key': 'x' } })],
      ];
      const before = emulator.requests.length;
      for (const [field, config] of cases) {
        const failure = await provider.createVM(config).catch((error: unknown) => error);
        expect(isProviderError(failure, 'invalid_input'), `${field}: ${String(failure)}`).toBe(true);
        expect((failure as ProviderError).message).toContain(field);
      }
      expect(emulator.requests.length).toBe(before);
    });

    it('rejects invalid provider configs with invalid_input naming the field', () => {
      expect(harness.invalidConfigs.length).toBeGreaterThan(0);
      for (const { field, build } of harness.invalidConfigs) {
        let failure: unknown;
        try {
          build();
        } catch (error) {
          failure = error;
        }
        expect(isProviderError(failure, 'invalid_input'), field).toBe(true);
        expect((failure as ProviderError).message).toContain(field);
      }
    });

    it('never puts the credentials or the user data in an error', async () => {
      // An API that echoes the request back in its error message must not carry it into ours.
      emulator.injectFault({
        method: 'POST',
        status: 400,
        body: {
          error: { code: 'invalid_input', message: USER_DATA },
          type: 'invalid_arguments',
          message: USER_DATA,
        },
        times: 1,
      });
      const failures: unknown[] = [
        await provider.createVM(vmConfig()).catch((error: unknown) => error),
        await harness.wrongCredentials.listVMs().catch((error: unknown) => error),
      ];
      for (const failure of failures) {
        expect(failure).toBeInstanceOf(ProviderError);
        const error = failure as ProviderError;
        for (const text of [error.message, String(error), JSON.stringify(error), error.stack ?? '']) {
          expect(text).not.toContain('contract-secret-value');
        }
      }
    });

    it('lists every page when there are more VMs than fit on one', async () => {
      const created: VMInstance[] = [];
      for (let index = 0; index < 55; index++) {
        created.push(await provider.createVM(vmConfig({ labels: { batch: 'paged' } })));
      }
      const listed = await provider.listVMs({ batch: 'paged' });
      expect(listed).toHaveLength(55);
      expect(new Set(listed.map((vm) => vm.id)).size).toBe(55);
    });

    it('exposes SAM’s surface: plain location ids with metadata, a default location, display prices, volume capabilities', () => {
      expect(provider.locations.length).toBeGreaterThan(0);
      expect(provider.locations).toContain(provider.defaultLocation);
      expect(provider.locations).toContain(harness.location);
      for (const location of provider.locations) {
        expect(typeof location).toBe('string');
        const metadata = provider.locationMetadata[location];
        expect(metadata?.name).toEqual(expect.any(String));
        expect(metadata?.country).toMatch(/^[A-Z]{2}$/);
        expect(metadata?.sizes.length).toBeGreaterThan(0);
      }
      for (const size of ['small', 'medium', 'large'] as const) {
        expect(provider.sizes[size].price).toMatch(/^€\d+\.\d{4}\/hr$/);
        expect(provider.sizes[size].pricing.hourlyEur).toBeGreaterThan(0);
      }
      expect(provider.volumeCapabilities).toMatchObject({
        supported: true,
        defaultFormat: 'ext4',
        lifecycle: {
          filesystem: 'ext4',
          mountPathTemplate: '/mnt/sam-env-{environmentId}/',
          fstabOptions: ['nofail'],
        },
      });
    });

    it('errors carry providerName, statusCode and the provider’s own code', async () => {
      const failure = await harness.wrongCredentials.listVMs().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderError);
      expect(failure).toMatchObject({ providerName: provider.name, statusCode: 401, category: 'auth' });
      expect((failure as ProviderError).providerCode).toEqual(expect.any(String));
    });

    it('a create refused for lack of capacity is transient capacity; a quota is not; nothing is left', async () => {
      emulator.injectFault(harness.capacityFault);
      const capacity = await provider.createVM(vmConfig()).catch((error: unknown) => error);
      expect(capacity).toBeInstanceOf(ProviderError);
      expect(isTransientCapacityError(capacity)).toBe(true);
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
      emulator.clearFaults();
      emulator.injectFault(harness.quotaFault);
      const quota = await provider.createVM(vmConfig()).catch((error: unknown) => error);
      expect(quota).toMatchObject({ category: 'quota' });
      expect(isTransientCapacityError(quota)).toBe(false);
      expect(emulator.leftovers()).toEqual({ servers: [], volumes: [], ips: [] });
    });

    it('deleteVM of an id the provider could never have issued resolves without a request; getVM of it is null', async () => {
      const before = emulator.requests.length;
      for (const id of ['non-existent-id', harness.foreignId, '', '../../etc/passwd']) {
        await expect(provider.deleteVM(id)).resolves.toBeUndefined();
        expect(await provider.getVM(id)).toBeNull();
      }
      expect(emulator.requests.length).toBe(before);
    });

    it('a pre-cancelled context rejects with its own reason, even a ProviderError, and sends nothing', async () => {
      const reason = new ProviderError(
        provider.name,
        undefined,
        `caller cancelled ${provider.name} validation`,
      );
      const controller = new AbortController();
      controller.abort(reason);
      const before = emulator.requests.length;
      await expect(provider.validateToken({ signal: controller.signal })).rejects.toBe(reason);
      await expect(provider.deleteVM('non-existent-id', { signal: controller.signal })).rejects.toBe(reason);
      await expect(provider.getVM(harness.foreignId, { signal: controller.signal })).rejects.toBe(reason);
      expect(emulator.requests.length).toBe(before);
    });

    it('createdAt is ISO 8601 and byte-identical between listVMs and getVM', async () => {
      const created = await provider.createVM(vmConfig({ labels: { suite: 'contract', run: 'created-at' } }));
      const [listed] = await provider.listVMs({ run: 'created-at' });
      const read = await provider.getVM(created.id);
      expect(listed?.id).toBe(created.id);
      expect(read?.createdAt).toBe(listed?.createdAt);
      expect(listed?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    });

    it('a key the raw metadata carries twice is ambiguous: marked, never matched by a filter', async () => {
      if (harness.seedAmbiguousVM === undefined) {
        // The provider's metadata cannot repeat a key; a filter on the marker is still refused as input.
        const refused = await provider
          .listVMs({ __sam_internal_ambiguous_label__env: 'true' })
          .catch((error: unknown) => error);
        expect(isProviderError(refused, 'invalid_input')).toBe(true);
        return;
      }
      const id = harness.seedAmbiguousVM();
      const read = await provider.getVM(id);
      expect(read).not.toBeNull();
      expect(hasAmbiguousLabel(read?.labels ?? {}, 'env')).toBe(true);
      expect(read?.labels.env).toBeUndefined();
      const [listed] = (await provider.listVMs({ suite: 'contract' })).filter((vm) => vm.id === id);
      expect(hasAmbiguousLabel(listed?.labels ?? {}, 'env')).toBe(true);
      expect(await provider.listVMs({ env: 'a' })).toEqual([]);
      expect(await provider.listVMs({ env: 'b' })).toEqual([]);
    });

    it('the logger gets one line per retry, never a secret', async () => {
      const lines: Array<{ level: string; message: string; context: unknown }> = [];
      const logger: ProviderLogger = {
        warn: (message, context) => lines.push({ level: 'warn', message, context }),
        info: (message, context) => lines.push({ level: 'info', message, context }),
      };
      const logged = harness.withLogger(logger);
      const created = await logged.createVM(vmConfig());
      expect(lines).toEqual([]);
      emulator.injectFault({ method: 'GET', status: 503, times: 2 });
      expect((await logged.getVM(created.id))?.id).toBe(created.id);
      expect(lines).toHaveLength(2);
      expect(lines.every((line) => line.level === 'warn' && /^Retrying GET /.test(line.message))).toBe(true);
      const text = JSON.stringify(lines);
      for (const secret of [...harness.secrets, 'contract-secret-value']) expect(text).not.toContain(secret);
    });
  });
}
