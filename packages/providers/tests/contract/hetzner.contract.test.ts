import { HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll } from 'vitest';
import { hetznerMswTarget } from './hetzner-targets.js';
import { runProviderContract } from './provider-contract.js';
import { runVolumeContract } from './volume-contract.js';

const emulator = new HetznerEmulator({ clock: { mode: 'realtime', speed: 100 } });
const server = setupServer(...emulator.handlers());
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

runProviderContract(hetznerMswTarget(emulator));
runVolumeContract(hetznerMswTarget(emulator));
