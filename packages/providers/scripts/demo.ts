/**
 * The lifecycle demo: a real provider against the embedded emulator on 127.0.0.1, with realistic delays.
 * Exits 0 only if every step passes and nothing is left behind.
 */
import {
  HETZNER_EMULATOR_TOKEN,
  HetznerEmulator,
  startEmulatorServer,
} from '@simple-agent-manager/cloud-emulator';
import { createProvider, type VMInstance, waitForVM } from '../src/index.js';

interface Row {
  operation: string;
  vms: number;
  requests: number;
  ms: number;
}

const emulator = new HetznerEmulator({ clock: { mode: 'realtime', speed: 1 } });
const server = await startEmulatorServer(emulator);
let requests = 0;
const provider = createProvider({
  provider: 'hetzner',
  token: HETZNER_EMULATOR_TOKEN,
  apiUrl: `${server.url}/v1`,
  onEvent: (event) => {
    if (event.type === 'request') requests++;
  },
});
const rows: Row[] = [];

async function step<T>(operation: string, vms: number, run: () => Promise<T>): Promise<T> {
  const before = requests;
  const started = performance.now();
  const result = await run();
  rows.push({ operation, vms, requests: requests - before, ms: Math.round(performance.now() - started) });
  process.stderr.write(`✓ ${operation}\n`);
  return result;
}

function check(condition: boolean, message: string): void {
  if (!condition) throw new Error(`check failed: ${message}`);
}

const labels = { demo: 'sam', run: String(Date.now()) };
const wait = { timeoutMs: 30_000, intervalMs: 250, maxIntervalMs: 1_000 } as const;
let exitCode = 0;
try {
  process.stderr.write(`Emulated Hetzner API on ${server.url}\n`);
  check(await step('validate token', 0, () => provider.validateToken()), 'token is valid');
  const created = await step('create', 3, () =>
    Promise.all(
      ['fsn1', 'nbg1', 'fsn1'].map((location, index) =>
        provider.createVM({
          name: `demo-agent-${index + 1}`,
          size: 'small',
          location,
          userData: '#cloud-config\nruncmd:\n  - echo ready\n',
          labels,
        }),
      ),
    ),
  );
  await step('wait until running', 3, () =>
    Promise.all(created.map((vm) => waitForVM(provider, vm.id, { until: 'running', ...wait }))),
  );
  const listed = await step('list by label', 3, () => provider.listVMs(labels));
  check(listed.length === 3, 'list returns the three VMs');
  const first = created[0] as VMInstance;
  await step('power off + wait', 1, async () => {
    await provider.powerOff(first.id);
    await waitForVM(provider, first.id, { until: 'off', ...wait });
  });
  await step('power on + wait', 1, async () => {
    await provider.powerOn(first.id);
    await waitForVM(provider, first.id, { until: 'running', ...wait });
  });
  await step('delete', 3, () => Promise.all(created.map((vm) => provider.deleteVM(vm.id))));
  const leftovers = emulator.leftovers();
  const left = leftovers.servers.length + leftovers.volumes.length + leftovers.ips.length;
  check(left === 0, `no leftovers (found ${left})`);
  rows.push({ operation: 'leftover check', vms: 0, requests: 0, ms: 0 });
} catch (error) {
  exitCode = 1;
  process.stderr.write(`✗ ${error instanceof Error ? error.message : String(error)}\n`);
} finally {
  await server.close();
}

const header = ['operation', 'VMs', 'HTTP requests', 'time (ms)'];
const table = [
  header,
  ...rows.map((row) => [row.operation, String(row.vms), String(row.requests), String(row.ms)]),
];
const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
for (const [index, line] of table.entries()) {
  process.stdout.write(`${line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}\n`);
  if (index === 0) process.stdout.write(`${widths.map((width) => '-'.repeat(width)).join('  ')}\n`);
}
process.stdout.write(`total: ${requests} HTTP requests, result: ${exitCode === 0 ? 'PASS' : 'FAIL'}\n`);
process.exitCode = exitCode;
