export type { HetznerLocation, ScalewayZone } from './locations.js';
export { HETZNER_LOCATIONS, SCALEWAY_ZONES } from './locations.js';
export type {
  CredentialProvider,
  HetznerCredential,
  LocationInfo,
  ProviderCredential,
  VMSize,
} from './types.js';
export {
  credentialProviderSchema,
  hetznerCredentialSchema,
  hetznerTokenSchema,
  providerCredentialSchema,
  VM_SIZES,
  vmSizeSchema,
} from './types.js';
