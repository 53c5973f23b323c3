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
export type { HetznerEmulatorOptions, HetznerServerRecord } from './hetzner/emulator.js';
export { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from './hetzner/emulator.js';
