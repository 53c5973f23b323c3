import {
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  ScalewayEmulator,
} from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createProvider,
  isProviderError,
  type Provider,
  type ProviderConfig,
  type ProviderError,
  type VMConfig,
} from '../../src/index.js';
import { scalewayTestConfig } from '../contract/scaleway-targets.js';

const scaleway = new ScalewayEmulator();
const hetzner = new HetznerEmulator();
const server = setupServer(...scaleway.handlers(), ...hetzner.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());
beforeEach(() => {
  scaleway.reset();
  hetzner.reset();
});

const requests = () => scaleway.requests.length + hetzner.requests.length;
const UUID = '11111111-2222-4333-8444-555555555555';
const vm = (overrides: Record<string, unknown>): VMConfig =>
  ({
    name: 'agent',
    size: 'small',
    location: 'fr-par-1',
    userData: '#cloud-config',
    ...overrides,
  }) as VMConfig;
const hvm = (overrides: Record<string, unknown>): VMConfig => vm({ location: 'fsn1', ...overrides });
const scw = scalewayTestConfig();
const hcloud: ProviderConfig = { provider: 'hetzner', token: HETZNER_EMULATOR_TOKEN };

type Case = [description: string, field: string, call: () => unknown];

const withScaleway = (run: (provider: Provider) => Promise<unknown>) => () => run(createProvider(scw));
const withHetzner = (run: (provider: Provider) => Promise<unknown>) => () => run(createProvider(hcloud));

