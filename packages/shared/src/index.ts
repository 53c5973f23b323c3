export type { HetznerLocation, ScalewayZone } from './locations.js';
export { HETZNER_LOCATIONS, SCALEWAY_ZONES } from './locations.js';
export type {
  CredentialProvider,
  HetznerCredential,
  LocationInfo,
  ProviderCredential,
  ScalewayCredential,
  VMSize,
} from './types.js';
export {
  credentialProviderSchema,
  hetznerCredentialSchema,
  hetznerTokenSchema,
  providerCredentialSchema,
  scalewayCredentialSchema,
  scalewayProjectIdSchema,
  scalewaySecretKeySchema,
  VM_SIZES,
  vmSizeSchema,
} from './types.js';
