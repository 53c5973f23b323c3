import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { createProvider } from '../../src/index.js';
import { formatChaosReport, runChaos } from './chaos.js';
import { assertChaosInvariants } from './chaos-assertions.js';

const emulator = new HetznerEmulator({ seed: 42, clock: { mode: 'realtime', speed: 1_000 } });
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

describe('hetzner under chaos', () => {
  it('200 lifecycles, 20 at a time, with faults and aborts: no leak, no duplicate, only typed errors', async () => {
    let retries = 0;
    const timeoutMs = 120;
    const provider = createProvider({
      provider: 'hetzner',
      token: HETZNER_EMULATOR_TOKEN,
      timeoutMs,
      retry: { baseDelayMs: 2, maxDelayMs: 20, maxRetries: 4, random: () => 0.5 },
      onEvent: (event) => {
        if (event.type === 'retry') retries++;
      },
    });
    const report = await runChaos(
      {
        name: 'hetzner',
        emulator,
        provider,
        retries: () => retries,
        location: (index) => (index % 2 === 0 ? 'fsn1' : 'nbg1'),
        size: 'small',
        rateLimit: (rule) => ({
          ...rule,
          status: 429,
          body: {
            error: { code: 'rate_limit_exceeded', message: 'limit of 3600 requests per hour reached' },
          },
        }),
        timeoutMs,
      },
      { lifecycles: 200, concurrency: 20, seed: 11, faultProbability: 0.05, abortProbability: 0.15 },
    );
    console.log(formatChaosReport('hetzner', report));
    assertChaosInvariants(report, 200);
  }, 120_000);
});