const cases: Case[] = [
  // Provider configs.
  ['empty secret key', 'secretKey', () => createProvider({ ...scw, secretKey: '' })],
  [
    'access key instead of secret key',
    'secretKey',
    () => createProvider({ ...scw, secretKey: 'SCWABCDEFGHIJKLMNOPQ' }),
  ],
  ['secret key too long', 'secretKey', () => createProvider({ ...scw, secretKey: `${UUID}0` })],
  [
    'secret key with a newline',
    'secretKey',
    () => createProvider({ ...scw, secretKey: `${UUID}\nX-Evil: 1` }),
  ],
  ['non-UUID project', 'projectId', () => createProvider({ ...scw, projectId: 'default' })],
  ['project with a path', 'projectId', () => createProvider({ ...scw, projectId: `../${UUID}` })],
  ['unknown zone', 'zone', () => createProvider({ ...scw, zone: 'us-east-1' })],
  ['zone with ../', 'zone', () => createProvider({ ...scw, zone: '../fr-par-1' })],
  ['empty zone list', 'zones', () => createProvider({ ...scw, zones: [] })],
  ['zone list with junk', 'zones', () => createProvider({ ...scw, zones: ['fr-par-1', 'fr-par-1/../x'] })],
  [
    'default zone outside the zone list',
    'zone',
    () => createProvider({ ...scw, zone: 'pl-waw-1', zones: ['fr-par-1'] }),
  ],
  ['non-http API URL', 'apiUrl', () => createProvider({ ...scw, apiUrl: 'file:///etc/passwd' })],
  ['relative API URL', 'apiUrl', () => createProvider({ ...scw, apiUrl: '/api' })],
  ['image with spaces', 'image', () => createProvider({ ...scw, image: 'ubuntu noble' })],
  ['negative timeout', 'timeoutMs', () => createProvider({ ...scw, timeoutMs: -5 })],
  ['fractional timeout', 'timeoutMs', () => createProvider({ ...scw, timeoutMs: 1.5 })],
  ['negative wait', 'waitTimeoutMs', () => createProvider({ ...scw, waitTimeoutMs: -1 })],
  ['zero poll interval', 'pollIntervalMs', () => createProvider({ ...scw, pollIntervalMs: 0 })],
  ['empty Hetzner token', 'token', () => createProvider({ ...hcloud, token: '' })],
  [
    'Hetzner token with a header injection',
    'token',
    () => createProvider({ ...hcloud, token: 'abc\r\nX: y' }),
  ],
  ['Hetzner token too long', 'token', () => createProvider({ ...hcloud, token: 'a'.repeat(300) })],
  ['Hetzner without any token', 'apiToken', () => createProvider({ provider: 'hetzner' } as ProviderConfig)],
  [
    'Hetzner apiToken and token that differ',
    'apiToken',
    () => createProvider({ provider: 'hetzner', apiToken: HETZNER_EMULATOR_TOKEN, token: 'other-token' }),
  ],
  [
    'Hetzner apiToken with a space',
    'apiToken',
    () => createProvider({ provider: 'hetzner', apiToken: 'a b' }),
  ],
  ['Hetzner unknown datacenter', 'datacenter', () => createProvider({ ...hcloud, datacenter: 'atlantis1' })],
  [
    'Hetzner datacenter offering no size',
    'datacenter',
    () => createProvider({ ...hcloud, datacenter: 'sin' }),
  ],
  [
    'Hetzner zero capacity attempts',
    'capacityRetryMaxAttempts',
    () => createProvider({ ...hcloud, capacityRetryMaxAttempts: 0 }),
  ],
  [
    'Hetzner negative capacity delay',
    'capacityRetryInitialDelayMs',
    () => createProvider({ ...hcloud, capacityRetryInitialDelayMs: -5 }),
  ],
  [
    'Hetzner infinite capacity budget',
    'capacityRetryBudgetMs',
    () => createProvider({ ...hcloud, capacityRetryBudgetMs: Number.POSITIVE_INFINITY }),
  ],
  [
    'Hetzner NaN placement delay',
    'placementRetryDelayMs',
    () => createProvider({ ...hcloud, placementRetryDelayMs: Number.NaN }),
  ],
  [
    'Hetzner placement fallback as a string',
    'placementFallbackEnabled',
    () => createProvider({ ...hcloud, placementFallbackEnabled: 'yes' as unknown as boolean }),
  ],
  ['Hetzner zero list pages', 'maxListPages', () => createProvider({ ...hcloud, maxListPages: 0 })],
  // VM configs.
  ['empty name', 'vm.name', withScaleway((p) => p.createVM(vm({ name: '' })))],
  ['name too long', 'vm.name', withScaleway((p) => p.createVM(vm({ name: 'a'.repeat(64) })))],
  ['name with a slash', 'vm.name', withScaleway((p) => p.createVM(vm({ name: 'a/../b' })))],
  ['name with spaces', 'vm.name', withScaleway((p) => p.createVM(vm({ name: 'my agent' })))],
  ['name starting with a dash', 'vm.name', withScaleway((p) => p.createVM(vm({ name: '-agent' })))],
  ['unknown size', 'vm.size', withScaleway((p) => p.createVM(vm({ size: 'xl' })))],
  ['unknown zone', 'vm.location', withScaleway((p) => p.createVM(vm({ location: 'fr-par-4' })))],
  ['zone with ../', 'vm.location', withScaleway((p) => p.createVM(vm({ location: '../fr-par-1' })))],
  ['size not offered in the zone', 'vm.size', withScaleway((p) => p.createVM(vm({ location: 'pl-waw-3' })))],
  ['huge user data', 'vm.userData', withScaleway((p) => p.createVM(vm({ userData: 'x'.repeat(200_000) })))],
  ['user data not a string', 'vm.userData', withScaleway((p) => p.createVM(vm({ userData: 42 })))],
  ['image label with a path', 'vm.image', withScaleway((p) => p.createVM(vm({ image: '../../etc' })))],
  ['image label in capitals', 'vm.image', withScaleway((p) => p.createVM(vm({ image: 'UBUNTU' })))],
  ['Hetzner name with underscore', 'vm.name', withHetzner((p) => p.createVM(hvm({ name: 'my_agent' })))],
  ['Hetzner empty name', 'vm.name', withHetzner((p) => p.createVM(hvm({ name: '' })))],
  ['Hetzner name too long', 'vm.name', withHetzner((p) => p.createVM(hvm({ name: 'a'.repeat(64) })))],
  ['Hetzner unknown location', 'vm.location', withHetzner((p) => p.createVM(hvm({ location: 'fsn9' })))],
  ['Hetzner location with ../', 'vm.location', withHetzner((p) => p.createVM(hvm({ location: '../fsn1' })))],
  [
    'Hetzner label key too long',
    'vm.labels',
    withHetzner((p) => p.createVM(hvm({ labels: { ['k'.repeat(64)]: 'v' } }))),
  ],
  [
    'Hetzner label value too long',
    'vm.labels',
    withHetzner((p) => p.createVM(hvm({ labels: { k: 'v'.repeat(64) } }))),
  ],
  ['Hetzner empty id', 'id', withHetzner((p) => p.powerOff(''))],
  ['Hetzner negative id', 'id', withHetzner((p) => p.powerOn('-1'))],
  ['Hetzner size not in the US', 'vm.size', withHetzner((p) => p.createVM(hvm({ location: 'ash' })))],
  [
    'Hetzner huge user data',
    'vm.userData',
    withHetzner((p) => p.createVM(hvm({ userData: 'x'.repeat(40_000) }))),
  ],
  // Labels.
  ['empty label key', 'vm.labels', withScaleway((p) => p.createVM(vm({ labels: { '': 'x' } })))],
  ['label key with =', 'vm.labels', withScaleway((p) => p.createVM(vm({ labels: { 'a=b': 'x' } })))],
  ['label key with a comma', 'vm.labels', withScaleway((p) => p.createVM(vm({ labels: { 'a,b': 'x' } })))],
  [
    'label key too long',
    'vm.labels',
    withScaleway((p) => p.createVM(vm({ labels: { ['k'.repeat(65)]: 'x' } }))),
  ],
  ['label value with a newline', 'vm.labels', withScaleway((p) => p.createVM(vm({ labels: { k: 'a\nb' } })))],
  [
    'label value too long',
    'vm.labels',
    withScaleway((p) => p.createVM(vm({ labels: { k: 'v'.repeat(129) } }))),
  ],
  [
    'too many labels',
    'vm.labels',
    withScaleway((p) =>
      p.createVM(vm({ labels: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) })),
    ),
  ],
  ['label value not a string', 'vm.labels', withScaleway((p) => p.createVM(vm({ labels: { k: 1 } })))],
  ['list filter key with =', 'labels', withScaleway((p) => p.listVMs({ 'a=b': 'x' }))],
  [
    'Hetzner label value with a space',
    'vm.labels',
    withHetzner((p) => p.createVM(hvm({ labels: { k: 'a b' } }))),
  ],
  ['Hetzner list filter with a comma', 'labels', withHetzner((p) => p.listVMs({ k: 'a,b' }))],
  [
    'label key with the ambiguity marker prefix',
    'vm.labels',
    withScaleway((p) => p.createVM(vm({ labels: { __sam_internal_ambiguous_label__env: 'true' } }))),
  ],
  [
    'list filter on the ambiguity marker',
    'labels',
    withScaleway((p) => p.listVMs({ __sam_internal_ambiguous_label__env: 'true' })),
  ],
  [
    'Hetzner list filter on the ambiguity marker',
    'labels',
    withHetzner((p) => p.listVMs({ __sam_internal_ambiguous_label__env: 'true' })),
  ],
  // Volumes.
  ...(
    [
      ['volume of 0 GB', 'volume.sizeGb', { sizeGb: 0 }],
      ['volume beyond the largest size', 'volume.sizeGb', { sizeGb: 10_001 }],
      ['volume of a fractional size', 'volume.sizeGb', { sizeGb: 1.5 }],
      ['volume of NaN GB', 'volume.sizeGb', { sizeGb: Number.NaN }],
      ['volume without a name', 'volume.name', { name: '' }],
      ['volume name with a newline', 'volume.name', { name: 'data\nvolume' }],
      ['volume in an unknown zone', 'volume.location', { location: 'atlantis-1' }],
      ['volume format other than ext4', 'volume.format', { format: 'xfs' }],
      ['volume label with a comma in its key', 'volume.labels', { labels: { 'a,b': 'x' } }],
    ] as const
  ).map(
    ([name, field, override]): Case => [
      name,
      field,
      withScaleway((p) =>
        p.createVolume({ name: 'data', sizeGb: 10, location: 'fr-par-1', ...override } as Parameters<
          Provider['createVolume']
        >[0]),
      ),
    ],
  ),
  [
    'attach with a volume id of the wrong shape',
    'volume.volumeId',
    withScaleway((p) =>
      p.attachVolume({ volumeId: 'vol-1', serverId: `fr-par-1/${UUID}`, location: 'fr-par-1' }),
    ),
  ],
  [
    'attach with another provider’s VM id',
    'volume.serverId',
    withScaleway((p) =>
      p.attachVolume({ volumeId: `fr-par-1/${UUID}`, serverId: '12345', location: 'fr-par-1' }),
    ),
  ],
  [
    'attach to a VM in another zone',
    'volume.serverId',
    withScaleway((p) =>
      p.attachVolume({ volumeId: `fr-par-1/${UUID}`, serverId: `nl-ams-1/${UUID}`, location: 'fr-par-1' }),
    ),
  ],
  [
    'a location that does not match the volume',
    'volume.location',
    withScaleway((p) => p.deleteVolume({ volumeId: `fr-par-1/${UUID}`, location: 'nl-ams-1' })),
  ],
  [
    'resize to a negative size',
    'volume.sizeGb',
    withScaleway((p) => p.resizeVolume({ volumeId: `fr-par-1/${UUID}`, location: 'fr-par-1', sizeGb: -1 })),
  ],
  [
    'resize that shrinks below the current size',
    'volume.sizeGb',
    withScaleway((p) =>
      p.resizeVolume({ volumeId: `fr-par-1/${UUID}`, location: 'fr-par-1', sizeGb: 20, currentSizeGb: 30 }),
    ),
  ],
  [
    'Hetzner volume below 10 GB',
    'volume.sizeGb',
    withHetzner((p) => p.createVolume({ name: 'data', sizeGb: 9, location: 'fsn1' })),
  ],
  [
    'Hetzner volume name the API cannot store',
    'volume.name',
    withHetzner((p) => p.createVolume({ name: '-data volume-', sizeGb: 10, location: 'fsn1' })),
  ],
  [
    'Hetzner volume id that is not a number',
    'volume.volumeId',
    withHetzner((p) => p.getVolume({ volumeId: 'fr-par-1/vol', location: 'fsn1' })),
  ],
  [
    'Hetzner attach with another provider’s VM id',
    'volume.serverId',
    withHetzner((p) => p.attachVolume({ volumeId: '1', serverId: `fr-par-1/${UUID}`, location: 'fsn1' })),
  ],
  [
    'Hetzner resize that does not grow',
    'volume.sizeGb',
    withHetzner((p) => p.resizeVolume({ volumeId: '1', location: 'fsn1', sizeGb: 20, currentSizeGb: 20 })),
  ],
  [
    'list volumes in an unknown zone',
    'volume.location',
    withScaleway((p) => p.listVolumes({ location: 'fr-par-9' })),
  ],
  // Ids.
  ['id with ../', 'id', withScaleway((p) => p.powerOff(`fr-par-1/../${UUID}`))],
  ['id with an unknown zone', 'id', withScaleway((p) => p.powerOn(`xx-yyy-1/${UUID}`))],
  ['id that is not a UUID', 'id', withScaleway((p) => p.powerOff('fr-par-1/server-1'))],
  ['empty id', 'id', withScaleway((p) => p.powerOn(''))],
  ['id with a query string', 'id', withScaleway((p) => p.powerOff(`fr-par-1/${UUID}?force=true`))],
  ['Hetzner id with ../', 'id', withHetzner((p) => p.powerOn('../1'))],
  ['Hetzner id that is not a number', 'id', withHetzner((p) => p.powerOff('1e3'))],
];

