import { ScalewayEmulator } from '@simple-agent-manager/cloud-emulator';
import { afterAll } from 'vitest';
import { runProviderContract } from './provider-contract.js';
import { scalewayLoopbackTarget } from './scaleway-targets.js';
import { runVolumeContract } from './volume-contract.js';

const target = scalewayLoopbackTarget(new ScalewayEmulator({ clock: { mode: 'realtime', speed: 100 } }));
afterAll(() => target.close());

runProviderContract(target);
runVolumeContract(target);
