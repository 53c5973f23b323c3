import {
  type ProviderEvent,
  type ProviderRequestContext,
  type VMInstance,
  type VolumeInstance,
  type WaitTarget,
  waitForVM,
} from '@simple-agent-manager/providers';
import type { CliIo } from './cli-io.js';
import type { Size } from './commands.js';
import { confirm } from './confirm.js';
import { commandLine } from './error-hints.js';
import { EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK } from './exit-codes.js';
import {
  describeError,
  errorJson,
  formatEuros,
  formatTable,
  leftoverVMId,
  leftoverVolumeId,
  type Output,
  plural,
} from './output.js';
import { Progress } from './progress.js';
import {
  accountSettings,
  type ConnectionOptions,
  credentialsGiven,
  openTarget,
  PROVIDER_TITLES,
  type ProviderName,
  type Target,
} from './target.js';
import { UsageError } from './usage-error.js';
import { waitForVolume } from './volume-commands.js';

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

const DEMO_SIZE: Size = 'small';
/** Two VMs in the first location and one in the second: the listing must cross locations. */
const DEMO_LOCATIONS: Readonly<Record<ProviderName, readonly string[]>> = {
  scaleway: ['fr-par-1', 'fr-par-1', 'nl-ams-1'],
  hetzner: ['fsn1', 'fsn1', 'nbg1'],
};
const DEMO_USER_DATA = '#cloud-config\nruncmd:\n  - echo "sam-provider demo: ready"\n';
/** The data volume's size: small, within every provider's limits (Hetzner's smallest is 10 GB). */
const DEMO_VOLUME_SIZE_GB = 10;

interface PlannedVM {
  name: string;
  location: string;
}

/** The data volume the demo creates when the provider supports volumes: its location is the first VM's. */
interface PlannedVolume {
  name: string;
  sizeGb: number;
  labels: Readonly<Record<string, string>>;
}

