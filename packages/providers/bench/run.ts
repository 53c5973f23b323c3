/**
 * Call-budget benchmark: HTTP requests and wall time of each operation against the Scaleway emulator on 127.0.0.1
 * with a fixed per-request latency, beside the floor the API allows (the fewest sequential round trips); the same for
 * every Block volume operation of both providers (volumes.ts, Hetzner against its own emulator); plus the
 * client's CPU cost per page and its peak memory while listing, and the client's CPU time per operation in Node and
 * inside workerd (client-cpu.ts). Prints the results (Markdown) and writes results.md and results.json to a
 * temporary directory, or over the tracked bench/results.{md,json} with --write.
 * Usage: pnpm bench [--latency 20] [--write]
 */

import { fork, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  SCALEWAY_EMULATOR_PROJECT_ID,
  SCALEWAY_EMULATOR_SECRET_KEY,
} from '@simple-agent-manager/cloud-emulator';
import {
  createProvider,
  type Provider,
  type ProviderEvent,
  SCALEWAY_ZONE_IDS,
  type ScalewayZone,
  type VMConfig,
} from '../src/index.js';
import { mapScalewayServer } from '../src/scaleway-mappers.js';
import { scalewayServerListSchema } from '../src/scaleway-schemas.js';
import { clientCpuMarkdown, measureClientCpu } from './client-cpu.js';
import { forkEmulator } from './emulator-client.js';
import { benchResultsDirectory, parseBenchArgs } from './options.js';
import { type Measure, placeholders, type Row } from './rows.js';
import { BENCH_POLL_INTERVAL_MS, hetznerVolumeRows, scalewayVolumeRows } from './volumes.js';

