import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/index.js';
import { type ChaosTarget, formatChaosReport, runChaosInVirtualTime } from './chaos.js';
import { assertChaosInvariants } from './chaos-assertions.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const ZONES = ['fr-par-1', 'fr-par-2', 'nl-ams-1'];
const OPTIONS = {
  lifecycles: 200,
  volumeLifecycles: 60,
  concurrency: 20,
  seed: 7,
  faultProbability: 0.05,
  abortProbability: 0.15,
};

/** A fresh emulator and provider, installed as the msw handlers. */
function target(): ChaosTarget {
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

describe('scaleway under chaos', () => {
  it('200 VM and 60 volume lifecycles, 20 at a time, with faults and aborts: no leak, no duplicate, only typed errors', async () => {
    const report = await runChaosInVirtualTime(target(), OPTIONS);
    const text = formatChaosReport('scaleway', report);
    console.log(text);
    assertChaosInvariants(report, OPTIONS.lifecycles, OPTIONS.volumeLifecycles);
    // Seeded and deterministic: the same seed gives the same run, fault for fault.
    expect(formatChaosReport('scaleway', await runChaosInVirtualTime(target(), OPTIONS))).toBe(text);
  }, 120_000);
});
