/**
 * The providers package inside Cloudflare's workerd runtime, with and without `nodejs_compat`: a bundled Worker
 * (worker.ts) keeps one provider per cloud at module scope and drives it against the emulators on 127.0.0.1.
 * Every case ends with zero leftovers in both emulators.
 */
import { fileURLToPath } from 'node:url';
import { SCALEWAY_EMULATOR_PROJECT_ID } from '@simple-agent-manager/cloud-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  bundleWorker,
  type Emulators,
  startEmulators,
  startWorkerd,
  type WorkerBundle,
  type WorkerdInstance,
} from './harness.js';
import type { CreateReport, ErrorCase, LifecycleReport } from './worker.js';

type Cloud = 'scaleway' | 'hetzner';
const CLOUDS: readonly Cloud[] = ['scaleway', 'hetzner'];
const MODES = [
  { name: 'with nodejs_compat', nodejsCompat: true },
  { name: 'without nodejs_compat', nodejsCompat: false },
] as const;

let bundle: WorkerBundle;
let emulators: Emulators;

beforeAll(async () => {
  [bundle, emulators] = await Promise.all([bundleWorker(), startEmulators()]);
});

afterAll(async () => {
  await emulators?.close();
});

/** Subrequests the emulators saw for each route call, printed at the end for the README's table. */
const observed: { mode: string; provider: Cloud; operation: string; requests: number }[] = [];
afterAll(() => {
  if (observed.length === 0) return;
  const lines = observed.map(
    ({ mode, provider, operation, requests }) =>
      `${mode.padEnd(22)} ${provider.padEnd(9)} ${operation.padEnd(44)} ${requests}`,
  );
  console.info(`subrequests per operation (emulator request log):\n${lines.join('\n')}`);
});

/** One line per create, so that a failure shows each error. */
function describeCreate(report: CreateReport | { outcome: 'no answer'; detail: string }): string {
  if (report.outcome === 'no answer') return `no answer: ${report.detail}`;
  if (report.outcome === 'created') return `created in ${report.vm?.location}`;
  const error = report.error;
  return `${report.outcome}: ${error?.constructorName} (${error?.category ?? 'no category'}) ${error?.message}`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function held(cloud: Cloud) {
  const { servers, volumes, ips } = emulators[cloud].leftovers();
  return [...servers, ...volumes, ...ips].map((item) => `${item.kind} ${item.id}`);
}

/** What both emulators still hold once in-flight work has settled (polled for up to `timeoutMs`). */
async function settledLeftovers(timeoutMs = 5_000): Promise<Record<Cloud, string[]>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = { scaleway: held('scaleway'), hetzner: held('hetzner') };
    if ((left.scaleway.length === 0 && left.hetzner.length === 0) || Date.now() > deadline) return left;
    await sleep(50);
  }
}

it('the bundle holds no Node builtin: the bundler refuses one', async () => {
  expect(bundle.inputs.filter((input) => input.startsWith('providers/src/')).length).toBeGreaterThan(10);
  const fixture = fileURLToPath(new URL('./fixtures/node-builtin.ts', import.meta.url));
  await expect(bundleWorker(fixture)).rejects.toThrow(/Node builtin "node:crypto" imported by/);
});

