import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  type ScalewayEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { ScalewayProvider, type ScalewayProviderConfig } from '../../src/index.js';
import { FAST_RETRY } from './hetzner-targets.js';
import type { ContractHarness, ContractTarget } from './provider-contract.js';

const WRONG_KEY = '00000000-0000-4000-8000-000000000000';

/** A Scaleway provider config for tests: fast retries and polls, the emulator's credentials. */
export function scalewayTestConfig(overrides: Partial<ScalewayProviderConfig> = {}): ScalewayProviderConfig {
  return {
    provider: 'scaleway',
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    pollIntervalMs: 5,
    waitTimeoutMs: 10_000,
    ...overrides,
  };
}

function harness(emulator: ScalewayEmulator, apiUrl: string | undefined): ContractHarness {
  const config = (overrides: Partial<ScalewayProviderConfig> = {}) =>
    scalewayTestConfig({ ...(apiUrl === undefined ? {} : { apiUrl }), ...overrides });
  return {
    provider: new ScalewayProvider(config()),
    wrongCredentials: new ScalewayProvider(config({ secretKey: WRONG_KEY })),
    emulator,
    location: 'nl-ams-1',
    size: 'small',
    unknownId: 'fr-par-1/11111111-2222-4333-8444-555555555555',
    foreignId: '12345678',
    secrets: [SCALEWAY_EMULATOR_SECRET_KEY],
    withLogger: (logger) => new ScalewayProvider(config({ logger })),
    // docs/scaleway-api.md §7: out_of_stock (503 for Instance, UNCONFIRMED) and the standard quota body.
    capacityFault: {
      method: 'POST',
      path: /\/servers$/,
      status: 503,
      body: { type: 'out_of_stock', message: 'resource is out of stock', resource: 'DEV1-M' },
    },
    quotaFault: {
      method: 'POST',
      path: /\/servers$/,
      status: 403,
      body: {
        type: 'quotas_exceeded',
        message: 'quota(s) exceeded for this resource',
        details: [{ resource: 'instances_dev1_m', quota: 1, current: 1 }],
      },
    },
    seedAmbiguousVM: () => {
      const server = emulator.seedServer({ zone: 'nl-ams-1', tags: ['suite=contract', 'env=a', 'env=b'] });
      return `nl-ams-1/${server.id}`;
    },
    invalidConfigs: [
      { field: 'secretKey', build: () => new ScalewayProvider(config({ secretKey: '' })) },
      {
        field: 'secretKey',
        build: () => new ScalewayProvider(config({ secretKey: 'SCWXXXXXXXXXXXXXXXXX' })),
      },
      { field: 'projectId', build: () => new ScalewayProvider(config({ projectId: 'my-project' })) },
      { field: 'zone', build: () => new ScalewayProvider(config({ zone: 'fr-par-9' })) },
      { field: 'zones', build: () => new ScalewayProvider(config({ zones: ['../admin'] })) },
      { field: 'zone', build: () => new ScalewayProvider(config({ zone: 'fr-par-2', zones: ['nl-ams-1'] })) },
      { field: 'apiUrl', build: () => new ScalewayProvider(config({ apiUrl: 'ftp://example.com' })) },
      { field: 'image', build: () => new ScalewayProvider(config({ image: 'Ubuntu Noble!' })) },
    ],
  };
}

/** Scaleway against its emulator, in-process through msw (the caller installs `emulator.handlers()`). */
export function scalewayMswTarget(emulator: ScalewayEmulator): ContractTarget {
  return {
    name: 'scaleway (msw)',
    setup: () => {
      emulator.reset();
      return harness(emulator, undefined);
    },
  };
}

/** Scaleway against its emulator over real HTTP on 127.0.0.1. */
export function scalewayLoopbackTarget(
  emulator: ScalewayEmulator,
): ContractTarget & { close(): Promise<void> } {
  let server: Awaited<ReturnType<typeof startEmulatorServer>> | undefined;
  return {
    name: 'scaleway (loopback)',
    setup: async () => {
      server ??= await startEmulatorServer(emulator);
      emulator.reset();
      return harness(emulator, server.url);
    },
    close: async () => {
      await server?.close();
    },
  };
}
