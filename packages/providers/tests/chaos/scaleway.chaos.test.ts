import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
  scalewayRateLimitFault,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createProvider } from '../../src/index.js';
import { formatChaosReport, runChaos } from './chaos.js';
import { assertChaosInvariants } from './chaos-assertions.js';

const emulator = new ScalewayEmulator({ seed: 42, clock: { mode: 'realtime', speed: 1_000 } });
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describe('scaleway under chaos', () => {
  it('200 lifecycles, 20 at a time, with faults and aborts: no leak, no duplicate, only typed errors', async () => {
    let retries = 0;
    const timeoutMs = 120;
    const provider = createProvider({
      provider: 'scaleway',
      secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
      projectId: SCALEWAY_EMULATOR_PROJECT_ID,
      zones: ['fr-par-1', 'fr-par-2', 'nl-ams-1'],
      timeoutMs,
      retry: { baseDelayMs: 2, maxDelayMs: 20, maxRetries: 4, random: () => 0.5 },
      pollIntervalMs: 5,
      waitTimeoutMs: 10_000,
      onEvent: (event) => {
        if (event.type === 'retry') retries++;
      },
    });
    const report = await runChaos(
      {
        name: 'scaleway',
        emulator,
        provider,
        retries: () => retries,
        location: (index) => ['fr-par-1', 'fr-par-2', 'nl-ams-1'][index % 3] as string,
        size: 'small',
        rateLimit: (rule) => scalewayRateLimitFault(rule),
        timeoutMs,
      },
      { lifecycles: 200, concurrency: 20, seed: 7, faultProbability: 0.05, abortProbability: 0.15 },
    );
    console.log(formatChaosReport('scaleway', report));
    assertChaosInvariants(report, 200);
  }, 120_000);
});