const options = (() => {
  try {
    return parseBenchArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
})();
const LATENCY_MS = options.latencyMs;
const ZONES = SCALEWAY_ZONE_IDS;

// The emulator runs in its own process; messages seed it and reset it.
const emulator = await forkEmulator(LATENCY_MS);
const { apiUrl, seed, reset } = emulator;

let requests = 0;
const onEvent = (event: ProviderEvent) => {
  if (event.type === 'request') requests++;
};
const newProvider = (): Provider =>
  createProvider({
    provider: 'scaleway',
    secretKey: SCALEWAY_EMULATOR_SECRET_KEY,
    projectId: SCALEWAY_EMULATOR_PROJECT_ID,
    apiUrl,
    onEvent,
  });

const rows: Row[] = [];
const SAMPLES = 7;

/** `prepare` runs before each sample, outside the timing (fresh servers to delete, a cold provider…). */
const measure: Measure = async (operation, floor, prepare, run, options = {}) => {
  const times: number[] = [];
  let perRun = 0;
  let emulatorLog: string[] | undefined;
  for (let sample = 0; sample <= SAMPLES; sample++) {
    const context = await prepare();
    const logged = sample === SAMPLES ? options.log : undefined;
    await logged?.drainLog();
    requests = 0;
    const started = performance.now();
    await run(context);
    const elapsed = performance.now() - started;
    perRun = requests;
    if (sample > 0) times.push(elapsed);
    if (logged !== undefined) {
      emulatorLog = (await logged.drainLog()).map(placeholders);
      if (emulatorLog.length !== perRun) {
        throw new Error(
          `${operation}: ${perRun} requests counted, ${emulatorLog.length} logged by the emulator`,
        );
      }
    }
  }
  times.sort((left, right) => left - right);
  const at = (fraction: number) =>
    times[Math.min(Math.floor(fraction * times.length), times.length - 1)] as number;
  const medianMs = Math.round(at(0.5) * 10) / 10;
  (options.into ?? rows).push({
    operation,
    requests: perRun,
    floorRequests: floor.requests,
    medianMs,
    p90Ms: Math.round(at(0.9) * 10) / 10,
    floorRoundTrips: floor.roundTrips,
    ratio:
      LATENCY_MS > 0 && floor.roundTrips > 0
        ? Math.round((medianMs / (floor.roundTrips * LATENCY_MS)) * 100) / 100
        : null,
    ...(emulatorLog === undefined ? {} : { emulatorLog }),
  });
  process.stderr.write(`✓ ${operation}\n`);
};

const nothing = async () => undefined;

const vm = (name: string, location = 'fr-par-1'): VMConfig => ({
  name,
  size: 'small',
  location,
  userData: '#cloud-config\n',
  labels: { bench: 'yes' },
});

// createVM: cold (the image label is resolved) and warm (cached).
let created = 0;
await measure(
  'createVM, cold image cache',
  { requests: 4, roundTrips: 4 },
  async () => newProvider(),
  (cold) => cold.createVM(vm(`cold-${created++}`)),
);
const provider = newProvider();
await provider.createVM(vm('warm-up'));
await measure('createVM, warm image cache', { requests: 3, roundTrips: 3 }, nothing, () =>
  provider.createVM(vm(`warm-${created++}`)),
);

// getVM by zonal id, and by bare UUID living in the last zone. The API allows asking every zone at once (one
// round trip); the provider asks the default zone first, so a VM there costs one request instead of ten.
const [zonal] = await seed(1, { zone: 'fr-par-2', state: 'running', commercialType: 'DEV1-M' });
const [far] = await seed(1, { zone: 'it-mil-1', state: 'running', commercialType: 'PLAY2-NANO' });
await measure('getVM, zonal id', { requests: 1, roundTrips: 1 }, nothing, () =>
  provider.getVM(zonal as string),
);
await measure('getVM, bare UUID in the last zone', { requests: ZONES.length, roundTrips: 1 }, nothing, () =>
  provider.getVM((far as string).split('/')[1] as string),
);

// deleteVM from running (terminate) and from stopped (DELETE + its local volume), each on a fresh server.
await measure(
  'deleteVM, running (l_ssd)',
  { requests: 2, roundTrips: 2 },
  async () =>
    (await seed(1, { zone: 'fr-par-1', state: 'running', commercialType: 'DEV1-M', volumeType: 'l_ssd' }))[0],
  (id) => provider.deleteVM(id as string),
);
// A removal that leaves the boot volume behind (DELETE of a stopped server; terminate of one booting from a Block
// volume) first marks it as the VM's own (one PATCH, after a read for a Block volume, whose tags the server's read
// does not carry), so that deleteVM called again after the server went finds it.
await measure(
  'deleteVM, stopped (one l_ssd volume)',
  { requests: 4, roundTrips: 4 },
  async () =>
    (await seed(1, { zone: 'fr-par-1', state: 'stopped', commercialType: 'DEV1-M', volumeType: 'l_ssd' }))[0],
  (id) => provider.deleteVM(id as string),
);
await measure(
  'deleteVM, running (Block boot volume)',
  { requests: 5, roundTrips: 5 },
  async () =>
    (
      await seed(1, {
        zone: 'fr-par-1',
        state: 'running',
        commercialType: 'DEV1-M',
        volumeType: 'sbs_volume',
      })
    )[0],
  (id) => provider.deleteVM(id as string),
);
// Called again once the server is gone: the read, then the Block and Instance lists of volumes marked as its own.
await measure(
  'deleteVM again, server already gone',
  { requests: 3, roundTrips: 2 },
  async () => {
    const [id] = await seed(1, {
      zone: 'fr-par-1',
      state: 'running',
      commercialType: 'DEV1-M',
      volumeType: 'l_ssd',
    });
    await provider.deleteVM(id as string);
    return id;
  },
  (id) => provider.deleteVM(id as string),
);
await measure(
  'powerOff',
  { requests: 1, roundTrips: 1 },
  async () => (await seed(1, { zone: 'fr-par-1', state: 'running', commercialType: 'DEV1-M' }))[0],
  (id) => provider.powerOff(id as string),
);

// listVMs over every zone, and the same pages fetched raw (no validation, no mapping) as the transport's baseline.
const rawList = async () => {
  const headers = { 'X-Auth-Token': SCALEWAY_EMULATOR_SECRET_KEY };
  const url = (zone: string, page: number) =>
    `${apiUrl}/instance/v1/zones/${zone}/servers?project=${SCALEWAY_EMULATOR_PROJECT_ID}&page=${page}&per_page=100`;
  await Promise.all(
    ZONES.map(async (zone) => {
      const first = await fetch(url(zone, 1), { headers });
      await first.text();
      const pages = Math.ceil(Number(first.headers.get('x-total-count')) / 100);
      await Promise.all(
        Array.from({ length: Math.max(pages - 1, 0) }, async (_, index) =>
          (await fetch(url(zone, index + 2), { headers })).text(),
        ),
      );
    }),
  );
};
for (const total of [0, 1_000, 5_000]) {
  await reset();
  for (const zone of ZONES) {
    await seed(total / ZONES.length, {
      zone: zone as ScalewayZone,
      commercialType: 'PLAY2-NANO',
      tags: ['bench=yes'],
    });
  }
  const perZonePages = Math.max(Math.ceil(total / ZONES.length / 100), 1);
  const floor = { requests: ZONES.length * perZonePages, roundTrips: perZonePages > 1 ? 2 : 1 };
  const count = total.toLocaleString('en');
  await measure(`listVMs, ${count} servers over ${ZONES.length} zones`, floor, nothing, async () => {
    const listed = await newProvider().listVMs();
    if (listed.length !== total) throw new Error(`listed ${listed.length} of ${total}`);
  });
  await measure(`  raw fetch of the same pages (transport baseline)`, floor, nothing, async () => {
    await rawList();
    requests = floor.requests;
  });
}

// 50 concurrent creates over two zones, from a cold provider.
await measure(
  '50 concurrent createVMs (2 zones, cold cache)',
  { requests: 2 + 150, roundTrips: 4 },
  async () => {
    await reset();
    return newProvider();
  },
  (fleet) =>
    Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        fleet.createVM(vm(`fleet-${created++}-${index}`, index % 2 ? 'nl-ams-1' : 'fr-par-1')),
      ),
    ),
);