for (const mode of MODES) {
  describe(`workerd ${mode.name}`, () => {
    let worker: WorkerdInstance;

    beforeAll(async () => {
      worker = await startWorkerd({
        script: bundle.code,
        nodejsCompat: mode.nodejsCompat,
        bindings: emulators.bindings,
      });
    });

    afterAll(async () => {
      await worker?.close();
    });

    afterEach(async () => {
      for (const cloud of CLOUDS) emulators[cloud].clearFaults();
      const left = await settledLeftovers();
      // Leave a clean slate for the next case whatever happened, then fail this one.
      if (left.scaleway.length > 0) emulators.scaleway.reset();
      if (left.hetzner.length > 0) emulators.hetzner.reset();
      expect(left, 'leftovers after the case').toEqual({ scaleway: [], hetzner: [] });
    });

    /** Call a route and record how many requests each emulator saw meanwhile. */
    async function measured<T>(cloud: Cloud, operation: string, method: 'GET' | 'POST', path: string) {
      const before = emulators[cloud].requests.length;
      const answer = await worker.call<T>(method, path);
      const requests = emulators[cloud].requests.length - before;
      observed.push({ mode: mode.name, provider: cloud, operation, requests });
      return { ...answer, requests };
    }

    /** A create through the shared provider; an HTTP failure (a hung or crashed Worker) is reported, not thrown. */
    async function create(query: string): Promise<CreateReport | { outcome: 'no answer'; detail: string }> {
      try {
        const { status, body } = await worker.call<CreateReport>('POST', `/create?${query}`, 10_000);
        if (status !== 200) return { outcome: 'no answer', detail: `${status} ${JSON.stringify(body)}` };
        return body;
      } catch (error) {
        return { outcome: 'no answer', detail: `${String(error)}\n${worker.output().slice(-2_000)}` };
      }
    }

    it.each(CLOUDS)('%s: the full lifecycle passes', async (cloud) => {
      const { status, body, requests } = await measured<LifecycleReport>(
        cloud,
        'lifecycle (total)',
        'POST',
        `/lifecycle?provider=${cloud}&run=life-${cloud}-${mode.nodejsCompat ? 'compat' : 'plain'}`,
      );
      expect(status).toBe(200);
      const failed = body.steps.filter((step) => !step.ok);
      expect(failed, JSON.stringify(failed)).toEqual([]);
      expect(body.ok).toBe(true);
      expect(body.steps.map((step) => step.step)).toEqual([
        'validateToken',
        'createVM',
        'waitForVM running',
        'listVMs by label',
        'powerOff',
        'waitForVM off',
        'powerOn',
        'waitForVM running again',
        'deleteVM',
        'waitForVM deleted',
      ]);
      const [id] = body.ids;
      const result = (step: string) => body.steps.find((candidate) => candidate.step === step)?.result;
      expect(result('validateToken')).toBe(true);
      expect(result('listVMs by label')).toEqual([id]);
      expect(result('waitForVM running')).toMatchObject({
        status: 'running',
        ip: expect.stringMatching(/\./),
      });
      expect(result('waitForVM off')).toMatchObject({ status: 'off' });
      expect(result('waitForVM running again')).toMatchObject({ status: 'running' });
      expect(result('waitForVM deleted')).toBeNull();
      // The Worker's own count (request events) matches what reached the emulator.
      expect(body.steps.reduce((sum, step) => sum + step.requests, 0)).toBe(requests);
      for (const step of body.steps) {
        observed.push({
          mode: mode.name,
          provider: cloud,
          operation: `  ${step.step}`,
          requests: step.requests,
        });
      }
    });

    it.each([
      { when: 'after it ended', zone: 'nl-ams-1', joinWhileAlive: false },
      { when: 'while it was alive', zone: 'nl-ams-2', joinWhileAlive: true },
    ])(
      'scaleway: one provider shared across requests survives a request that ended mid image lookup (overlapping creates start $when)',
      async ({ zone, joinWhileAlive }) => {
        const run = `shared-${zone}-${mode.nodejsCompat ? 'compat' : 'plain'}`;
        const query = `provider=scaleway&location=${zone}&run=${run}`;
        const path = '/marketplace/v2/local-images';
        const delayMs = 800;
        const slow = emulators.scaleway.injectFault({
          method: 'GET',
          path,
          delayMs,
          times: 1,
          label: 'slow lookup',
        });
        const before = emulators.scaleway.requests.length;
        const lookups = () =>
          emulators.scaleway.requests.slice(before).filter((request) => request.path === path);

        // Request A: its create is aborted, and A answers at once, while its lookup is still delayed. Either the
        // overlapping creates start once A has ended, or they start while A is alive (joining its lookup) and A
        // ends under them.
        let answeredAt = Number.NaN;
        const requestA = create(`${query}&abortAfterMs=${joinWhileAlive ? 300 : 50}`).then((report) => {
          answeredAt = Date.now();
          return report;
        });
        if (!joinWhileAlive) await requestA;
        else while (lookups().length === 0) await sleep(5);
        const overlappingStartedAt = Date.now();
        const overlappingCreates = Promise.all([create(query), create(query), create(query)]);
        expect(await requestA).toEqual({ outcome: 'aborted', afterAbort: 'rejected with the caller reason' });
        expect(slow.hits).toBe(1);
        const lookupAt = lookups()[0]?.at ?? Number.NaN;
        // The emulator cannot answer that lookup before lookupAt + delayMs: A ended with it in flight, and the
        // overlapping creates started before it could settle (and, when joining, before A ended).
        expect(answeredAt).toBeLessThan(lookupAt + delayMs);
        expect(overlappingStartedAt).toBeLessThan(joinWhileAlive ? answeredAt : lookupAt + delayMs);

        const ids: string[] = [];
        const track = (reports: Awaited<ReturnType<typeof create>>[]) => {
          for (const report of reports) if ('vm' in report && report.vm !== undefined) ids.push(report.vm.id);
          return reports.map(describeCreate);
        };
        let deletedAll = false;
        try {
          // Three overlapping creates in the same zone, on the same provider, all succeed.
          const overlapping = await overlappingCreates;
          const created = `created in ${zone}`;
          expect(track(overlapping)).toEqual([created, created, created]);

          // More creates once A's lookup would have settled: nothing stays poisoned in the cache.
          await sleep(Math.max(0, lookupAt + delayMs + 100 - Date.now()));
          const later = await Promise.all([create(query), create(query)]);
          expect(track(later)).toEqual([created, created]);

          observed.push({
            mode: mode.name,
            provider: 'scaleway',
            operation: `abort + 5 createVM (${zone}, cold cache)`,
            requests: emulators.scaleway.requests.length - before,
          });
          observed.push({
            mode: mode.name,
            provider: 'scaleway',
            operation: '  of which image lookups',
            requests: lookups().length,
          });

          const listed = await measured<{ ids?: string[] }>(
            'scaleway',
            'listVMs by label (10 zones)',
            'GET',
            `/list?provider=scaleway&label=run=${run}`,
          );
          expect([...(listed.body.ids ?? [])].sort()).toEqual([...ids].sort());

          const deleted = await measured<{ deleted: string[] }>(
            'scaleway',
            'deleteVM x5 + waitForVM deleted',
            'POST',
            `/delete?provider=scaleway&${ids.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`,
          );
          expect(deleted.body).toEqual({ deleted: ids });
          deletedAll = true;
        } finally {
          // A failed case still removes what it made, so that the leftover check speaks of the library only.
          if (!deletedAll && ids.length > 0) {
            await worker.call(
              'POST',
              `/delete?provider=scaleway&${ids.map((id) => `id=${encodeURIComponent(id)}`).join('&')}`,
            );
          }
        }
      },
    );

    it.each(CLOUDS)(
      '%s: a create aborted with its POST in flight leaves nothing once its cleanup ran (kept alive by waitUntil)',
      async (cloud) => {
        // The POST is answered (the server made) only after the abort: the create must wait for it and delete it.
        const path = cloud === 'scaleway' ? /\/servers$/ : '/v1/servers';
        emulators[cloud].injectFault({ method: 'POST', path, delayMs: 300, times: 1, label: 'slow create' });
        const before = emulators[cloud].requests.length;
        const tag = `${cloud}-${mode.nodejsCompat ? 'compat' : 'plain'}-post-in-flight`;
        const report = await create(`provider=${cloud}&run=${tag}&abortAfterMs=100&waitUntil=1&tag=${tag}`);
        // The documented exception: with its POST in flight the create waits for the answer, so it is still pending.
        expect(report).toEqual({ outcome: 'aborted', afterAbort: 'pending' });

        const deadline = Date.now() + 5_000;
        let settled = 'pending';
        while (settled === 'pending' && Date.now() < deadline) {
          await sleep(50);
          settled = (await worker.call<{ settled: string }>('GET', `/settled?tag=${tag}`)).body.settled;
        }
        // Once the cleanup ran, the create rejected with the caller's own reason.
        expect(settled).toBe('rejected with the caller reason');
        const seen = emulators[cloud].requests
          .slice(before)
          .map((request) => `${request.method} ${request.status}`);
        expect(seen).toContain('POST 201');
        expect(seen).toContain(cloud === 'scaleway' ? 'DELETE 204' : 'DELETE 200');
        expect(await settledLeftovers()).toEqual({ scaleway: [], hetzner: [] });
        observed.push({
          mode: mode.name,
          provider: cloud,
          operation: 'createVM aborted, POST in flight (+cleanup)',
          requests: emulators[cloud].requests.length - before,
        });
      },
    );

    it.each(CLOUDS)(
      '%s: timeout, refused connection and aborts are typed errors or the caller own reason',
      async (cloud) => {
        // validateToken's one request, held back far longer than the 100 ms timeout.
        const path =
          cloud === 'scaleway' ? `/account/v3/projects/${SCALEWAY_EMULATOR_PROJECT_ID}` : '/v1/servers';
        emulators[cloud].injectFault({ method: 'GET', path, delayMs: 1_000, label: 'slow validateToken' });
        const before = emulators[cloud].requests.length;
        const { status, body } = await measured<Record<string, ErrorCase>>(
          cloud,
          'error paths',
          'POST',
          `/errors?provider=${cloud}`,
        );
        expect(status).toBe(200);
        const providerError = {
          constructorName: 'ProviderError',
          instanceOfProviderError: true,
          isProviderError: true,
        };
        expect(body.timeout).toMatchObject({
          error: { ...providerError, providerName: cloud, category: 'timeout', retryable: true },
        });
        expect(body.refused).toMatchObject({
          error: { ...providerError, providerName: cloud, category: 'network', retryable: true },
        });
        expect(body.callerAbort).toMatchObject({
          sameReason: true,
          error: { constructorName: 'Error', instanceOfProviderError: false, message: 'the caller gave up' },
        });
        expect(body.preAborted).toMatchObject({ sameReason: true, error: { constructorName: 'object' } });
        expect(body.invalidInput).toMatchObject({
          error: {
            ...providerError,
            category: 'invalid_input',
            retryable: false,
            message: expect.stringMatching(/userData/),
          },
        });
        // Neither waited for the delayed answer.
        expect(body.timeout?.ms).toBeLessThan(900);
        expect(body.callerAbort?.ms).toBeLessThan(900);
        // The emulator saw the two delayed validateToken requests only: none for the pre-aborted list or the
        // invalid create, and the refused ones went to the closed port.
        const seen = emulators[cloud].requests
          .slice(before)
          .map((request) => `${request.method} ${request.path}`);
        expect(seen).toEqual([`GET ${path}`, `GET ${path}`]);
      },
    );
  });
}
