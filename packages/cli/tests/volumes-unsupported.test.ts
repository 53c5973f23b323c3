import type { Provider } from '@simple-agent-manager/providers';
import { ProviderError } from '@simple-agent-manager/providers';
import { describe, expect, it, vi } from 'vitest';
import { cli, lines, parseJson } from './cli-harness.js';

/** Calls of a volume method on a provider without volumes: there must be none. */
const volumeCalls: string[] = [];

/**
 * A provider as one whose volumes this version does not drive: `volumeCapabilities.supported` is false and every
 * volume method rejects before any request (as `HetznerProvider` did before it had volumes).
 */
function withoutVolumes(provider: Provider): Provider {
  const capabilities = { ...provider.volumeCapabilities, supported: false };
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'volumeCapabilities') return capabilities;
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      if (typeof key === 'string' && /Volumes?$/.test(key)) {
        return () => {
          volumeCalls.push(key);
          return Promise.reject(
            new ProviderError({
              provider: provider.name,
              category: 'invalid_request',
              message: `${key}: block volumes are not supported`,
            }),
          );
        };
      }
      return (value as (...args: unknown[]) => unknown).bind(target);
    },
  });
}

// Hetzner as a provider without volumes, wherever the CLI gets a provider from.
vi.mock('../src/target.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../src/target.js')>();
  return {
    ...original,
    catalogProvider: (name: 'scaleway' | 'hetzner') => {
      const provider = original.catalogProvider(name);
      return name === 'hetzner' ? withoutVolumes(provider) : provider;
    },
    openTarget: async (options: Parameters<typeof original.openTarget>[0]) => {
      const target = await original.openTarget(options);
      return options.connection.provider === 'hetzner'
        ? { ...target, provider: withoutVolumes(target.provider) }
        : target;
    },
  };
});

const UNSUPPORTED =
  'sam-provider: Hetzner Cloud block volumes are not supported by this version of the provider library (volumeCapabilities.supported is false); nothing was sent';

describe('a provider whose volumes this version does not drive', () => {
  it.each([
    ['create', '--name', 'd', '--size-gb', '10'],
    ['list'],
    ['get', '42'],
    ['attach', '42', '--vm', '7'],
    ['detach', '42'],
    ['resize', '42', '--size-gb', '20'],
    ['delete', '42'],
  ])('volume %s fails with exit 1 at once, starting no emulator and sending nothing', async (...args) => {
    const result = await cli(['--provider', 'hetzner', 'volume', ...args]);

    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([UNSUPPORTED]);
    expect(result.stdout).toBe('');
    expect(volumeCalls).toEqual([]);
  });

  it('with --json the failure is one JSON document', async () => {
    const result = await cli(['--provider', 'hetzner', 'volume', 'list', '--json']);

    expect(result.code).toBe(1);
    expect(parseJson(result)).toMatchObject({ error: { message: expect.stringContaining('not supported') } });
  });

  it('the demo skips its volume steps and still passes with zero leftovers', async () => {
    const result = await cli(['demo', '--provider', 'hetzner', '--speed', '50', '--json']);

    expect(result.code).toBe(0);
    const demo = parseJson(result) as { passed: boolean; steps: { operation: string }[]; leftovers: unknown };
    expect(demo.passed).toBe(true);
    expect(demo.steps.map((step) => step.operation)).toEqual([
      'validate credentials',
      'create',
      'wait until running',
      'list by label',
      'power off + wait',
      'power on + wait',
      'delete + wait',
      'leftover check',
    ]);
    expect(demo.leftovers).toEqual({ servers: 0, volumes: 0, ips: 0 });
    expect(volumeCalls).toEqual([]);
  });

  it('other providers keep their volumes', async () => {
    const result = await cli(['volume', 'list', '--json']);

    expect(result.code).toBe(0);
    expect(parseJson(result)).toEqual([]);
  });
});
