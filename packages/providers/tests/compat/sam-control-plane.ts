/**
 * What SAM's control plane reads from this package, declared independently of it (docs/sam-provider-contract.md),
 * and the assignments that prove the package provides it. This file is type-checked with the rest of the tests:
 * any regression of the public surface fails `pnpm typecheck`. Function-typed properties (not methods) make the
 * parameter checks strict, so a narrower parameter on our side fails too.
 */
import {
  completeAbortableResponse,
  createProvider,
  HetznerProvider,
  hasAmbiguousLabel,
  isProviderRequestAborted,
  isTransientCapacityError,
  type Provider,
  type ProviderConfig,
  ProviderError,
  type ProviderRequestContext,
  providerDelay,
  rethrowIfProviderRequestAborted,
  SAM_VOLUME_FILESYSTEM_FORMAT,
  SAM_VOLUME_FSTAB_OPTIONS,
  SAM_VOLUME_MOUNT_PATH_TEMPLATE,
  ScalewayProvider,
  throwIfProviderRequestAborted,
  type VMInstance,
  type VolumeInstance,
} from '../../src/index.js';

type SamSize = 'small' | 'medium' | 'large';

/** SAM's `{ signal? }` request context. */
export interface SamRequestContext {
  readonly signal?: AbortSignal;
}

export interface SamVMConfig {
  name: string;
  size: SamSize;
  location: string;
  userData: string;
  labels?: Record<string, string>;
  image?: string;
}

/** The VM fields the control plane reads. */
export interface SamVMInstance {
  id: string;
  name: string;
  ip: string;
  status: string;
  serverType: string;
  createdAt: string;
  labels: Record<string, string>;
}

export type SamVolumeStatus =
  | 'creating'
  | 'available'
  | 'attaching'
  | 'attached'
  | 'detaching'
  | 'resizing'
  | 'deleting'
  | 'unknown';

export interface SamVolumeInstance {
  id: string;
  name: string;
  sizeGb: number;
  location: string;
  status: SamVolumeStatus;
  attachedServerId?: string;
  linuxDevice?: string;
  volumeType?: string;
  createdAt: string;
  labels: Record<string, string>;
}

export interface SamVolumeCapabilities {
  readonly supported: boolean;
  readonly minSizeGb?: number;
  readonly maxSizeGb?: number;
  readonly growOnlyResize: boolean;
  readonly requiresSameLocation: boolean;
  readonly maxAttachedVolumesPerServer?: number;
  readonly defaultFormat: 'ext4';
  readonly lifecycle: {
    readonly filesystem: 'ext4';
    readonly mountPathTemplate: '/mnt/sam-env-{environmentId}/';
    readonly fstabOptions: readonly 'nofail'[];
  };
  readonly notes?: readonly string[];
}

