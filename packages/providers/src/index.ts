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
      throw new TypeError(`Unknown provider: ${String((unknown as { provider?: unknown }).provider)}`);
    }
  }
}

export type { ProviderErrorCategory, ProviderErrorInit } from './errors.js';
export { isProviderError, isRetryableCategory, PROVIDER_ERROR_CATEGORIES, ProviderError } from './errors.js';
export { HetznerProvider } from './hetzner.js';
export { HETZNER_SIZES } from './hetzner-catalog.js';
export type { HttpEvent } from './http-client.js';
export type { RetryOptions } from './retry.js';
export { DEFAULT_RETRY_OPTIONS } from './retry.js';
export { ScalewayProvider } from './scaleway.js';
export { SCALEWAY_SIZES } from './scaleway-catalog.js';
export type {
  CommonProviderConfig,
  HetznerProviderConfig,
  Provider,
  ProviderConfig,
  ProviderLocation,
  RequestOptions,
  ScalewayProviderConfig,
  SizeConfig,
  SizePrice,
  VMConfig,
  VMInstance,
  VMStatus,
} from './types.js';
export type { WaitForVMOptions, WaitTarget } from './wait-for-vm.js';
export { waitForVM } from './wait-for-vm.js';
