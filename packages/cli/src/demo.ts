import {
  type HttpEvent,
  type Provider,
  type VMInstance,
  type WaitTarget,
  waitForVM,
} from '@simple-agent-manager/providers';
import type { CliIo } from './cli-io.js';
import { confirm } from './confirm.js';
import { describeError, errorJson, formatTable, type Output } from './output.js';
import { Progress } from './progress.js';
import {
  accountSettings,
  type ConnectionOptions,
  openTarget,
  PROVIDER_TITLES,
  type ProviderName,
  type Target,
} from './target.js';
import { UsageError } from './usage-error.js';

/** What `sam-provider demo` was asked to do. */
export interface DemoOptions {
  connection: ConnectionOptions;
  /** Run against the account the credentials name instead of the embedded emulator. */
  live: boolean;
  yes: boolean;
  /** The embedded emulator's clock speed: 1 is realistic, 50 is fifty times faster. */
  speed: number;
}

/** One line of the final table. */
export interface DemoStep {
  operation: string;
  vms: number;
  requests: number;
  ms: number;
  ok: boolean;
}

type Size = keyof Provider['sizes'];

const DEMO_SIZE: Size = 'small';
/** Two VMs in the first location and one in the second: the listing must cross locations. */
const DEMO_LOCATIONS: Readonly<Record<ProviderName, readonly string[]>> = {
  scaleway: ['fr-par-1', 'fr-par-1', 'nl-ams-1'],
  hetzner: ['fsn1', 'fsn1', 'nbg1'],
};
const DEMO_USER_DATA = '#cloud-config\nruncmd:\n  - echo "sam-provider demo: ready"\n';

interface PlannedVM {
  name: string;
  location: string;
}

class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new CheckFailed(`check failed: ${message}`);
}

/**
 * Like `Promise.all`, but waits for every promise before rejecting with the first failure: a failed step must not
 * leave creates or deletes running behind the cleanup.
 */
async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const rejected = results.find((result) => result.status === 'rejected');
  if (rejected !== undefined) throw rejected.reason;
}

