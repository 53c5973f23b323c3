import { HetznerEmulator } from '@simple-agent-manager/cloud-emulator';
import { afterAll } from 'vitest';
import { hetznerLoopbackTarget } from './hetzner-targets.js';
import { runProviderContract } from './provider-contract.js';
import { runVolumeContract } from './volume-contract.js';

const target = hetznerLoopbackTarget(new HetznerEmulator({ clock: { mode: 'realtime', speed: 100 } }));
afterAll(() => target.close());

runProviderContract(target);
runVolumeContract(target);