/** One demo run against an opened target. */
interface DemoRun {
  io: CliIo;
  output: Output;
  target: Target;
  planned: readonly PlannedVM[];
  /** `undefined` when the provider does not support volumes (`volumeCapabilities.supported` is false). */
  volume: PlannedVolume | undefined;
  labels: Readonly<Record<string, string>>;
  yes: boolean;
  /** Every request sent so far, retries included. */
  requestCount: () => number;
  /** What the provider reported it could not remove after a failed create (its `cleanup_failed` events). */
  orphans: ReadonlySet<string>;
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

/**
 * The lifecycle demo: validate, create three VMs in two locations, wait for them, create a data volume and attach
 * it to the first VM, list the VMs by label, power one off and on, delete them all, check that the volume survived
 * its VM, delete it and check that nothing is left. The volume steps run only where the provider supports volumes.
 * Resolves the exit code: 0 only if every step passed, 130 when interrupted (after deleting what it created).
 */
export async function runDemo(io: CliIo, output: Output, options: DemoOptions): Promise<number> {
  const { connection } = options;
  const providerName = connection.provider;
  const title = PROVIDER_TITLES[providerName];
  if (options.live && accountSettings(connection, io.env) === undefined) {
    throw new UsageError(
      providerName === 'scaleway'
        ? '--live needs Scaleway credentials: set SCW_SECRET_KEY and SCW_DEFAULT_PROJECT_ID (or pass --secret-key and --project-id)'
        : '--live needs a Hetzner token: set HCLOUD_TOKEN (or pass --token)',
    );
  }
  if (!options.live && credentialsGiven(connection, io.env)) {
    output.info(
      output.stderrColors.dim(
        `${title} credentials found but not used: the demo runs on the emulator without --live`,
      ),
    );
  }

  const runId = Date.now().toString(36);
  const planned: PlannedVM[] = DEMO_LOCATIONS[providerName].map((location, index) => ({
    name: `sam-demo-${runId}-${index + 1}`,
    location,
  }));

  let requests = 0;
  const orphans = new Set<string>();
  const onEvent = (event: ProviderEvent) => {
    if (event.type === 'request') requests++;
    if (event.type === 'cleanup_failed') orphans.add(event.resource);
    output.handleEvent(event);
  };
  const target = await openTarget({
    connection,
    // Without --live the environment's credentials and settings play no part, even incomplete ones.
    env: options.live ? io.env : {},
    use: options.live ? 'account' : 'always',
    clock: { mode: 'realtime', speed: options.speed },
    onEvent,
    ...(io.fetch === undefined ? {} : { fetch: io.fetch }),
  });
  output.setTarget(target.kind);

  const labels = { demo: 'sam-provider', run: runId };
  const capabilities = target.provider.volumeCapabilities;
  const volume: PlannedVolume | undefined = capabilities.supported
    ? {
        name: `sam-demo-${runId}-data`,
        sizeGb: Math.min(
          Math.max(DEMO_VOLUME_SIZE_GB, capabilities.minSizeGb ?? 1),
          capabilities.maxSizeGb ?? Number.MAX_SAFE_INTEGER,
        ),
        labels: { ...labels, role: 'data' },
      }
    : undefined;
  try {
    output.info(`${output.stderrColors.bold(`${title} lifecycle`)} on ${target.description}`);
    return await lifecycle({
      io,
      output,
      target,
      planned,
      volume,
      labels,
      yes: options.yes,
      requestCount: () => requests,
      orphans,
    });
  } finally {
    await target.close();
  }
}

/** What the demo creates, for the confirmation: `3 VMs`, `3 VMs and a 10 GB volume`. */
function describeCreated(planned: readonly PlannedVM[], volume: PlannedVolume | undefined): string {
  const vms = plural(planned.length, 'VM');
  return volume === undefined ? vms : `${vms} and a ${volume.sizeGb} GB volume`;
}

function describeLivePlan(
  target: Target,
  planned: readonly PlannedVM[],
  volume: PlannedVolume | undefined,
): string {
  const size = target.provider.sizes[DEMO_SIZE];
  const hourly = size.pricing.hourlyEur;
  const lines = [
    `The demo will create ${describeCreated(planned, volume)} in ${target.description}:`,
    ...planned.map((vm) => `  ${vm.name}  ${size.type}  ${vm.location}  about ${formatEuros(hourly)}/hour`),
    ...(volume === undefined
      ? []
      : [`  ${volume.name}  ${volume.sizeGb} GB data volume, in the first VM's location, billed per GB`]),
    `About ${formatEuros(hourly * planned.length)}/hour in total for the VMs (${size.pricing.source}, ${size.pricing.asOf}), billed while they exist;`,
    'the demo deletes everything at the end, usually within a few minutes.',
  ];
  return lines.join('\n');
}

/** On an account: show what the demo will create and what it costs, and ask before creating anything. */
async function confirmPlan(run: DemoRun): Promise<void> {
  const { io, output, target, planned, volume, yes } = run;
  // Shown even with --quiet when a question follows: no one should be asked to approve an unseen plan.
  if (!yes || !output.options.quiet) io.stderr.write(`${describeLivePlan(target, planned, volume)}\n`);
  const proceed = await confirm(io, {
    question: 'Go ahead?',
    action: `create ${describeCreated(planned, volume)} in ${target.description}`,
    yes,
  });
  if (!proceed) throw new Error('Cancelled: nothing was created');
}

async function lifecycle(run: DemoRun): Promise<number> {
  const { output, target, planned, labels, requestCount } = run;
  const planVolume = run.volume;
  const { provider } = target;
  const { signal } = run.io;
  const requestOptions: ProviderRequestContext = signal === undefined ? {} : { signal };
  const progress = new Progress(output);
  const steps: DemoStep[] = [];
  const started = performance.now();
  /** Every VM created and not yet seen deleted: the cleanup list if a step fails. */
  const alive = new Map<string, VMInstance>();
  /** Where the data volume goes (the first VM's location), once known. */
  let volumeLocation: string | undefined;
  /** The data volume, from its creation until it is deleted: to delete if a step fails. */
  let dataVolume: VolumeInstance | undefined;
  /** While its create is in flight: an interrupt then has a volume to clean up too. */
  let creatingVolume = false;
  let failure: { operation: string; error: unknown } | undefined;

  async function step<T>(operation: string, vms: number, body: () => Promise<T>): Promise<T | undefined> {
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
      return `${operation} ${output.stderrColors.dim(`(${plural(row.requests, 'request')}, ${seconds(row.ms)})`)}`;
    };
    try {
      const result = await body();
      progress.succeed(finish(true));
      return result;
    } catch (error) {
      failure = { operation, error };
      progress.fail(finish(false));
      output.errorLine(error);
      return undefined;
    }
  }