function seconds(ms: number): string {
  return `${(ms / 1_000).toFixed(2)} s`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function euros(amount: number): string {
  return `€${amount.toFixed(4)}`;
}

/**
 * The lifecycle demo: validate, create three VMs in two locations, wait for them, list them by label, power one off
 * and on, delete them all and check that nothing is left. Resolves the exit code: 0 only if every step passed.
 */
export async function runDemo(io: CliIo, output: Output, options: DemoOptions): Promise<number> {
  const { connection } = options;
  const providerName = connection.provider;
  const title = PROVIDER_TITLES[providerName];
  const account = accountSettings(connection, io.env);
  if (options.live && account === undefined) {
    throw new UsageError(
      providerName === 'scaleway'
        ? '--live needs Scaleway credentials: set SCW_SECRET_KEY and SCW_DEFAULT_PROJECT_ID (or pass --secret-key and --project-id)'
        : '--live needs a Hetzner token: set HCLOUD_TOKEN (or pass --token)',
    );
  }
  if (!options.live && account !== undefined) {
    output.info(
      output.err.dim(`${title} credentials found but not used: the demo runs on the emulator without --live`),
    );
  }

  const runId = Date.now().toString(36);
  const labels = { demo: 'sam-provider', run: runId };
  const planned: PlannedVM[] = DEMO_LOCATIONS[providerName].map((location, index) => ({
    name: `sam-demo-${runId}-${index + 1}`,
    location,
  }));

  let requests = 0;
  const onEvent = (event: HttpEvent) => {
    if (event.type === 'request') requests++;
    output.logEvent(event);
  };
  const target = await openTarget({
    connection,
    env: io.env,
    use: options.live ? 'account' : 'always',
    clock: { mode: 'realtime', speed: options.speed },
    onEvent,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });

  try {
    if (target.kind === 'account') {
      // Shown even with --quiet when a question follows: no one should be asked to approve an unseen plan.
      if (!options.yes || !output.options.quiet) io.stderr.write(`${describeLivePlan(target, planned)}\n`);
      const proceed = await confirm(io, {
        question: 'Go ahead?',
        action: `create ${planned.length} VMs in ${target.description}`,
        yes: options.yes,
      });
      if (!proceed) throw new Error('Cancelled: nothing was created');
    }
    output.info(`${output.err.bold(`${title} lifecycle`)} on ${target.description}`);
    return await lifecycle(output, target, planned, labels, () => requests);
  } finally {
    await target.close();
  }
}

function describeLivePlan(target: Target, planned: readonly PlannedVM[]): string {
  const size = target.provider.sizes[DEMO_SIZE];
  const hourly = size.price.hourlyEur;
  const lines = [
    `The demo will create ${planned.length} VMs in ${target.description}:`,
    ...planned.map((vm) => `  ${vm.name}  ${size.type}  ${vm.location}  about ${euros(hourly)}/hour`),
    `About ${euros(hourly * planned.length)}/hour in total (${size.price.source}, ${size.price.asOf}), billed while they exist;`,
    'the demo deletes them at the end, usually within a few minutes.',
  ];
  return lines.join('\n');
}

async function lifecycle(
  output: Output,
  target: Target,
  planned: readonly PlannedVM[],
  labels: Readonly<Record<string, string>>,
  requestCount: () => number,
): Promise<number> {
  const { provider } = target;
  const progress = new Progress(output);
  const steps: DemoStep[] = [];
  const started = performance.now();
  /** Every VM created and not yet seen deleted: the cleanup list if a step fails. */
  const alive = new Map<string, VMInstance>();
  let failure: { operation: string; error: unknown } | undefined;

  async function step<T>(operation: string, vms: number, run: () => Promise<T>): Promise<T | undefined> {
    if (failure !== undefined) return undefined;
    const before = requestCount();
    const stepStarted = performance.now();
    progress.start(`${operation}…`);
    const finish = (ok: boolean) => {
      const row = {
        operation,
        vms,
        requests: requestCount() - before,
        ms: Math.round(performance.now() - stepStarted),
        ok,
      };
      steps.push(row);
      return `${operation} ${output.err.dim(`(${plural(row.requests, 'request')}, ${seconds(row.ms)})`)}`;
    };
    try {
      const result = await run();
      progress.succeed(finish(true));
      return result;
    } catch (error) {
      failure = { operation, error };
      progress.fail(finish(false));
      output.errorLine(error, target.providerName);
      return undefined;
    }
  }

  const show = (name: string, vm: VMInstance | null) => {
    const state = vm === null ? 'deleted' : vm.statusDetail;
    const parts = [name, vm?.location ?? '', state, vm?.ip ?? ''].filter((part) => part !== '');
    progress.update(name, parts.join('  '));
  };
  const waitFor = (vm: VMInstance, until: WaitTarget) =>
    waitForVM(provider, vm.id, { until, ...target.wait, onPoll: (read) => show(vm.name, read) });

  await step('validate credentials', 0, async () => {
    check(await provider.validateToken(), 'the provider rejected the credentials');
  });

  await step('create', planned.length, async () => {
    await settleAll(
      planned.map(async (vm) => {
        const created = await provider.createVM({
          name: vm.name,
          size: DEMO_SIZE,
          location: vm.location,
          userData: DEMO_USER_DATA,
          labels: { ...labels },
        });
        alive.set(created.id, created);
        show(created.name, created);
      }),
    );
  });

  await step('wait until running', planned.length, async () => {
    await settleAll(
      [...alive.values()].map(async (vm) => {
        const running = await waitFor(vm, 'running');
        check(running !== null && running.ip !== '', `${vm.name} is running with a public IP`);
      }),
    );
  });

  await step('list by label', planned.length, async () => {
    const listed = await provider.listVMs({ ...labels });
    const ids = listed.map((vm) => vm.id).sort();
    check(
      ids.length === alive.size && ids.every((id) => alive.has(id)),
      `listing by label returns exactly the ${alive.size} demo VMs (got ${ids.length})`,
    );
  });

  const firstVM = (): VMInstance => {
    const vm = [...alive.values()][0];
    check(vm !== undefined, 'a demo VM exists');
    return vm;
  };
  await step('power off + wait', 1, async () => {
    const vm = firstVM();
    await provider.powerOff(vm.id);
    await waitFor(vm, 'off');
  });

  await step('power on + wait', 1, async () => {
    const vm = firstVM();
    await provider.powerOn(vm.id);
    const running = await waitFor(vm, 'running');
    check(running !== null && running.ip !== '', `${vm.name} is running again with a public IP`);
  });

  await step('delete + wait', planned.length, async () => {
    await settleAll(
      [...alive.values()].map(async (vm) => {
        await provider.deleteVM(vm.id);
        await waitFor(vm, 'deleted');
        alive.delete(vm.id);
      }),
    );
  });

  let leftovers: { servers: number; volumes: number; ips: number } | undefined;
  await step('leftover check', 0, async () => {
    if (target.leftovers !== undefined) {
      const held = target.leftovers();
      leftovers = { servers: held.servers.length, volumes: held.volumes.length, ips: held.ips.length };
      check(
        leftovers.servers + leftovers.volumes + leftovers.ips === 0,
        `the emulator holds no server, volume or IP (found ${leftovers.servers} servers, ${leftovers.volumes} volumes, ${leftovers.ips} IPs)`,
      );
      return;
    }
    const remaining = await provider.listVMs({ ...labels });
    leftovers = { servers: remaining.length, volumes: 0, ips: 0 };
    check(remaining.length === 0, `no demo VM is left (found ${remaining.length})`);
  });

  const cleanup = await cleanUp(output, target, alive);
  const totalMs = Math.round(performance.now() - started);
  const passed = failure === undefined && cleanup.length === 0;
  const totalRequests = steps.reduce((sum, row) => sum + row.requests, 0);
  output.result(
    {
      provider: target.providerName,
      target: target.kind,
      passed,
      steps,
      totalRequests,
      totalMs,
      leftovers: leftovers ?? null,
      ...(failure === undefined ? {} : { failedStep: failure.operation, error: errorJson(failure.error) }),
      ...(cleanup.length === 0 ? {} : { notDeleted: cleanup }),
    },
    () => {
      const colors = output.out;
      const table = formatTable(
        ['operation', 'VMs', 'HTTP requests', 'time'],
        [
          ...steps.map((row) => [
            row.ok ? row.operation : { text: row.operation, style: colors.red },
            String(row.vms),
            String(row.requests),
            seconds(row.ms),
          ]),
          [{ text: 'total', style: colors.bold }, '', String(totalRequests), seconds(totalMs)],
        ],
        colors,
      );
      const verdict = passed
        ? colors.green(
            `PASS: every step passed; leftovers: ${leftovers?.servers ?? 0} servers, ${leftovers?.volumes ?? 0} volumes, ${leftovers?.ips ?? 0} IPs`,
          )
        : colors.red(`FAIL: ${failure === undefined ? 'cleanup' : failure.operation}`);
      return `${table}\n${verdict}`;
    },
  );
  return passed ? 0 : 1;
}

/** After a failed step, delete every demo VM still alive. Resolves the ids that could not be deleted. */
async function cleanUp(output: Output, target: Target, alive: Map<string, VMInstance>): Promise<string[]> {
  if (alive.size === 0) return [];
  output.info(`Cleaning up ${alive.size} demo VM(s)…`);
  const failed: string[] = [];
  await Promise.all(
    [...alive.values()].map(async (vm) => {
      try {
        await target.provider.deleteVM(vm.id);
        alive.delete(vm.id);
      } catch (error) {
        failed.push(vm.id);
        output.warn(`could not delete ${vm.name} (${vm.id}): ${describeError(error, target.providerName)}`);
      }
    }),
  );
  if (failed.length > 0 && target.kind === 'account') {
    output.warn(`delete them with: sam-provider delete ${failed.join(' ')}`);
  }
  return failed;
}
