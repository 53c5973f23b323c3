#!/usr/bin/env node
/**
 * Start the emulated cloud APIs on 127.0.0.1 and print where they are. Stops on Ctrl-C.
 * Usage: sam-cloud-emulator [--port N] [--speed N] (speed 1 = realistic transition delays, 0 = instant)
 */
import { parseArgs } from 'node:util';
import type { ClockMode } from './core/clock.js';
import { startEmulatorServer } from './core/server.js';
import { HETZNER_EMULATOR_TOKEN, HetznerEmulator } from './hetzner/emulator.js';

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
const hetzner = new HetznerEmulator({ clock });
const server = await startEmulatorServer([hetzner], { port });
process.stdout.write(
  `${JSON.stringify({ url: server.url, hetzner: { apiUrl: `${server.url}/v1`, token: HETZNER_EMULATOR_TOKEN } }, null, 2)}\n`,
);
const stop = () => {
  void server.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
