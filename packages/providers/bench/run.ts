/**
 * Call-budget benchmark: HTTP requests and wall time of each operation against the Scaleway emulator on 127.0.0.1
 * with a fixed per-request latency, beside the floor the API allows (the fewest sequential round trips), plus the
 * client's CPU cost per page and its peak memory while listing. Writes bench/results.md and bench/results.json.
 * Usage: pnpm bench [-- --latency 20]
 */

import { fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
  type ScalewaySeedServer,
} from '@simple-agent-manager/cloud-emulator';
import { SCALEWAY_ZONES } from '@simple-agent-manager/shared';
import { createProvider, type Provider, type VMConfig } from '../src/index.js';
import { mapScalewayServer } from '../src/scaleway-mappers.js';
import { scalewayServerListSchema } from '../src/scaleway-schemas.js';

const { values } = parseArgs({ options: { latency: { type: 'string', default: '20' } } });
const LATENCY_MS = Number(values.latency);
const ZONES = SCALEWAY_ZONES.map((zone) => zone.id);

// The emulator runs in its own process; messages seed it and reset it.
const emulatorProcess = fork(new URL('./emulator-process.ts', import.meta.url), [String(LATENCY_MS)], {
  execArgv: ['--import', 'tsx'],
});
const apiUrl = await new Promise<string>((resolve) => {
  emulatorProcess.once('message', (message: { ready: string }) => resolve(message.ready));
});
let nextMessage = 0;
function tell<T>(message: Record<string, unknown>): Promise<T> {
  const id = nextMessage++;
  return new Promise((resolve) => {
    const onMessage = (reply: { id: number; result: T }) => {
      if (reply.id !== id) return;
      emulatorProcess.off('message', onMessage);
      resolve(reply.result);
    };
    emulatorProcess.on('message', onMessage);
    emulatorProcess.send({ ...message, id });
  });
}
const seed = (count: number, template: ScalewaySeedServer) =>
  tell<string[]>({ type: 'seed', count, template });
const reset = () => tell<null>({ type: 'reset' });

let requests = 0;
const newProvider = (): Provider =>
  createProvider({
    provider: 'scaleway',
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    apiUrl,
    onEvent: (event) => {
      if (event.type === 'request') requests++;
    },
  });

interface Row {
  operation: string;
  requests: number;
  wallMs: number;
  /** The fewest requests the API allows for this operation. */
  floorRequests: number;
  /** The fewest sequential round trips the API allows. */
  floorRoundTrips: number;
  /** wall time / (floor round trips × latency). */
  ratio: number;
}
const rows: Row[] = [];

async function measure(
  operation: string,
  floor: { requests: number; roundTrips: number },
  run: () => Promise<unknown>,
): Promise<void> {
  requests = 0;
  const started = performance.now();
  await run();
  const wallMs = performance.now() - started;
  rows.push({
    operation,
    requests,
    wallMs: Math.round(wallMs * 10) / 10,
    floorRequests: floor.requests,
    floorRoundTrips: floor.roundTrips,
    ratio: Math.round((wallMs / (floor.roundTrips * LATENCY_MS)) * 100) / 100,
  });
  process.stderr.write(`✓ ${operation}\n`);
}

const vm = (name: string, location = 'fr-par-1'): VMConfig => ({
  name,
  size: 'small',
  location,
  userData: '#cloud-config\n',
  labels: { bench: 'yes' },
});

// createVM: cold (the image label is resolved) and warm (cached).
const provider = newProvider();
await measure('createVM, cold image cache', { requests: 4, roundTrips: 4 }, () =>
  provider.createVM(vm('cold')),
);
await measure('createVM, warm image cache', { requests: 3, roundTrips: 3 }, () =>
  provider.createVM(vm('warm')),
);

// getVM by zonal id, and by bare UUID living in the last zone.
const [zonal] = await seed(1, { zone: 'fr-par-2', state: 'running', commercialType: 'DEV1-M' });
const [far] = await seed(1, { zone: 'it-mil-1', state: 'running', commercialType: 'PLAY2-NANO' });
await measure('getVM, zonal id', { requests: 1, roundTrips: 1 }, () => provider.getVM(zonal as string));
await measure('getVM, bare UUID in the last zone', { requests: ZONES.length, roundTrips: 2 }, () =>
  provider.getVM((far as string).split('/')[1] as string),
);

// deleteVM from running (terminate) and from stopped (DELETE + its local volume).
const [running] = await seed(1, {
  zone: 'fr-par-1',
  state: 'running',
  commercialType: 'DEV1-M',
  volumeType: 'l_ssd',
});
const [stopped] = await seed(1, {
  zone: 'fr-par-1',
  state: 'stopped',
  commercialType: 'DEV1-M',
  volumeType: 'l_ssd',
});
await measure('deleteVM, running (l_ssd)', { requests: 2, roundTrips: 2 }, () =>
  provider.deleteVM(running as string),
);
await measure('deleteVM, stopped (one l_ssd volume)', { requests: 3, roundTrips: 3 }, () =>
  provider.deleteVM(stopped as string),
);

