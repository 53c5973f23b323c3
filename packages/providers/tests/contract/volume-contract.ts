import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  hasAmbiguousLabel,
  isProviderError,
  type Provider,
  ProviderError,
  type VMConfig,
  type VolumeInstance,
  waitForVM,
} from '../../src/index.js';
import type { ContractHarness, ContractTarget } from './provider-contract.js';

const WAIT = { timeoutMs: 20_000, intervalMs: 5, maxIntervalMs: 50 } as const;
const NOTHING = { servers: [], volumes: [], ips: [] };

/**
 * SAM's volume contract (docs/sam-provider-contract.md §4), the same for every provider: raw block volumes that
 * outlive their VMs, idempotent attach/detach/delete, grow-only resize refused before any request, and nothing
 * billed left behind after every case.
 */
export function runVolumeContract(target: ContractTarget): void {
  describe(`${target.name}: volume contract`, () => {
    let harness: ContractHarness;
    let provider: Provider;
    let sequence = 0;

    const vmConfig = (overrides: Partial<VMConfig> = {}): VMConfig => ({
      name: `volume-vm-${++sequence}`,
      size: harness.size,
      location: harness.location,
      userData: '#cloud-config\n',
      labels: { suite: 'volume-contract' },
      ...overrides,
    });
    const volumeConfig = (labels: Record<string, string> = {}) => ({
      name: `sam-env-${++sequence}-data`,
      sizeGb: Math.max(provider.volumeCapabilities.minSizeGb ?? 1, 10),
      location: harness.location,
      labels: { 'sam-environment': `env-${sequence}`, 'sam-volume-name': 'data', ...labels },
    });
    const running = async () => {
      const vm = await provider.createVM(vmConfig());
      await waitForVM(provider, vm.id, { until: 'running', ...WAIT });
      return vm;
    };

    beforeEach(async () => {
      harness = await target.setup();
      provider = harness.provider;
    });

    afterEach(async () => {
      harness.emulator.clearFaults();
      for (const vm of await provider.listVMs()) {
        await provider.deleteVM(vm.id);
        await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
      }
      for (const volume of await provider.listVolumes({ location: harness.location })) {
        await provider.detachVolume({ volumeId: volume.id, location: harness.location });
        await provider.deleteVolume({ volumeId: volume.id, location: harness.location });
      }
      expect(harness.emulator.leftovers()).toEqual(NOTHING);
      await target.teardown?.();
    });

    it('reports true capabilities with SAM’s lifecycle constants', () => {
      const capabilities = provider.volumeCapabilities;
      expect(capabilities).toMatchObject({
        supported: true,
        growOnlyResize: true,
        requiresSameLocation: true,
        defaultFormat: 'ext4',
        lifecycle: {
          filesystem: 'ext4',
          mountPathTemplate: '/mnt/sam-env-{environmentId}/',
          fstabOptions: ['nofail'],
        },
      });
      expect(capabilities.minSizeGb).toBeGreaterThan(0);
      expect(capabilities.maxSizeGb).toBeGreaterThanOrEqual(10_000);
      expect(capabilities.maxAttachedVolumesPerServer).toBeGreaterThan(0);
    });

    it('create → get → list by labels → delete, and delete and get are idempotent', async () => {
      const config = volumeConfig();
      const created = await provider.createVolume(config);
      expect(created).toMatchObject({ name: config.name, sizeGb: config.sizeGb, location: harness.location });
      expect(created.labels).toEqual(config.labels);
      expect(['creating', 'available']).toContain(created.status);
      const read = await provider.getVolume({ volumeId: created.id, location: harness.location });
      expect(read).toMatchObject({
        id: created.id,
        name: config.name,
        sizeGb: config.sizeGb,
        labels: config.labels,
      });
      expect(read?.createdAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      await provider.createVolume(volumeConfig({ 'sam-environment': 'other' }));
      const listed = await provider.listVolumes({
        location: harness.location,
        labels: { 'sam-environment': config.labels['sam-environment'] as string },
      });
      expect(listed.map((volume) => volume.id)).toEqual([created.id]);
      expect(listed[0]?.createdAt).toBe(read?.createdAt);
      await provider.deleteVolume({ volumeId: created.id, location: harness.location });
      await expect(
        provider.deleteVolume({ volumeId: created.id, location: harness.location }),
      ).resolves.toBeUndefined();
      expect(await provider.getVolume({ volumeId: created.id, location: harness.location })).toBeNull();
      expect(await provider.detachVolume({ volumeId: created.id, location: harness.location })).toBeNull();
    });

    it('attach resolves attached to the VM id as createVM returned it; both attach and detach are idempotent', async () => {
      const vm = await running();
      const volume = await provider.createVolume(volumeConfig());
      const attached = await provider.attachVolume({
        volumeId: volume.id,
        serverId: vm.id,
        location: harness.location,
      });
      expect(attached).toMatchObject({ id: volume.id, status: 'attached', attachedServerId: vm.id });
      expect(attached.linuxDevice).toEqual(expect.any(String));
      const again = await provider.attachVolume({
        volumeId: volume.id,
        serverId: vm.id,
        location: harness.location,
      });
      expect(again).toMatchObject({ status: 'attached', attachedServerId: vm.id });
      const detached = await provider.detachVolume({
        volumeId: volume.id,
        serverId: vm.id,
        location: harness.location,
      });
      expect(detached).toMatchObject({ id: volume.id, status: 'available' });
      expect(detached?.attachedServerId).toBeUndefined();
      const twice = await provider.detachVolume({ volumeId: volume.id, location: harness.location });
      expect(twice).toMatchObject({ status: 'available' });
    });

    it('resize grows the volume; a shrink or the same size is refused before any request', async () => {
      const volume = await provider.createVolume(volumeConfig());
      const before = harness.emulator.requests.length;
      for (const sizeGb of [volume.sizeGb, volume.sizeGb - 1]) {
        const refused = await provider
          .resizeVolume({
            volumeId: volume.id,
            location: harness.location,
            sizeGb,
            currentSizeGb: volume.sizeGb,
          })
          .catch((error: unknown) => error);
        expect(isProviderError(refused, 'invalid_input'), String(refused)).toBe(true);
      }
      expect(harness.emulator.requests.length).toBe(before);
      // Without currentSizeGb the volume is read first, and a shrink still never reaches the API's resize.
      const shrink = await provider
        .resizeVolume({ volumeId: volume.id, location: harness.location, sizeGb: volume.sizeGb - 1 })
        .catch((error: unknown) => error);
      expect(isProviderError(shrink, 'invalid_input')).toBe(true);
      const grown = await provider.resizeVolume({
        volumeId: volume.id,
        location: harness.location,
        sizeGb: volume.sizeGb + 5,
        currentSizeGb: volume.sizeGb,
      });
      expect(grown.sizeGb).toBe(volume.sizeGb + 5);
      expect((await provider.getVolume({ volumeId: volume.id, location: harness.location }))?.sizeGb).toBe(
        volume.sizeGb + 5,
      );
    });

    it('deleteVolume refuses an attached volume with a conflict naming the VM, and leaves it attached', async () => {
      const vm = await running();
      const volume = await provider.createVolume(volumeConfig());
      await provider.attachVolume({ volumeId: volume.id, serverId: vm.id, location: harness.location });
      const refused = await provider
        .deleteVolume({ volumeId: volume.id, location: harness.location })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ProviderError);
      expect(refused).toMatchObject({ category: 'conflict', retryable: false });
      expect((refused as ProviderError).message).toContain(vm.id);
      expect(await provider.getVolume({ volumeId: volume.id, location: harness.location })).toMatchObject({
        status: 'attached',
        attachedServerId: vm.id,
      });
    });

    it('a data volume survives deleteVM: still there, available, labels kept; nothing of the VM is left', async () => {
      const vm = await running();
      const config = volumeConfig();
      const volume = await provider.createVolume(config);
      await provider.attachVolume({ volumeId: volume.id, serverId: vm.id, location: harness.location });
      await provider.deleteVM(vm.id);
      await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
      let survivor: VolumeInstance | null = null;
      for (let poll = 0; poll < 400; poll++) {
        survivor = await provider.getVolume({ volumeId: volume.id, location: harness.location });
        if (survivor?.status === 'available') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(survivor).toMatchObject({ id: volume.id, status: 'available', labels: config.labels });
      expect(survivor?.attachedServerId).toBeUndefined();
      const leftovers = harness.emulator.leftovers();
      expect(leftovers.servers).toEqual([]);
      expect(leftovers.ips).toEqual([]);
      expect(leftovers.volumes).toHaveLength(1);
    });

    it('a data volume survives deleteVM of a stopped VM, and attach waits for a VM that is still booting', async () => {
      const vm = await provider.createVM(vmConfig());
      const volume = await provider.createVolume(volumeConfig());
      // Right after createVM the VM is still starting: the attach waits for it to accept the volume.
      const attached = await provider.attachVolume({
        volumeId: volume.id,
        serverId: vm.id,
        location: harness.location,
      });
      expect(attached).toMatchObject({ status: 'attached', attachedServerId: vm.id });
      await waitForVM(provider, vm.id, { until: 'running', ...WAIT });
      await provider.powerOff(vm.id);
      await waitForVM(provider, vm.id, { until: 'off', ...WAIT });
      await provider.deleteVM(vm.id);
      await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
      const survivor = await provider.detachVolume({ volumeId: volume.id, location: harness.location });
      expect(survivor).toMatchObject({ id: volume.id, status: 'available' });
      const leftovers = harness.emulator.leftovers();
      expect(leftovers.servers).toEqual([]);
      expect(leftovers.volumes).toHaveLength(1);
    });

    it('a data volume survives deleteVM of a VM that is stopping', async () => {
      const vm = await running();
      const config = volumeConfig();
      const volume = await provider.createVolume(config);
      await provider.attachVolume({ volumeId: volume.id, serverId: vm.id, location: harness.location });
      await provider.powerOff(vm.id);
      // No wait: the VM is still on its way down when the delete starts.
      await provider.deleteVM(vm.id);
      await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
      const survivor = await provider.detachVolume({ volumeId: volume.id, location: harness.location });
      expect(survivor).toMatchObject({ id: volume.id, status: 'available', labels: config.labels });
      const leftovers = harness.emulator.leftovers();
      expect(leftovers.servers).toEqual([]);
      expect(leftovers.ips).toEqual([]);
      expect(leftovers.volumes).toHaveLength(1);
    });

    it('checks every call’s location against where the volume is, and ids of the wrong shape, before any request', async () => {
      const other = provider.locations.find((location) => location !== harness.location) as string;
      const volume = await provider.createVolume(volumeConfig());
      const before = harness.emulator.requests.length;
      const wrongShape = await provider
        .getVolume({ volumeId: '../etc', location: harness.location })
        .catch((error: unknown) => error);
      expect(isProviderError(wrongShape, 'invalid_input')).toBe(true);
      expect(harness.emulator.requests.length).toBe(before);
      const mismatch = await provider
        .deleteVolume({ volumeId: volume.id, location: other })
        .catch((error: unknown) => error);
      expect(isProviderError(mismatch, 'invalid_input'), String(mismatch)).toBe(true);
      expect((mismatch as ProviderError).field).toMatch(/location/);
      expect(await provider.getVolume({ volumeId: volume.id, location: harness.location })).not.toBeNull();
    });

    it('labels on volumes filter with exact AND, never matching the ambiguity marker', async () => {
      const both = await provider.createVolume(volumeConfig({ team: 'a', role: 'db' }));
      await provider.createVolume(volumeConfig({ team: 'a' }));
      await provider.createVolume(volumeConfig({ team: 'ab', role: 'db' }));
      const matched = await provider.listVolumes({
        location: harness.location,
        labels: { team: 'a', role: 'db' },
      });
      expect(matched.map((volume) => volume.id)).toEqual([both.id]);
      expect(matched.every((volume) => !hasAmbiguousLabel(volume.labels, 'team'))).toBe(true);
      const refused = await provider
        .listVolumes({ location: harness.location, labels: { __sam_internal_ambiguous_label__team: 'true' } })
        .catch((error: unknown) => error);
      expect(isProviderError(refused, 'invalid_input')).toBe(true);
    });
  });
}
