#!/usr/bin/env node
/**
 * Start the emulated cloud APIs on 127.0.0.1 and print where they are. Stops on Ctrl-C.
 * Usage: sam-cloud-emulator [--port N] [--speed N] (speed 1 = realistic transition delays, 0 = instant)
 */
import { parseArgs } from 'node:util';
import type { ClockMode } from './core/clock.js';
import { startEmulatorServer } from './core/server.js';
import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from './hetzner/emulator.js';
import {
  SCALEWAY_EMULATOR_ACCESS_KEY,
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  ScalewayEmulator,
} from './scaleway/emulator.js';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, speed: { type: 'string', default: '1' } },
});
const port = Number(values.port);
const speed = Number(values.speed);
if (!Number.isInteger(port) || port < 0 || port > 65_535 || !Number.isFinite(speed) || speed < 0) {
  process.stderr.write('usage: sam-cloud-emulator [--port 0-65535] [--speed N>=0]\n');
  process.exit(2);
}
const clock: ClockMode = speed === 0 ? { mode: 'instant' } : { mode: 'realtime', speed };
const server = await startEmulatorServer([new HetznerEmulator({ clock }), new ScalewayEmulator({ clock })], {
  port,
});
const endpoints = {
  url: server.url,
  hetzner: { apiUrl: `${server.url}/v1`, token: HETZNER_EMULATOR_TOKEN },
  scaleway: {
    apiUrl: server.url,
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    accessKey: SCALEWAY_EMULATOR_ACCESS_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
  },
};
process.stdout.write(`${JSON.stringify(endpoints, null, 2)}\n`);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