const [toStop] = await seed(1, { zone: 'fr-par-1', state: 'running', commercialType: 'DEV1-M' });
await measure('powerOff', { requests: 1, roundTrips: 1 }, () => provider.powerOff(toStop as string));

// listVMs over every zone.
for (const total of [0, 1_000, 5_000]) {
  await reset();
  for (const zone of ZONES)
    await seed(total / ZONES.length, {
      zone: zone as ScalewaySeedServer['zone'],
      commercialType: 'PLAY2-NANO',
      tags: ['bench=yes'],
    });
  const perZonePages = Math.max(Math.ceil(total / ZONES.length / 100), 1);
  await measure(
    `listVMs, ${total.toLocaleString('en')} servers over ${ZONES.length} zones`,
    { requests: ZONES.length * perZonePages, roundTrips: perZonePages > 1 ? 2 : 1 },
    async () => {
      const listed = await newProvider().listVMs();
      if (listed.length !== total) throw new Error(`listed ${listed.length} of ${total}`);
    },
  );
}

// 50 concurrent creates over two zones, from a cold provider.
await reset();
await measure('50 concurrent createVMs (2 zones, cold cache)', { requests: 2 + 150, roundTrips: 4 }, () => {
  const fleet = newProvider();
  return Promise.all(
    Array.from({ length: 50 }, (_, index) =>
      fleet.createVM(vm(`fleet-${index}`, index % 2 ? 'nl-ams-1' : 'fr-par-1')),
    ),
  );
});

// Client overhead: CPU to validate and map one 100-server page.
await reset();
await seed(100, { zone: 'fr-par-1', commercialType: 'DEV1-M', tags: ['team=a', 'role=agent'] });
const pageText = await (
  await fetch(`${apiUrl}/instance/v1/zones/fr-par-1/servers?per_page=100`, {
    headers: { 'X-Auth-Token': SCALEWAY_EMULATOR_SECRET_KEY },
  })
).text();
const iterations = 500;
const cpuBefore = process.cpuUsage();
for (let index = 0; index < iterations; index++) {
  const page = scalewayServerListSchema.parse(JSON.parse(pageText));
  for (const server of page.servers) mapScalewayServer(server, 'fr-par-1');
}
const cpu = process.cpuUsage(cpuBefore);
const cpuPerPageMs = Math.round(((cpu.user + cpu.system) / iterations / 1000) * 1000) / 1000;

// Peak client memory while listing 5 000 servers (the emulator runs in its own process).
await reset();
for (const zone of ZONES)
  await seed(500, { zone: zone as ScalewaySeedServer['zone'], commercialType: 'PLAY2-NANO' });
(globalThis as { gc?: () => void }).gc?.();
const baseline = process.memoryUsage().heapUsed;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().heapUsed);
}, 2);
const listed = await newProvider().listVMs();
peak = Math.max(peak, process.memoryUsage().heapUsed);
clearInterval(sampler);
const peakMemoryMb = Math.round(((peak - baseline) / 1024 / 1024) * 10) / 10;

emulatorProcess.disconnect();

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  latencyMs: LATENCY_MS,
  gcExposed: typeof (globalThis as { gc?: unknown }).gc === 'function',
};
const overhead = {
  cpuPerHundredServerPageMs: cpuPerPageMs,
  peakHeapWhileListing5000ServersMb: peakMemoryMb,
  serversListed: listed.length,
};
writeFileSync(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ environment, rows, overhead }, null, 2)}\n`,
);

const table = [
  '| operation | HTTP requests | floor requests | wall time (ms) | floor round trips | floor time (ms) | ratio to floor |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (row) =>
      `| ${row.operation} | ${row.requests} | ${row.floorRequests} | ${row.wallMs} | ${row.floorRoundTrips} | ${row.floorRoundTrips * LATENCY_MS} | ${row.ratio} |`,
  ),
];
const markdown = `# Benchmark results

ScalewayProvider against the Scaleway emulator on 127.0.0.1, every request delayed by ${LATENCY_MS} ms.
${environment.date}, Node ${environment.node}, ${environment.cpu}.

The floor is what the API allows at best: the fewest requests, and the fewest sequential round trips (zones and
the pages after the first go concurrently, so listing costs the deepest zone's depth: one round trip, or two when a
zone has more than one page). The ratio is wall time over floor round trips × latency.

${table.join('\n')}

Client overhead:
- CPU to validate (zod) and map one 100-server page: ${cpuPerPageMs} ms.
- Peak heap growth while listing ${listed.length.toLocaleString('en')} servers: ${peakMemoryMb} MB${environment.gcExposed ? '' : ' (gc not exposed: includes garbage)'}.
`;
writeFileSync(new URL('./results.md', import.meta.url), markdown);
process.stdout.write(markdown);
