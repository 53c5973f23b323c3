export type { ClockMode } from './core/clock.js';
export { TransitionClock } from './core/clock.js';
export type {
  CloudEmulator,
  EmulatorOptions,
  EmulatorOutcome,
  InventoryItem,
  Leftovers,
  RequestLogEntry,
} from './core/emulator.js';
export { EmulatorBase } from './core/emulator.js';
export type { FaultHandle, FaultRule } from './core/faults.js';
export { createRandom, randomUuid } from './core/random.js';
export type { EmulatorServer } from './core/server.js';
export { startEmulatorServer } from './core/server.js';
export type { HetznerActionRecord, HetznerActionResource } from './hetzner/actions.js';
export type {
  HetznerCapacityFailure,
  HetznerCapacityFailureHandle,
  HetznerCapacityFailureRule,
} from './hetzner/capacity.js';
export { HETZNER_CAPACITY_ERRORS } from './hetzner/capacity.js';
export type { HetznerImageRecord } from './hetzner/catalog.js';
export { HETZNER_EMULATOR_IMAGES } from './hetzner/catalog.js';
export type { HetznerEmulatorOptions, HetznerServerRecord } from './hetzner/emulator.js';
export { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from './hetzner/emulator.js';
export type { HetznerErrorDefinition, HetznerErrorExample } from './hetzner/errors.js';
export { HETZNER_ERROR_EXAMPLES, HETZNER_VOLUME_ERRORS } from './hetzner/errors.js';
export type { HetznerIpKind, HetznerIpRecord } from './hetzner/ips.js';
export type { HetznerFailureHandle } from './hetzner/rules.js';
export { HETZNER_VOLUME_SIZE_LIMITS } from './hetzner/validation.js';
export type {
  HetznerVolumeActionFailure,
  HetznerVolumeActionFailureRule,
  HetznerVolumeDelays,
  HetznerVolumeRecord,
  HetznerVolumeSpaceFailureRule,
} from './hetzner/volumes.js';
export {
  HETZNER_MAX_VOLUMES_PER_SERVER,
  HETZNER_VOLUME_ACTION_ERRORS,
  HETZNER_VOLUME_DELAYS,
} from './hetzner/volumes.js';
export { SCALEWAY_BLOCK_VOLUME_DELAYS } from './scaleway/block-volumes.js';
export type { ScalewayArch, ScalewayLocalImageType, ScalewayZone } from './scaleway/catalog.js';
export {
  SCALEWAY_PUBLIC_IMAGES_ORGANIZATION,
  SCALEWAY_ZONE_IDS,
  scalewayImageId,
} from './scaleway/catalog.js';
export type { ScalewayEmulatorOptions } from './scaleway/emulator.js';
export {
  SCALEWAY_EMULATOR_ACCESS_KEY,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
} from './scaleway/emulator.js';
export type { ScalewayErrorExample } from './scaleway/errors.js';
export { SCALEWAY_ERROR_EXAMPLES, scalewayRateLimitFault } from './scaleway/errors.js';
export type {
  ScalewayAvailability,
  ScalewayBlockReferenceStatus,
  ScalewayBlockVolumeDelays,
  ScalewayBlockVolumeStatus,
  ScalewayIpRecord,
  ScalewayQuota,
  ScalewaySeedBlockVolume,
  ScalewaySeedIp,
  ScalewaySeedServer,
  ScalewayServerLocation,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
  ScalewayVolumeType,
} from './scaleway/records.js';
export { SCALEWAY_MAX_SERVER_VOLUMES } from './scaleway/server-volumes.js';
export type { ScalewayServerAction, ScalewayServerState } from './scaleway/servers.js';
export { SCALEWAY_ALLOWED_ACTIONS, SCALEWAY_TRANSITION_DELAYS } from './scaleway/servers.js';
