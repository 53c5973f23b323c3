export {
  DEFAULT_HETZNER_DATACENTER,
  DEFAULT_HETZNER_IMAGE,
  DEFAULT_SCALEWAY_IMAGE_NAME,
  DEFAULT_SCALEWAY_ZONE,
} from './defaults.js';
export type { CredentialProvider, VMSize } from './types.js';
export { VM_SIZES } from './types.js';
