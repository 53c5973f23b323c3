import { ScalewayEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { runProviderContract } from './provider-contract.js';
import { scalewayMswTarget } from './scaleway-targets.js';
import { runVolumeContract } from './volume-contract.js';

const emulator = new ScalewayEmulator({ clock: { mode: 'realtime', speed: 100 } });
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

runProviderContract(scalewayMswTarget(emulator));
runVolumeContract(scalewayMswTarget(emulator));
