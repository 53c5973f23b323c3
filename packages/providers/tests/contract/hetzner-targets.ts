import {
  HETZNER_EMULATOR_TOKEN,
  type HetznerEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { HetznerProvider, type HetznerProviderConfig } from '../../src/index.js';
import type { ContractHarness, ContractTarget } from './provider-contract.js';

/** Fast retries and a clock a hundred times faster than reality keep the suite quick. */
export const FAST_RETRY = { baseDelayMs: 1, maxDelayMs: 5 } as const;

function harness(emulator: HetznerEmulator, apiUrl: string | undefined): ContractHarness {
  const config = (overrides: Partial<HetznerProviderConfig> = {}): HetznerProviderConfig => ({
    provider: 'hetzner',
    token: HETZNER_EMULATOR_TOKEN,
    ...(apiUrl === undefined ? {} : { apiUrl }),
    timeoutMs: 2_000,
    retry: FAST_RETRY,
    ...overrides,
  });
  return {
    provider: new HetznerProvider(config()),
    wrongCredentials: new HetznerProvider(config({ token: 'wrong-token' })),
    emulator,
    location: 'fsn1',
    size: 'small',
    unknownId: '999999999',
    invalidConfigs: [
      { field: 'token', build: () => new HetznerProvider(config({ token: '' })) },
      { field: 'token', build: () => new HetznerProvider(config({ token: 'has spaces in it' })) },
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
