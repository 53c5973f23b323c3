import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as library from '../../src/index.js';
import { isTransientCapacityError, ProviderError } from '../../src/index.js';
import { samConfigs, samErrors, samHelpers, samProviders } from './sam-control-plane.js';

const SOURCE_DIR = fileURLToPath(new URL('../../src/', import.meta.url));
const sources = readdirSync(SOURCE_DIR)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => ({ file, text: readFileSync(`${SOURCE_DIR}${file}`, 'utf8') }));

/** The names SAM's own shared package also exports, with the same meaning (SAM contract §7). */
const SAM_SHARED_NAMES = new Set([
  'VMSize',
  'CredentialProvider',
  'DEFAULT_SCALEWAY_ZONE',
  'DEFAULT_SCALEWAY_IMAGE_NAME',
  'DEFAULT_HETZNER_DATACENTER',
  'DEFAULT_HETZNER_IMAGE',
]);

describe('SAM control plane: what it imports (contract §0)', () => {
  it('finds every value it imports at the entry point', () => {
    const values: Record<string, string> = {
      createProvider: 'function',
      ProviderError: 'function',
      isTransientCapacityError: 'function',
      throwIfProviderRequestAborted: 'function',
      rethrowIfProviderRequestAborted: 'function',
      isProviderRequestAborted: 'function',
      providerDelay: 'function',
      completeAbortableResponse: 'function',
      hasAmbiguousLabel: 'function',
      SAM_VOLUME_FILESYSTEM_FORMAT: 'string',
      SAM_VOLUME_MOUNT_PATH_TEMPLATE: 'string',
      SAM_VOLUME_FSTAB_OPTIONS: 'object',
    };
    for (const [name, type] of Object.entries(values)) {
      expect(typeof (library as Record<string, unknown>)[name], name).toBe(type);
    }
    expect(samHelpers.SAM_VOLUME_FILESYSTEM_FORMAT).toBe('ext4');
    expect(samHelpers.SAM_VOLUME_MOUNT_PATH_TEMPLATE).toBe('/mnt/sam-env-{environmentId}/');
    expect(samHelpers.SAM_VOLUME_FSTAB_OPTIONS).toEqual(['nofail']);
  });

  it('builds both providers from the configs SAM builds, undefined fields included', () => {
    const logger = { warn: () => {}, info: () => {} };
    const configs = samConfigs(
      {
        apiToken: 'a'.repeat(64),
        secretKey: '11111111-2222-4333-8444-555555555555',
        projectId: '66666666-7777-4888-9999-000000000000',
      },
      {},
      logger,
    );
    const providers = samProviders(configs);
    expect(providers.map((provider) => provider.name)).toEqual([
      'hetzner',
      'scaleway',
      'hetzner',
      'hetzner',
      'scaleway',
    ]);
    for (const provider of providers) {
      expect(provider.locations.length).toBeGreaterThan(0);
      expect(provider.locations).toContain(provider.defaultLocation);
      for (const location of provider.locations) {
        expect(typeof location).toBe('string');
        expect(provider.locationMetadata[location]).toMatchObject({
          name: expect.any(String),
          country: expect.stringMatching(/^[A-Z]{2}$/),
        });
      }
      for (const size of ['small', 'medium', 'large'] as const) {
        expect(provider.sizes[size].price).toMatch(/^€\d+\.\d{4}\/hr$/);
      }
      expect(provider.volumeCapabilities).toMatchObject({
        supported: true,
        growOnlyResize: true,
        requiresSameLocation: true,
        defaultFormat: 'ext4',
        lifecycle: {
          filesystem: 'ext4',
          mountPathTemplate: '/mnt/sam-env-{environmentId}/',
          fstabOptions: ['nofail'],
        },
      });
    }
    expect(providers[0]?.defaultLocation).toBe('fsn1');
    expect(providers[1]?.defaultLocation).toBe('fr-par-1');
    expect(createProvider(configs.hetznerFull).defaultLocation).toBe('fsn1');
  });

  it('reads the members it needs from errors it constructs positionally', () => {
    const [cancelled, capacity, placement] = samErrors();
    expect(cancelled).toBeInstanceOf(ProviderError);
    expect(cancelled).toMatchObject({ providerName: 'scaleway', statusCode: undefined, category: 'unknown' });
    expect(capacity).toMatchObject({
      providerName: 'hetzner',
      statusCode: 503,
      providerCode: 'resource_unavailable',
      category: 'capacity',
      context: { location: 'fsn1', attempt: 1, retried: false, detail: null },
    });
    expect(placement).toMatchObject({ providerCode: 'placement_error', statusCode: 412 });
    expect((placement as ProviderError).cause).toBeInstanceOf(Error);
    expect([cancelled, capacity, placement].map((error) => isTransientCapacityError(error))).toEqual([
      false,
      true,
      true,
    ]);
  });
});

const createProvider = library.createProvider;

describe('SAM workspace: the package compiles beside SAM’s own shared package (contract §7)', () => {
  it('imports from @simple-agent-manager/shared only the names SAM’s shared also exports', () => {
    const imported = new Set<string>();
    for (const { text } of sources) {
      for (const match of text.matchAll(
        /import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'@simple-agent-manager\/shared'/g,
      )) {
        for (const name of (match[1] ?? '').split(',')) {
          const clean = name.trim().replace(/^type\s+/, '');
          if (clean !== '') imported.add(clean);
        }
      }
      expect(text).not.toMatch(/import\s+\*\s+as\s+\w+\s+from\s+'@simple-agent-manager\/shared'/);
    }
    expect(imported.size).toBeGreaterThan(0);
    expect([...imported].filter((name) => !SAM_SHARED_NAMES.has(name))).toEqual([]);
  });

  it('never assumes CredentialProvider has exactly two members', () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/Record<\s*CredentialProvider/);
      expect(text, file).not.toMatch(/:\s*never\s*=\s*\w*(provider|name)\b/i);
    }
  });

  it('uses web-standard APIs only: no node: imports, Buffer or process', () => {
    for (const { file, text } of sources) {
      expect(text, file).not.toMatch(/from\s+'node:/);
      expect(text, file).not.toMatch(/\bBuffer\./);
      expect(text, file).not.toMatch(/\bprocess\./);
    }
  });
});
