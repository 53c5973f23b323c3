import {
  HETZNER_EMULATOR_TOKEN,
  type HetznerEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import {
  HetznerProvider,
  type HetznerProviderConfig,
  type HetznerProviderSettings,
} from '../../src/index.js';
import type { ContractHarness, ContractTarget } from './provider-contract.js';

/** Fast retries and a clock a hundred times faster than reality keep the suite quick. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 } as const;

function harness(emulator: HetznerEmulator, apiUrl: string | undefined): ContractHarness {
  const config = (
    overrides: Partial<HetznerProviderSettings> & { apiToken?: string } = {},
  ): HetznerProviderConfig => ({
    provider: 'hetzner',
    apiToken: HETZNER_EMULATOR_TOKEN,
    ...(apiUrl === undefined ? {} : { apiUrl }),
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    capacityRetryInitialDelayMs: 1,
    capacityRetryMaxDelayMs: 5,
    capacityRetryMaxAttempts: 2,
    placementRetryDelayMs: 1,
    pollIntervalMs: 5,
    ...overrides,
  });
  return {
    provider: new HetznerProvider(config()),
    wrongCredentials: new HetznerProvider(config({ apiToken: 'wrong-token' })),
    emulator,
    location: 'fsn1',
    size: 'small',
    unknownId: '999999999',
    foreignId: 'fr-par-1/11111111-2222-4333-8444-555555555555',
    secrets: [HETZNER_EMULATOR_TOKEN],
    withLogger: (logger) => new HetznerProvider(config({ logger })),
    // docs/hetzner-api.md "Errors": resource_unavailable (412) and resource_limit_exceeded (403).
    capacityFault: {
      method: 'POST',
      path: /\/servers$/,
      status: 412,
      body: {
        error: { code: 'resource_unavailable', message: 'the requested resource is currently unavailable' },
      },
    },
    quotaFault: {
      method: 'POST',
      path: /\/servers$/,
      status: 403,
      body: { error: { code: 'resource_limit_exceeded', message: 'server limit exceeded' } },
    },
    invalidConfigs: [
      { field: 'apiToken', build: () => new HetznerProvider(config({ apiToken: '' })) },
      { field: 'apiToken', build: () => new HetznerProvider(config({ apiToken: 'has spaces in it' })) },
      { field: 'datacenter', build: () => new HetznerProvider(config({ datacenter: 'ash' })) },
      { field: 'apiUrl', build: () => new HetznerProvider(config({ apiUrl: 'not a url' })) },
      { field: 'timeoutMs', build: () => new HetznerProvider(config({ timeoutMs: -1 })) },
    ],
  };
}

/** Hetzner against its emulator, in-process through msw (the caller installs `emulator.handlers()`). */
export function hetznerMswTarget(emulator: HetznerEmulator): ContractTarget {
  return {
    name: 'hetzner (msw)',
    setup: () => {
      emulator.reset();
      return harness(emulator, undefined);
    },
  };
}

/** Hetzner against its emulator over real HTTP on 127.0.0.1. */
export function hetznerLoopbackTarget(
  emulator: HetznerEmulator,
): ContractTarget & { close(): Promise<void> } {
  let server: Awaited<ReturnType<typeof startEmulatorServer>> | undefined;
  return {
    name: 'hetzner (loopback)',
    setup: async () => {
      server ??= await startEmulatorServer(emulator);
      emulator.reset();
      return harness(emulator, `${server.url}/v1`);
    },
    close: async () => {
      await server?.close();
    },
  };
}
