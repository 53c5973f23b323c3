import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/index.js';
import { type ChaosTarget, formatChaosReport, runChaosInVirtualTime } from './chaos.js';
import { assertChaosInvariants } from './chaos-assertions.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const OPTIONS = {
  lifecycles: 200,
  volumeLifecycles: 60,
  concurrency: 20,
  seed: 11,
  faultProbability: 0.05,
  abortProbability: 0.15,
};

/** A fresh emulator and provider, installed as the msw handlers. */
function target(): ChaosTarget {
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

describe('hetzner under chaos', () => {
  it('200 VM and 60 volume lifecycles, 20 at a time, with faults and aborts: no leak, no duplicate, only typed errors', async () => {
    const report = await runChaosInVirtualTime(target(), OPTIONS);
    const text = formatChaosReport('hetzner', report);
    console.log(text);
    assertChaosInvariants(report, OPTIONS.lifecycles, OPTIONS.volumeLifecycles);
    // Seeded and deterministic: the same seed gives the same run, fault for fault.
    expect(formatChaosReport('hetzner', await runChaosInVirtualTime(target(), OPTIONS))).toBe(text);
  }, 120_000);
});
