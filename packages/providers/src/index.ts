import { invalidInput } from './errors.js';
import { HetznerProvider } from './hetzner.js';
import { ScalewayProvider } from './scaleway.js';
import type { Provider, ProviderConfig } from './types.js';

/** Build the provider a config names. Throws an `invalid_input` `ProviderError` for an invalid config. */
export function createProvider(config: ProviderConfig): Provider {
  switch (config.provider) {
    case 'hetzner':
      return new HetznerProvider(config);
    case 'scaleway':
      return new ScalewayProvider(config);
    default: {
      const unknown: never = config;
      const name = String((unknown as { provider?: unknown }).provider);
      throw invalidInput('factory', 'provider', `unsupported provider "${name}"; use hetzner or scaleway`);
    }
  }
}

export {
  completeAbortableResponse,
  isProviderRequestAborted,
  providerDelay,
  rethrowIfProviderRequestAborted,
  throwIfProviderRequestAborted,
} from './abort.js';
export { isTransientCapacityError } from './capacity.js';
export type { HetznerCredential, ProviderCredential, ScalewayCredential } from './credentials.js';
export {
  hetznerCredentialSchema,
  hetznerTokenSchema,
  providerCredentialSchema,
  scalewayCredentialSchema,
  scalewayProjectIdSchema,
  scalewaySecretKeySchema,
} from './credentials.js';
export type {
  ProviderErrorCategory,
  ProviderErrorContext,
  ProviderErrorContextValue,
  ProviderErrorInit,
  ProviderErrorOptions,
  SamProviderErrorCategory,
} from './errors.js';
export { isProviderError, isRetryableCategory, PROVIDER_ERROR_CATEGORIES, ProviderError } from './errors.js';
export type { ProviderEvent, ProviderLogContext, ProviderLogger } from './events.js';
export { HetznerProvider } from './hetzner.js';
export {
  DEFAULT_CAPACITY_RETRY_BUDGET_MS,
  DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
  DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
  DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
  DEFAULT_PLACEMENT_RETRY_DELAY_MS,
  HETZNER_LOCATION_METADATA,
  HETZNER_SIZES,
} from './hetzner-catalog.js';
export { AMBIGUOUS_LABEL_PREFIX, hasAmbiguousLabel } from './labels.js';
export type { Leftover, LeftoverSweep } from './leftovers.js';
export { hasLeftoverSweep } from './leftovers.js';
export type { RetryOptions } from './retry.js';
export { DEFAULT_RETRY_OPTIONS } from './retry.js';
export { ScalewayProvider } from './scaleway.js';
export type { ScalewayZone } from './scaleway-catalog.js';
export { SCALEWAY_LOCATION_METADATA, SCALEWAY_SIZES, SCALEWAY_ZONE_IDS } from './scaleway-catalog.js';
export type {
  CommonProviderConfig,
  HetznerProviderConfig,
  HetznerProviderSettings,
  LocationMeta,
  LocationMetadata,
  Provider,
  ProviderConfig,
  ProviderRequestContext,
  ScalewayProviderConfig,
  SizeConfig,
  SizePrice,
  VMConfig,
  VMInstance,
  VMStatus,
} from './types.js';
export { vmSizeSchema } from './validation.js';
export type {
  VolumeAttachmentConfig,
  VolumeCapabilities,
  VolumeConfig,
  VolumeDetachConfig,
  VolumeInstance,
  VolumeLifecycleConventions,
  VolumeListConfig,
  VolumeLookupConfig,
  VolumeResizeConfig,
  VolumeStatus,
} from './volume-types.js';
export {
  SAM_VOLUME_FILESYSTEM_FORMAT,
  SAM_VOLUME_FSTAB_OPTIONS,
  SAM_VOLUME_MOUNT_PATH_TEMPLATE,
} from './volume-types.js';
export type { WaitForVMOptions, WaitTarget } from './wait-for-vm.js';
export { waitForVM } from './wait-for-vm.js';