// Block volumes: every operation of both providers beside its floor (volumes.ts), with the emulators' logs.
const scalewayVolumes: Row[] = [];
await scalewayVolumeRows({ measure, onEvent, into: scalewayVolumes }, emulator);
const hetznerEmulator = await forkEmulator(LATENCY_MS, 'hetzner');
const hetznerVolumes: Row[] = [];
await hetznerVolumeRows({ measure, onEvent, into: hetznerVolumes }, hetznerEmulator);
hetznerEmulator.close();

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

// Client memory while listing 5 000 servers, in a fresh process of its own.
await reset();
for (const zone of ZONES) await seed(500, { zone: zone as ScalewayZone, commercialType: 'PLAY2-NANO' });
const memory = await new Promise<{ peakRssGrowthMb: number; heldHeapMb: number; servers: number }>(
  (resolve) => {
    const child = fork(new URL('./list-memory.ts', import.meta.url), [apiUrl], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
    });
    child.once('message', resolve);
  },
);

emulator.close();

// Client CPU per operation, Node vs workerd, against an emulator of its own with no added latency (the CPU time of
// an operation does not depend on it; the wall time would, and hundreds of iterations run per row).
const cpuEmulator = await forkEmulator(0);
const clientCpu = await measureClientCpu(cpuEmulator, (line) => process.stderr.write(`${line}\n`));
cpuEmulator.close();

// The chaos suite at scale (bench/chaos.run.ts): both providers, 500 lifecycles, 10% faults, in vitest's virtual time.
const CHAOS_LIFECYCLES = 500;
const CHAOS_FAULT_RATE = 0.1;
const chaosOut = join(mkdtempSync(join(tmpdir(), 'sam-chaos-')), 'chaos.txt');
const vitestEntry = join(
  dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);