  const show = (name: string, vm: VMInstance | null) => {
    const state = vm === null ? 'deleted' : vm.statusDetail;
    const parts = [name, vm?.location ?? '', state, vm?.ip ?? ''].filter((part) => part !== '');
    progress.update(name, parts.join('  '));
  };
  const waitFor = (vm: VMInstance, until: WaitTarget) =>
    waitForVM(provider, vm.id, {
      until,
      ...target.wait,
      ...requestOptions,
      onPoll: (read) => show(vm.name, read),
    });

  const showVolume = (volume: VolumeInstance | null) => {
    if (planVolume === undefined) return;
    const parts =
      volume === null
        ? [planVolume.name, 'deleted']
        : [
            volume.name,
            volume.location,
            `${volume.sizeGb} GB`,
            volume.status,
            volume.attachedServerId === undefined
              ? ''
              : `on ${alive.get(volume.attachedServerId)?.name ?? volume.attachedServerId}`,
          ];
    progress.update(`volume:${planVolume.name}`, parts.filter((part) => part !== '').join('  '));
  };

  const announceInterrupt = () => {
    const what = dataVolume !== undefined || creatingVolume ? 'the VMs and the volume' : 'the VMs';
    output.info(
      output.stderrColors.yellow(
        `Interrupted: deleting ${what} the demo created (Ctrl-C again exits at once and leaves them)`,
      ),
    );
  };

  await step('validate credentials', 0, async () => {
    // Resolves true or rejects with the provider's refusal.
    await provider.validateToken(requestOptions);
  });
  if (failure === undefined && target.kind === 'account') await confirmPlan(run);
  // From here on the demo has VMs to delete when interrupted.
  signal?.addEventListener('abort', announceInterrupt, { once: true });