describe('hostile input', () => {
  it('covers at least 40 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases)('%s → invalid_input naming %s, with zero HTTP requests', async (_, field, call) => {
    let failure: unknown;
    try {
      await call();
    } catch (error) {
      failure = error;
    }
    expect(isProviderError(failure, 'invalid_input'), String(failure)).toBe(true);
    const error = failure as ProviderError;
    // The field named is exactly the one at fault (or a key inside it, for records such as labels).
    const named = error.field ?? '';
    const expected = [field, `config.${field}`];
    expect(
      expected.some((candidate) => named === candidate || named.startsWith(`${candidate}.`)),
      named,
    ).toBe(true);
    expect(error.message.startsWith(`Invalid ${named}:`)).toBe(true);
    expect(error.retryable).toBe(false);
    expect(requests()).toBe(0);
  });

  it('deleteVM and getVM of ids the provider could never have issued resolve, with zero HTTP requests', async () => {
    const foreign = [
      '',
      'non-existent-id',
      '../1',
      `fr-par-1/../${UUID}`,
      `xx-yyy-1/${UUID}`,
      `fr-par-1/${UUID}?force=true`,
      '12345',
      'fr-par-1/server-1',
    ];
    for (const id of foreign) {
      await expect(withScaleway((p) => p.deleteVM(id))()).resolves.toBeUndefined();
      await expect(withScaleway((p) => p.getVM(id))()).resolves.toBeNull();
    }
    for (const id of ['', 'non-existent-id', '../1', `fr-par-1/${UUID}`, UUID, '1e3', '-1']) {
      await expect(withHetzner((p) => p.deleteVM(id))()).resolves.toBeUndefined();
      await expect(withHetzner((p) => p.getVM(id))()).resolves.toBeNull();
    }
    expect(requests()).toBe(0);
  });

  it('never echoes the rejected value, which may be a secret', async () => {
    const secret = 'super-secret-value-that-is-not-a-uuid';
    const failure = (() => {
      try {
        createProvider({ ...scw, secretKey: secret });
      } catch (error) {
        return error as ProviderError;
      }
      return undefined;
    })();
    expect(failure).toBeDefined();
    expect(`${failure?.message} ${JSON.stringify(failure)} ${failure?.stack}`).not.toContain(secret);
  });
});
