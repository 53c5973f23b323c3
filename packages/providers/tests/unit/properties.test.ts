import { HetznerEmulator, ScalewayEmulator } from '@simple-agent-manager/cloud-emulator';
import fc from 'fast-check';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider, ProviderError, type ProviderEvent } from '../../src/index.js';
import { labelsToTags, tagsToLabels } from '../../src/scaleway-mappers.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

const labelKey = fc.stringMatching(/^[^=,\s]{1,64}$/);
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what label values may not hold
const labelValue = fc.stringMatching(/^[^\u0000-\u001f\u007f]{0,128}$/);

describe('labels ↔ tags', () => {
  it('round-trips any labels the provider accepts', () => {
    fc.assert(
      fc.property(fc.dictionary(labelKey, labelValue, { maxKeys: 50 }), (labels) => {
        expect(tagsToLabels(labelsToTags(labels))).toEqual({ ...labels });
      }),
      { numRuns: 500 },
    );
  });

  it('ignores any tag without "=" mixed in', () => {
    fc.assert(
      fc.property(
        fc.dictionary(labelKey, labelValue, { maxKeys: 10 }),
        fc.array(fc.stringMatching(/^[^=]{0,20}$/)),
        (labels, plain) => {
          expect(tagsToLabels([...plain, ...labelsToTags(labels)])).toEqual({ ...labels });
        },
      ),
    );
  });
});

/** Every string an error exposes: message, String(), JSON, stack, and the same for each cause and cleanup error. */
function exposed(error: unknown, depth = 0): string {
  if (depth > 5 || error === undefined || error === null) return '';
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message, String(error), JSON.stringify(error), error.stack ?? ''];
  parts.push(exposed(error.cause, depth + 1));
  if (error instanceof ProviderError)
    for (const nested of error.cleanupErrors) parts.push(exposed(nested, depth + 1));
  return parts.join('\n');
}

describe('secrets never leak', () => {
  const server = setupServer();
  beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
  afterAll(() => server.close());

  it('for any secret key and user data: not in any error, nor in the request log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uuid({ version: 4 }),
        fc.string({ minLength: 12, maxLength: 300, unit: 'binary' }).map((text) => `#cloud-config\n${text}`),
        fc.constantFrom('PATCH', 'POST'),
        async (secretKey, userData, failingMethod) => {
          const emulator = new ScalewayEmulator({ secretKey });
          server.resetHandlers(...emulator.handlers());
          const events: ProviderEvent[] = [];
          const provider = createProvider(
            scalewayTestConfig({ secretKey, onEvent: (event) => events.push(event) }),
          );
          const wrongKey = createProvider(
            scalewayTestConfig({ secretKey: secretKey.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) }),
          );
          // An API that echoes what it received into its error, on whichever step fails.
          emulator.injectFault({
            method: failingMethod,
            status: 400,
            body: { type: 'invalid_request_error', message: `got ${userData} with ${secretKey}`, fields: {} },
          });
          const created = await provider.createVM(config(userData)).catch((error: unknown) => error);
          const failures = [
            created,
            await wrongKey.createVM(config(userData)).catch((error: unknown) => error),
          ];
          // With the fault on DELETE the create succeeds: the delete is what fails.
          if (!(created instanceof Error)) {
            failures[0] = await provider
              .deleteVM((created as { id: string }).id)
              .catch((error: unknown) => error);
          }
          emulator.clearFaults();
          emulator.injectFault({ status: 503, body: `upstream said ${secretKey}` });
          failures.push(await provider.validateToken().catch((error: unknown) => error));
          expect(failures.every((failure) => failure instanceof ProviderError)).toBe(true);
          const text = `${failures.map((failure) => exposed(failure)).join('\n')}\n${JSON.stringify(events)}`;
          expect(text).not.toContain(secretKey);
          expect(text).not.toContain(userData);
          expect(text).not.toContain(JSON.stringify(userData).slice(1, -1));
          expect(JSON.stringify(emulator.requests)).not.toContain(secretKey);
          expect(JSON.stringify(emulator.requests)).not.toContain(userData);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('for any token and user data, through network failures and failed cleanups: nothing leaks, causes included', async () => {
    let causes = 0;
    let cleanups = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.stringMatching(/^[A-Za-z0-9_-]{32,64}$/),
        fc.uuid({ version: 4 }),
        fc
          .string({ minLength: 12, maxLength: 200, unit: 'grapheme' })
          .map((text) => `#cloud-config\n${text}`),
        async (token, secretKey, userData) => {
          const hetzner = new HetznerEmulator({ token });
          const scaleway = new ScalewayEmulator({ secretKey });
          server.resetHandlers(...hetzner.handlers(), ...scaleway.handlers());
          const events: ProviderEvent[] = [];
          const onEvent = (event: ProviderEvent) => events.push(event);
          const hcloud = createProvider({
            provider: 'hetzner',
            token,
            onEvent,
            timeoutMs: 100,
            retry: { maxRetries: 1, baseDelayMs: 1 },
          });
          const scw = createProvider(
            scalewayTestConfig({ secretKey, onEvent, retry: { maxRetries: 1, baseDelayMs: 1 } }),
          );
          // A dropped connection (an error with a cause chain) on Hetzner's create and every lookup.
          hetzner.injectFault({ drop: true });
          // Scaleway: the PATCH echoes what it got and fails; the cleanup's DELETE is refused too.
          scaleway.injectFault({
            method: 'PATCH',
            status: 400,
            body: { type: 'invalid_request_error', message: `bad ${userData} ${secretKey}`, fields: {} },
          });
          scaleway.injectFault({ method: 'DELETE', status: 500, body: `upstream: ${secretKey} ${userData}` });
          scaleway.injectFault({
            method: 'POST',
            path: /\/action$/,
            status: 500,
            body: `upstream: ${secretKey}`,
          });
          const failures = [
            await hcloud.createVM({ ...config(userData), location: 'fsn1' }).catch((error: unknown) => error),
            await scw.createVM(config(userData)).catch((error: unknown) => error),
          ];
          for (const failure of failures) {
            expect(failure).toBeInstanceOf(ProviderError);
            if ((failure as Error).cause !== undefined) causes++;
            cleanups += (failure as ProviderError).cleanupErrors.length;
          }
          const text = `${failures.map((failure) => exposed(failure)).join('\n')}\n${JSON.stringify(events)}`;
          for (const secret of [token, secretKey, userData, JSON.stringify(userData).slice(1, -1)]) {
            expect(text).not.toContain(secret);
          }
        },
      ),
      { numRuns: 25 },
    );
    // The walk over causes and cleanup errors above must have had something to walk.
    expect(causes).toBeGreaterThan(0);
    expect(cleanups).toBeGreaterThan(0);
  });

  function config(userData: string) {
    return { name: 'agent', size: 'small' as const, location: 'fr-par-1', userData, labels: { a: 'b' } };
  }
});