  await step('create', planned.length, async () => {
    await settleAll(
      planned.map(async (vm) => {
        const created = await provider.createVM(
          {
            name: vm.name,
            size: DEMO_SIZE,
            location: vm.location,
            userData: DEMO_USER_DATA,
            labels: { ...labels },
          },
          requestOptions,
        );
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

  const firstVM = (): VMInstance => {
    const vm = [...alive.values()][0];
    check(vm !== undefined, 'a demo VM exists');
    return vm;
  };
  const volumeLookup = () => {
    check(dataVolume !== undefined && volumeLocation !== undefined, 'the demo volume exists');
    return { volumeId: dataVolume.id, location: volumeLocation };
  };
  if (planVolume !== undefined) {
    await step('create volume', 0, async () => {
      volumeLocation = firstVM().location;
      creatingVolume = true;
      try {
        dataVolume = await provider.createVolume(
          {
            name: planVolume.name,
            sizeGb: planVolume.sizeGb,
            location: volumeLocation,
            labels: { ...planVolume.labels },
          },
          requestOptions,
        );
      } finally {
        creatingVolume = false;
      }
      showVolume(dataVolume);
      check(dataVolume.sizeGb === planVolume.sizeGb, `the volume has ${planVolume.sizeGb} GB`);
    });

    await step('attach volume', 1, async () => {
      const vm = firstVM();
      const attached = await provider.attachVolume({ ...volumeLookup(), serverId: vm.id }, requestOptions);
      dataVolume = attached;
      showVolume(attached);
      check(
        attached.status === 'attached' && attached.attachedServerId === vm.id,
        `the volume is attached to ${vm.name} (${attached.status}, on ${attached.attachedServerId ?? 'no VM'})`,
      );
    });
  }

  await step('list by label', planned.length, async () => {
    const listed = await provider.listVMs({ ...labels }, requestOptions);
    const ids = listed.map((vm) => vm.id).sort();
    check(
      ids.length === alive.size && ids.every((id) => alive.has(id)),
      `listing by label returns exactly the ${alive.size} demo VMs (got ${ids.length})`,
    );
  });

  await step('power off + wait', 1, async () => {
    const vm = firstVM();
    await provider.powerOff(vm.id, requestOptions);
    await waitFor(vm, 'off');
  });

  await step('power on + wait', 1, async () => {
    const vm = firstVM();
    await provider.powerOn(vm.id, requestOptions);
    const running = await waitFor(vm, 'running');
    check(running !== null && running.ip !== '', `${vm.name} is running again with a public IP`);
  });

  await step('delete + wait', planned.length, async () => {
    await settleAll(
      [...alive.values()].map(async (vm) => {
        await provider.deleteVM(vm.id, requestOptions);
        await waitFor(vm, 'deleted');
        alive.delete(vm.id);
      }),
    );
  });

  if (planVolume !== undefined) {
    await step('volume kept after VM delete', 0, async () => {
      // Deleting a VM detaches its data volumes and keeps them: the provider may take a moment to release it.
      const kept = await waitForVolume(provider, volumeLookup(), {
        until: (volume) =>
          volume === null || (volume.status === 'available' && volume.attachedServerId === undefined),
        what: 'available',
        ...target.wait,
        signal,
        onPoll: showVolume,
      });
      check(kept !== null, `the volume ${planVolume.name} still exists after its VM was deleted`);
      dataVolume = kept;
      check(
        sameLabels(kept.labels, planVolume.labels),
        `the volume keeps its labels (${Object.keys(kept.labels).length} of ${Object.keys(planVolume.labels).length})`,
      );
      check(kept.sizeGb === planVolume.sizeGb, `the volume keeps its ${planVolume.sizeGb} GB`);
    });

    await step('delete volume', 0, async () => {
      await provider.deleteVolume(volumeLookup(), requestOptions);
      dataVolume = undefined;
      showVolume(null);
    });
  }
  signal?.removeEventListener('abort', announceInterrupt);

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
    const remaining = await provider.listVMs({ ...labels }, requestOptions);
    const volumes =
      volumeLocation === undefined
        ? []
        : await provider.listVolumes({ location: volumeLocation, labels: { ...labels } }, requestOptions);
    leftovers = { servers: remaining.length, volumes: volumes.length, ips: 0 };
    check(
      remaining.length + volumes.length === 0,
      `no demo VM or volume is left (found ${plural(remaining.length, 'VM')}, ${plural(volumes.length, 'volume')})`,
    );
  });

  // A VM a failed create could not remove is the demo's too: delete it with the others, or name it as left.
  const toDelete = [...alive.values()].map(({ id, name }) => ({ id, name }));
  // The data volume, and any volume a failed volume create could not remove, go after the VMs (which release it).
  const volumesToDelete = dataVolume === undefined ? [] : [{ id: dataVolume.id, name: dataVolume.name }];
  const unidentified: string[] = [];
  for (const resource of run.orphans) {
    const id = leftoverVMId(resource);
    const volumeId = leftoverVolumeId(resource);
    if (id !== undefined) {
      if (!alive.has(id)) toDelete.push({ id, name: id });
    } else if (volumeId !== undefined && volumeLocation !== undefined) {
      if (volumeId !== dataVolume?.id) volumesToDelete.push({ id: volumeId, name: volumeId });
    } else unidentified.push(resource);
  }
  const notDeletedVMs = await cleanUp(output, target, toDelete);
  if (volumeLocation !== undefined && (failure !== undefined || signal?.aborted === true)) {
    // Whatever the demo's state says, the run's labels find every volume it made (no signal: the caller left).
    try {
      for (const listed of await provider.listVolumes({ location: volumeLocation, labels: { ...labels } })) {
        if (!volumesToDelete.some((volume) => volume.id === listed.id)) {
          volumesToDelete.push({ id: listed.id, name: listed.name });
        }
      }
    } catch (error) {
      output.warn(`could not list the demo's volumes: ${describeError(error, output.hints)}`);
    }
  }
  const notDeleted = [
    ...notDeletedVMs,
    ...(volumeLocation === undefined
      ? []
      : await cleanUpVolumes(output, target, volumeLocation, volumesToDelete)),
    ...unidentified,
  ];
  const interrupted = signal?.aborted === true;
  const totalMs = Math.round(performance.now() - started);
  const passed = failure === undefined && notDeleted.length === 0;
  const totalRequests = steps.reduce((sum, row) => sum + row.requests, 0);
  output.result(
    {
      provider: target.providerName,
      target: target.kind,
      passed,
      ...(interrupted ? { interrupted } : {}),
      steps,
      totalRequests,
      totalMs,
      leftovers: leftovers ?? null,
      ...(failure === undefined ? {} : { failedStep: failure.operation, error: errorJson(failure.error) }),
      ...(notDeleted.length === 0 ? {} : { notDeleted }),
    },
    () => {
      const colors = output.stdoutColors;
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
      const failed = failure === undefined ? 'cleanup' : failure.operation;
      const verdict = passed
        ? colors.green(
            `PASS: every step passed; leftovers: ${leftovers?.servers ?? 0} servers, ${leftovers?.volumes ?? 0} volumes, ${leftovers?.ips ?? 0} IPs`,
          )
        : colors.red(interrupted ? `INTERRUPTED: during ${failed}` : `FAIL: ${failed}`);
      return `${table}\n${verdict}`;
    },
  );
  if (interrupted) return EXIT_INTERRUPTED;
  return passed ? EXIT_OK : EXIT_FAILURE;
}

function sameLabels(
  actual: Readonly<Record<string, string>>,
  expected: Readonly<Record<string, string>>,
): boolean {
  const keys = Object.keys(expected);
  return Object.keys(actual).length === keys.length && keys.every((key) => actual[key] === expected[key]);
}

/**
 * After a failed or interrupted step, and once the VMs are deleted, detach and delete the demo's volume (and any a
 * failed create left), without the (possibly aborted) signal. Resolves the ids that could not be deleted, which are
 * also named on stderr.
 */
async function cleanUpVolumes(
  output: Output,
  target: Target,
  location: string,
  volumes: readonly { id: string; name: string }[],
): Promise<string[]> {
  if (volumes.length === 0) return [];
  const { provider } = target;
  output.info(`Cleaning up ${plural(volumes.length, 'demo volume')}…`);
  const failed: string[] = [];
  await Promise.all(
    volumes.map(async (volume) => {
      try {
        // Idempotent: a volume its deleted VM released, or one already gone, is no obstacle.
        await provider.detachVolume({ volumeId: volume.id, location });
        await provider.deleteVolume({ volumeId: volume.id, location });
      } catch (error) {
        failed.push(volume.id);
        const which = volume.name === volume.id ? volume.id : `${volume.name} (${volume.id})`;
        output.warn(`could not delete volume ${which}: ${describeError(error, output.hints)}`);
      }
    }),
  );
  const deleted = volumes.length - failed.length;
  if (deleted > 0) {
    output.info(`${output.stderrColors.green('✓')} cleaned up ${plural(deleted, 'demo volume')}`);
  }
  if (failed.length > 0 && target.kind === 'account') {
    output.warn(
      `${plural(failed.length, 'demo volume')} left behind, still billed: ${failed.join(' ')}; delete ${failed.length === 1 ? 'it' : 'them'} with ${failed.map((id) => `\`${commandLine(target.providerName, `volume delete ${id} --location ${location}`)}\``).join(', ')}`,
    );
  }
  return failed;
}

/**
 * After a failed or interrupted step, delete every demo VM still alive, without the (possibly aborted) signal.
 * Resolves the ids that could not be deleted, which are also named on stderr.
 */
async function cleanUp(
  output: Output,
  target: Target,
  vms: readonly Pick<VMInstance, 'id' | 'name'>[],
): Promise<string[]> {
  if (vms.length === 0) return [];
  output.info(`Cleaning up ${plural(vms.length, 'demo VM')}…`);
  const failed: string[] = [];
  await Promise.all(
    vms.map(async (vm) => {
      try {
        await target.provider.deleteVM(vm.id);
      } catch (error) {
        failed.push(vm.id);
        const which = vm.name === vm.id ? vm.id : `${vm.name} (${vm.id})`;
        output.warn(`could not delete ${which}: ${describeError(error, output.hints)}`);
      }
    }),
  );
  const deleted = vms.length - failed.length;
  if (deleted > 0) output.info(`${output.stderrColors.green('✓')} cleaned up ${plural(deleted, 'demo VM')}`);
  if (failed.length > 0 && target.kind === 'account') {
    output.warn(
      `${plural(failed.length, 'demo VM')} left behind, still billed: ${failed.join(' ')}; delete them with \`${commandLine(target.providerName, `delete ${failed.join(' ')}`)}\``,
    );
  }
  return failed;
}
