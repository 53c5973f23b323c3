/**
 * The chaos suite at benchmark scale (not in the test command, to keep it short): both providers, `SAM_CHAOS_LIFECYCLES`
 * VM lifecycles (default 500) and a quarter as many volume lifecycles, `SAM_CHAOS_FAULT_RATE` faults (default 0.1) on
 * every endpoint, the same invariants as the test suite. Run by `pnpm bench` (bench/run.ts) through vitest, whose fake
 * timers give the virtual time the suite runs in; the report goes to `SAM_CHAOS_OUT` when set.
 */
import { writeFileSync } from 'node:fs';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { formatChaosReport, runChaosInVirtualTime } from '../tests/chaos/chaos.js';
import { assertChaosInvariants } from '../tests/chaos/chaos-assertions.js';
import { hetznerChaosTarget, scalewayChaosTarget } from '../tests/chaos/targets.js';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const lifecycles = Number(process.env.SAM_CHAOS_LIFECYCLES ?? 500);
const faultProbability = Number(process.env.SAM_CHAOS_FAULT_RATE ?? 0.1);
const options = {
  lifecycles,
  volumeLifecycles: Math.round(lifecycles / 4),
  concurrency: 25,
  seed: 2026,
  faultProbability,
  abortProbability: 0.1,
};
const reports: string[] = [];
afterAll(() => {
  if (process.env.SAM_CHAOS_OUT !== undefined) writeFileSync(process.env.SAM_CHAOS_OUT, reports.join('\n\n'));
});

describe(`chaos at scale: ${lifecycles} lifecycles, ${faultProbability * 100}% faults`, () => {
  for (const [name, target] of [
    ['scaleway', scalewayChaosTarget],
    ['hetzner', hetznerChaosTarget],
  ] as const) {
    it(name, async () => {
      const started = performance.now();
      const report = await runChaosInVirtualTime(target(server), options);
      const text = `${formatChaosReport(name, report)}\n  wall time: ${Math.round(performance.now() - started)} ms`;
      reports.push(text);
      process.stderr.write(`${text}\n`);
      assertChaosInvariants(report, options.lifecycles, options.volumeLifecycles);
    }, 900_000);
  }
});