process.stderr.write(
  `chaos: ${CHAOS_LIFECYCLES} lifecycles per provider at ${CHAOS_FAULT_RATE * 100}% faults…\n`,
);
const chaosRun = spawnSync(
  process.execPath,
  [vitestEntry, 'run', '--config', fileURLToPath(new URL('./vitest.chaos.config.ts', import.meta.url))],
  {
    env: {
      ...process.env,
      SAM_CHAOS_LIFECYCLES: String(CHAOS_LIFECYCLES),
      SAM_CHAOS_FAULT_RATE: String(CHAOS_FAULT_RATE),
      SAM_CHAOS_OUT: chaosOut,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const chaosReport = existsSync(chaosOut) ? readFileSync(chaosOut, 'utf8') : '(no report written)';
const chaosPassed = chaosRun.status === 0;
if (!chaosPassed) process.exitCode = 1;

const environment = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  latencyMs: LATENCY_MS,
  samples: SAMPLES,
};
const overhead = {
  cpuPerHundredServerPageMs: cpuPerPageMs,
  listing5000Servers: memory,
};
const resultsDirectory = benchResultsDirectory(options);
mkdirSync(resultsDirectory, { recursive: true });
writeFileSync(
  join(resultsDirectory, 'results.json'),
  `${JSON.stringify({ environment, rows, volumes: { scaleway: scalewayVolumes, hetzner: hetznerVolumes }, overhead, clientCpu }, null, 2)}\n`,
);

const tableOf = (of: Row[], withLog = false) => [
  `| operation | HTTP requests | floor requests | median wall time (ms) | p90 (ms) | floor round trips | floor time (ms) | ratio to floor |${withLog ? ' requests as the emulator logged them |' : ''}`,
  `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${withLog ? ' --- |' : ''}`,
  ...of.map(
    (row) =>
      `| ${row.operation} | ${row.requests} | ${row.floorRequests} | ${row.medianMs} | ${row.p90Ms} | ${row.floorRoundTrips} | ${row.floorRoundTrips * LATENCY_MS} | ${row.ratio ?? 'n/a'} |${withLog ? ` ${logCell(row.emulatorLog ?? [])} |` : ''}`,
  ),
];
/** The logged requests, each a code span; runs of the same request are folded (`… ×3`). */
const logCell = (log: string[]) => {
  if (log.length === 0) return 'none';
  const folded: string[] = [];
  for (let index = 0; index < log.length; ) {
    let end = index;
    while (log[end + 1] === log[index]) end++;
    const line = `\`${log[index]}\``;
    folded.push(end > index ? `${line} ×${end - index + 1}` : line);
    index = end + 1;
  }
  return folded.join(', ');
};
const table = tableOf(rows);
const markdown = `# Benchmark results

Written by \`pnpm bench --write\` (\`bench/run.ts\`); a plain \`pnpm bench\` prints the same and leaves this
file as it is.

ScalewayProvider against the Scaleway emulator on 127.0.0.1 (in its own process), every request delayed by
${LATENCY_MS} ms. ${environment.date}, Node ${environment.node}, ${environment.cpu}. Each row: one warm-up run,
then ${SAMPLES} timed runs (median and 90th percentile).

The floor is what the API allows at best: the fewest requests, and the fewest sequential round trips (every zone, and
every page after the first, can go at once, so listing costs one round trip, or two when a zone has more than one
page; a bare UUID can be asked of every zone at once). The ratio is the median over floor round trips × latency.
The "raw fetch" rows fetch the same pages with no validation or mapping: the gap between a listing row and its raw
row is the library's own cost; the rest is the emulator rendering pages.

${table.join('\n')}

Client overhead:
- CPU to validate (zod) and map one 100-server page: ${cpuPerPageMs} ms.
- Listing ${memory.servers.toLocaleString('en')} servers in a fresh process: peak resident memory grew by
  ${memory.peakRssGrowthMb} MB; heap still held after GC (the 5 000 VMs themselves): ${memory.heldHeapMb} MB.

## Block volumes

Every volume operation beside its floor, on the same terms (${LATENCY_MS} ms per request, ${SAMPLES} timed runs after a
warm-up, a fresh volume or VM per run where the operation consumes it). Scaleway: Block Storage volumes in
fr-par-1, attached through the Instance API, with the emulator's Block lag set to 0 (create, update, attach, detach).
Hetzner: Volumes in fsn1, in an emulator process of its own, every action done at once. Both emulators run an instant
clock, so the first poll finds any change: the providers poll every ${BENCH_POLL_INTERVAL_MS} ms here, and the rows count round trips, not
the poll interval; the last row of each table runs the provider as shipped (default \`pollIntervalMs\`), where the
first wait after a PATCH (Scaleway) or before polling an action (Hetzner) is that interval. The last column is the
request sequence of the last run as the emulator logged it (ids as placeholders); each row checks that it holds as
many requests as the provider counted.

The floors are the fewest requests the API allows while keeping the library's guarantees: attach and detach resolve
only once the API shows the new state, and take the VM id exactly as \`createVM\` returned it; a resize rejects a
shrink before any request and resolves once the new size has landed; delete refuses an attached volume (so it
reads first) and is idempotent; \`deleteVM\` keeps data volumes (each row then checks every such volume is
\`available\`, detached, labels kept). Listing: page 1, then every other page at once (Scaleway 100 a page, one zone;
Hetzner 50 a page, no location filter in the API). Scaleway's Block view lags behind the Instance API (§15.9), so
attach and detach read the volume again after the Instance call; a PATCH answers \`updating\`, so a resize reads
again until the size has landed. Hetzner's attach also reads the server: the API's refusal of a cross-location
attach is undocumented, so the library checks the location itself; its action rows poll the action once (it answers
\`running\`) and read the volume again to return what the API shows.

### Scaleway

${tableOf(scalewayVolumes, true).join('\n')}

### Hetzner

${tableOf(hetznerVolumes, true).join('\n')}

## Client CPU per operation: Node vs workerd

The client's CPU time per operation against the emulator, which runs in a process of its own with no added latency
(neither its CPU nor the waiting counts). Node: a fresh child process per row, \`process.cpuUsage()\` (user + system,
every thread) around n iterations in a row, divided by n; once as shipped, once with \`z.config({ jitless: true })\`
(zod's object parser without \`new Function\`, as zod parses inside workerd). workerd: a fresh \`workerd serve\` per
row (the workerd npm package, no \`nodejs_compat\`) running a Worker bundled as the workerd test tier bundles one,
whose route runs the same n iterations. Code inside workerd cannot time itself (its clocks stand still while code
runs), so the process's CPU time is read from outside before and after the request, from
${clientCpu.workerdCpuSource ?? '/proc (not measured)'}, less the same request running a no-op n times and the
process's idle CPU over the rest of the wall time. Each row: one untimed round, then ${clientCpu.rounds} timed rounds
taking turns between the runtimes; the lowest round counts (other processes only ever add CPU time; every round is
in \`results.json\`), and the ratio is workerd's over Node's. The
indented rows split the page into its parts, and fetch the same requests raw (\`fetch\` + \`text()\`, no provider):
what an operation costs above its raw row is the library's.
${clientCpu.workerdSkipped === undefined ? '' : `\n**workerd was skipped**: ${clientCpu.workerdSkipped}\n`}
${clientCpuMarkdown(clientCpu)}

## Chaos at scale

The chaos suite (\`tests/chaos\`, run here by \`bench/chaos.run.ts\`) with ${CHAOS_LIFECYCLES} VM lifecycles and
${Math.round(CHAOS_LIFECYCLES / 4)} volume lifecycles per provider, 25 at a time, in virtual time: every fault kind fires
on every request with a ${CHAOS_FAULT_RATE * 100}% chance (429, 500, 503, dropped before or after the API acted, slow
answers the API commits late, very late ones, 503s that come back on the next 1–4 requests of the same endpoint, and
the answers of deletes and actions lost again and again), callers abort 10% of lifecycles mid-step. Callers retry a
failed \`deleteVM\` until it resolves and delete what they hold; then, before any reconciler or sweep, no boot volume or
IP is left without its server and nothing a caller was given is left; the reconciler (listVMs by label) then removes
what creates processed after the library stopped looking made, and \`deleteLeftovers\` sweeps. The invariants are
the test suite's${chaosPassed ? ', and they held' : '; **they did not hold in this run** (see the stderr of `pnpm bench`)'}.

\`\`\`text
${chaosReport}
\`\`\`
`;
writeFileSync(join(resultsDirectory, 'results.md'), markdown);
process.stdout.write(markdown);
process.stderr.write(
  `results: ${join(resultsDirectory, 'results.md')} and results.json${options.write ? '' : ' (the tracked bench/results.{md,json} are written with --write)'}\n`,
);
