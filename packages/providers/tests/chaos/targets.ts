import {
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import type { SetupServer } from 'msw/node';
import { createProvider } from '../../src/index.js';
import type { ChaosTarget } from './chaos.js';

/** The chaos targets of both providers: a fresh emulator installed as `server`'s handlers, and a provider on it. */

const ZONES = ['fr-par-1', 'fr-par-2', 'nl-ams-1'];

/** A fresh emulator and provider, installed as the msw handlers. */
export function scalewayChaosTarget(server: SetupServer): ChaosTarget {
  const emulator = new ScalewayEmulator({ seed: 42, clock: { mode: 'realtime', speed: 1_000 } });
  server.resetHandlers(...emulator.handlers());
  let retries = 0;
  const cleanupReports: string[] = [];
  const timeoutMs = 120;
  const provider = createProvider({
    provider: 'scaleway',
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    zones: ZONES,
    timeoutMs,
    retry: { baseDelayMs: 2, maxDelayMs: 20, maxRetries: 4, random: () => 0.5 },
    pollIntervalMs: 5,
    waitTimeoutMs: 10_000,
    onEvent: (event) => {
      if (event.type === 'retry') retries++;
      if (event.type === 'cleanup_failed') cleanupReports.push(event.resource);
    },
  });
  return {
    name: 'scaleway',
    emulator,
    provider,
    retries: () => retries,
    cleanupReports: () => cleanupReports,
    location: (index) => ZONES[index % ZONES.length] as string,
    size: 'small',
    rateLimit: (rule) => scalewayRateLimitFault(rule),
    timeoutMs,
    volumeRoute: /^\/block\/|\/(attach|detach)-volume$/,
  };
}

/** A fresh emulator and provider, installed as the msw handlers. */
export function hetznerChaosTarget(server: SetupServer): ChaosTarget {
  const emulator = new HetznerEmulator({ seed: 42, clock: { mode: 'realtime', speed: 1_000 } });
  server.resetHandlers(...emulator.handlers());
  let retries = 0;
  const cleanupReports: string[] = [];
  const timeoutMs = 120;
  const provider = createProvider({
    provider: 'hetzner',
    token: HETZNER_EMULATOR_TOKEN,
    timeoutMs,
    retry: { baseDelayMs: 2, maxDelayMs: 20, maxRetries: 4, random: () => 0.5 },
    onEvent: (event) => {
      if (event.type === 'retry') retries++;
      if (event.type === 'cleanup_failed') cleanupReports.push(event.resource);
    },
  });
  return {
    name: 'hetzner',
    emulator,
    provider,
    retries: () => retries,
    cleanupReports: () => cleanupReports,
    location: (index) => (index % 2 === 0 ? 'fsn1' : 'nbg1'),
    size: 'small',
    rateLimit: (rule) => ({
      ...rule,
      status: 429,
      body: { error: { code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached' } },
    }),
    timeoutMs,
    volumeRoute: /^\/v1\/(volumes|actions)(\/|$)/,
  };
}
