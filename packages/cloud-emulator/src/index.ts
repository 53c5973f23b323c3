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
export type { HetznerErrorExample } from './hetzner/errors.js';
export { HETZNER_ERROR_EXAMPLES } from './hetzner/errors.js';
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
  ScalewayIpRecord,
  ScalewayQuota,
  ScalewaySeedIp,
  ScalewaySeedServer,
  ScalewayServerLocation,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
  ScalewayVolumeType,
} from './scaleway/records.js';
export type { ScalewayServerAction, ScalewayServerState } from './scaleway/servers.js';
export { SCALEWAY_ALLOWED_ACTIONS, SCALEWAY_TRANSITION_DELAYS } from './scaleway/servers.js';
