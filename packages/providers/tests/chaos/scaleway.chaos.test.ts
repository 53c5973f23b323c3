import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatChaosReport, runChaosInVirtualTime } from './chaos.js';
import { assertChaosInvariants } from './chaos-assertions.js';
import { scalewayChaosTarget } from './targets.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const OPTIONS = {
  lifecycles: 200,
  volumeLifecycles: 60,
  concurrency: 20,
  seed: 7,
  faultProbability: 0.05,
  abortProbability: 0.15,
};

describe('scaleway under chaos', () => {
  it('200 VM and 60 volume lifecycles, 20 at a time, with faults and aborts: no leak, no duplicate, only typed errors', async () => {
    const report = await runChaosInVirtualTime(scalewayChaosTarget(server), OPTIONS);
    const text = formatChaosReport('scaleway', report);
    console.log(text);
    assertChaosInvariants(report, OPTIONS.lifecycles, OPTIONS.volumeLifecycles);
    // Seeded and deterministic: the same seed gives the same run, fault for fault (checked on a shorter run).
    const short = { ...OPTIONS, lifecycles: 40, volumeLifecycles: 12 };
    const once = formatChaosReport(
      'scaleway',
      await runChaosInVirtualTime(scalewayChaosTarget(server), short),
    );
    expect(
      formatChaosReport('scaleway', await runChaosInVirtualTime(scalewayChaosTarget(server), short)),
    ).toBe(once);
  }, 120_000);
});