/** SAM contract §1: the provider object. */
export interface SamProvider {
  readonly name: string;
  readonly locations: readonly string[];
  readonly locationMetadata: Readonly<Record<string, { name: string; country: string }>>;
  readonly sizes: Readonly<
    Record<SamSize, { type: string; price: string; vcpu: number; ramGb: number; storageGb: number }>
  >;
  readonly defaultLocation: string;
  readonly volumeCapabilities: SamVolumeCapabilities;
  readonly createVM: (config: SamVMConfig, context?: SamRequestContext) => Promise<SamVMInstance>;
  readonly deleteVM: (id: string, context?: SamRequestContext) => Promise<void>;
  readonly getVM: (id: string, context?: SamRequestContext) => Promise<SamVMInstance | null>;
  readonly listVMs: (
    labels?: Record<string, string>,
    context?: SamRequestContext,
  ) => Promise<SamVMInstance[]>;
  readonly powerOff: (id: string, context?: SamRequestContext) => Promise<void>;
  readonly powerOn: (id: string, context?: SamRequestContext) => Promise<void>;
  readonly validateToken: (context?: SamRequestContext) => Promise<boolean>;
  readonly createVolume: (
    config: {
      name: string;
      sizeGb: number;
      location: string;
      labels?: Record<string, string>;
      format?: 'ext4';
    },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance>;
  readonly attachVolume: (
    config: { volumeId: string; serverId: string; location: string },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance>;
  readonly detachVolume: (
    config: { volumeId: string; serverId?: string; location: string },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance | null>;
  readonly resizeVolume: (
    config: { volumeId: string; location: string; sizeGb: number; currentSizeGb?: number },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance>;
  readonly deleteVolume: (
    config: { volumeId: string; location: string },
    context?: SamRequestContext,
  ) => Promise<void>;
  readonly getVolume: (
    config: { volumeId: string; location: string },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance | null>;
  readonly listVolumes: (
    config: { location: string; labels?: Record<string, string> },
    context?: SamRequestContext,
  ) => Promise<SamVolumeInstance[]>;
}

/** SAM contract §2: `logger` with flat contexts. */
export interface SamLogger {
  warn(message: string, context?: Record<string, string | number | boolean | null | undefined>): void;
  info(message: string, context?: Record<string, string | number | boolean | null | undefined>): void;
}

/** SAM contract §3: the members of a ProviderError the control plane reads. */
export interface SamProviderErrorReads {
  readonly providerName: string;
  readonly statusCode: number | undefined;
  readonly providerCode: string | undefined;
  readonly category: string;
  readonly message: string;
  readonly cause?: unknown;
  readonly context?: Readonly<Record<string, unknown>> | undefined;
}

/** SAM contract §0 and §3: the helpers and constants. */
export interface SamHelpers {
  readonly isTransientCapacityError: (error: ProviderError) => boolean;
  readonly throwIfProviderRequestAborted: (context?: SamRequestContext) => void;
  readonly isProviderRequestAborted: (error: unknown, context?: SamRequestContext) => boolean;
  readonly rethrowIfProviderRequestAborted: (error: unknown, context?: SamRequestContext) => void;
  readonly providerDelay: (ms: number, context?: SamRequestContext) => Promise<void>;
  readonly completeAbortableResponse: (response: Response, signal: AbortSignal) => Promise<Response>;
  readonly hasAmbiguousLabel: (labels: Record<string, string>, key: string) => boolean;
  readonly SAM_VOLUME_FILESYSTEM_FORMAT: 'ext4';
  readonly SAM_VOLUME_MOUNT_PATH_TEMPLATE: '/mnt/sam-env-{environmentId}/';
  readonly SAM_VOLUME_FSTAB_OPTIONS: readonly 'nofail'[];
}

export const samHelpers: SamHelpers = {
  isTransientCapacityError,
  throwIfProviderRequestAborted,
  isProviderRequestAborted,
  rethrowIfProviderRequestAborted,
  providerDelay,
  completeAbortableResponse,
  hasAmbiguousLabel,
  SAM_VOLUME_FILESYSTEM_FORMAT,
  SAM_VOLUME_MOUNT_PATH_TEMPLATE,
  SAM_VOLUME_FSTAB_OPTIONS,
};

/** The configs SAM's `buildProviderConfig` builds, with its optional values possibly `undefined` (§2). */
export function samConfigs(
  secrets: { apiToken: string; secretKey: string; projectId: string },
  environment: Partial<Record<'initial' | 'max' | 'attempts' | 'budget', number>>,
  logger: SamLogger,
): { hetzner: ProviderConfig; scaleway: ProviderConfig; hetznerFull: ProviderConfig } {
  const hetzner = {
    provider: 'hetzner',
    apiToken: secrets.apiToken,
    capacityRetryInitialDelayMs: environment.initial,
    capacityRetryMaxDelayMs: environment.max,
    capacityRetryMaxAttempts: environment.attempts,
    capacityRetryBudgetMs: environment.budget,
    maxListPages: undefined,
  } satisfies ProviderConfig;
  const hetznerFull = {
    provider: 'hetzner',
    apiToken: secrets.apiToken,
    datacenter: 'fsn1',
    logger,
    placementRetryDelayMs: 3_000,
    placementFallbackEnabled: true,
    capacityRetryInitialDelayMs: 15_000,
    capacityRetryMaxDelayMs: 120_000,
    capacityRetryMaxAttempts: 10,
    capacityRetryBudgetMs: 300_000,
  } satisfies ProviderConfig;
  const scaleway = {
    provider: 'scaleway',
    secretKey: secrets.secretKey,
    projectId: secrets.projectId,
    logger,
  } satisfies ProviderConfig;
  return { hetzner, scaleway, hetznerFull };
}

/** Every provider this package builds is a SAM provider; so is the `Provider` type itself. */
export function samProviders(configs: ReturnType<typeof samConfigs>): SamProvider[] {
  const fromFactory: SamProvider = createProvider(configs.hetzner);
  const scaleway: SamProvider = new ScalewayProvider({
    secretKey: '11111111-2222-4333-8444-555555555555',
    projectId: '66666666-7777-4888-9999-000000000000',
    zone: undefined,
  });
  const hetzner: SamProvider = new HetznerProvider({ apiToken: 'token' });
  const anyProvider: SamProvider = fromFactory as Provider;
  return [fromFactory, scaleway, hetzner, anyProvider, createProvider(configs.scaleway)];
}

/** SAM constructs errors positionally (its contract tests and control-plane tests do) and reads these members. */
export function samErrors(): SamProviderErrorReads[] {
  const cancelled: SamProviderErrorReads = new ProviderError(
    'scaleway',
    undefined,
    'caller cancelled validation',
  );
  const capacity: SamProviderErrorReads = new ProviderError('hetzner', 503, 'No cx23 capacity', {
    providerCode: 'resource_unavailable',
    category: 'transient_capacity',
    context: { location: 'fsn1', attempt: 1, retried: false, detail: null },
  });
  const placement = new ProviderError('hetzner', 412, 'hetzner API error (412): error during placement', {
    providerCode: 'placement_error',
    cause: new Error('low-level'),
  });
  const reads: SamProviderErrorReads = placement;
  return [cancelled, capacity, reads];
}

/** The types SAM imports by name (§0), used the way the control plane uses them. */
export function samTypes(
  vm: VMInstance,
  volume: VolumeInstance,
  context: SamRequestContext,
): [SamVMInstance, SamVolumeInstance, ProviderRequestContext] {
  return [vm, volume, context];
}
