import { type CloudEmulator, createRandom, type FaultRule } from '@simple-agent-manager/cloud-emulator';
import type { VMSize } from '@simple-agent-manager/shared';
import {
  hasLeftoverSweep,
  isProviderError,
  type Provider,
  type ProviderErrorCategory,
  type ProviderRequestContext,
  type VolumeInstance,
  waitForVM,
} from '../../src/index.js';
import { inVirtualTime } from '../virtual-time.js';

/** A provider bound to its emulator, for a chaos run. */
export interface ChaosTarget {
  name: string;
  emulator: CloudEmulator;
  provider: Provider;
  /** Retries the provider reported through `onEvent`. */
  retries: () => number;
  /** The resources `cleanup_failed` events named so far (`server {id}`, `volume {id}`, `a server tagged …`). */
  cleanupReports: () => readonly string[];
  /** Where lifecycle `index` creates its VM (and, for a volume lifecycle, its volume). */
  location: (index: number) => string;
  size: VMSize;
  /** The provider's form of a 429 (Scaleway: empty body; Hetzner: a JSON error). */
  rateLimit: (rule: Partial<FaultRule>) => FaultRule;
  /** The client's per-request timeout: slow answers exceed it. */
  timeoutMs: number;
  /** The provider's volume routes (Block API, Volumes API, attach / detach actions): faults on them are counted apart. */
  volumeRoute: RegExp;
}

export interface ChaosOptions {
  lifecycles: number;
  /**
   * Volume lifecycles (VM create → volume create → wait running → attach → detach → resize → volume delete → VM
   * delete), interleaved with the VM lifecycles in the same pool. Run only when `provider.volumeCapabilities.supported`.
   */
  volumeLifecycles: number;
  concurrency: number;
  seed: number;
  /** Chance of each fault kind on every request. */
  faultProbability: number;
  /** Chance that a lifecycle's caller aborts during one of its steps. */
  abortProbability: number;
}

/** A VM lifecycle; every fourth one skips `power on` and deletes its VM while it is off. */
const VM_STEPS = ['create', 'wait running', 'list', 'power off', 'power on', 'delete'] as const;
/** A volume lifecycle: its own VM around the volume steps; the caller aborts only during a volume step. */
const VOLUME_LIFECYCLE_STEPS = [
  'vm create',
  'volume create',
  'vm wait running',
  'volume attach',
  'volume detach',
  'volume resize',
  'volume delete',
  'vm delete',
] as const;
export const VOLUME_STEPS: ReadonlySet<Step> = new Set([
  'volume create',
  'volume attach',
  'volume detach',
  'volume resize',
  'volume delete',
]);
type Step = (typeof VM_STEPS)[number] | (typeof VOLUME_LIFECYCLE_STEPS)[number];

/** What happened to one operation. */
export interface OperationRecord {
  /** A VM lifecycle, or a volume lifecycle (which has VM steps of its own). */
  kind: 'vm' | 'volume';
  lifecycle: number;
  step: Step;
  /**
   * `aborted`: rejected with the caller's own abort reason. `abort ignored`: the caller had aborted, yet the
   * operation rejected with something else. `state not reached`: the library's call succeeded but a late duplicate
   * of an earlier request (delivered after its retry) moved the VM back, so the wait ran out.
   */
  outcome: 'ok' | 'aborted' | 'abort ignored' | 'state not reached' | 'failed';
  /** Calls the caller made for this step (volume steps are retried by the caller on a retryable error). */
  attempts: number;
  error?: unknown;
}

/** What the run proves about data volumes (all empty / zero when the provider has no volumes). */
export interface VolumeChaosReport {
  /** `provider.volumeCapabilities.supported`: volume lifecycles ran only when true. */
  supported: boolean;
  lifecycles: number;
  /** Volume steps the caller called again after a retryable failure. */
  callerRetries: number;
  /** Faults that fired on the volume routes, per kind. */
  faults: Record<string, number>;
  /** Volume names seen on more than one volume at once, at any sample. */
  duplicates: string[];
  /** Data volumes present after the run that no caller was ever given an id for (names). */
  untracked: string[];
  /** Names whose volume create reached the API twice with success. */
  createdTwice: string[];
  /** Names of volume creates the API processed only after the library had stopped looking for them. */
  veryLate: string[];
  /** Data volumes present before the reconciler. */
  beforeReconcile: number;
  /** Volumes the reconciler found by the run's label, detached and deleted. */
  reconciled: number;
}

export interface ChaosReport {
  /** The run's chance of each fault kind on every request. */
  faultProbability: number;
  operations: OperationRecord[];
  faults: Record<string, number>;
  retries: number;
  failuresByCategory: Partial<Record<ProviderErrorCategory | 'not a ProviderError', number>>;
  /** Names seen on more than one server at once, at any sample. */
  duplicates: string[];
  /** Servers present after the run that no caller was ever given an id for (names). */
  untracked: string[];
  /** Names whose create reached the API twice with success (two servers from one create call, at some time). */
  createdTwice: string[];
  /** Names of creates whose POST the API processed only after the library had stopped looking for it. */
  veryLate: string[];
  beforeReconcile: { servers: number; volumes: number; ips: number };
  /**
   * Before the reconciler and the sweep, once every caller cleaned up what it held: boot volumes and IPs that no
   * server holds, servers and data volumes a caller was given (or told of by `cleanup_failed`) that are still there.
   * All must be zero: anything left at that point belongs to a create processed after the library stopped looking.
   */
  beforeSweep: {
    orphanedVolumes: string[];
    orphanedIps: string[];
    trackedServers: string[];
    trackedVolumes: string[];
  };
  /** `deleteVM` calls the lifecycles and their cleanups made beyond the first, after a failed one. */
  deleteRetries: number;
  /** Lifecycles whose cleanup (delete what the caller holds) still failed after its retries. */
  cleanupFailures: string[];
  /** Resources named by `cleanup_failed` events that the callers then deleted by id. */
  reportedAndDeleted: number;
  /** What `deleteLeftovers` found and deleted after the reconciler. */
  swept: number;
  reconciled: number;
  afterReconcile: { servers: number; volumes: number; ips: number };
  /** Server counts per name, sampled during the run. */
  samples: number;
  volumes: VolumeChaosReport;
}

const VERY_LATE = 'very late';

class ChaosAbort extends Error {
  override readonly name = 'ChaosAbort';
}

/** A volume call that resolved with something the contract rules out (never retried). */
class ContractViolation extends Error {
  override readonly name = 'ContractViolation';
}

const WAIT = { timeoutMs: 5_000, intervalMs: 5, maxIntervalMs: 40 } as const;
/** Calls a caller makes for one volume step before giving up, and its pause between them. */
const VOLUME_STEP_ATTEMPTS = 3;
const CALLER_BACKOFF_MS = 25;
/** A caller calls a failed `deleteVM` again this many times at most (a control plane's reconciler would go on). */
const DELETE_ATTEMPTS = 8;

/** The name of lifecycle `index`'s VM (`chaos-{seed}-{index}`) or data volume (`chaos-{seed}-vol-{index}`). */
export function lifecycleOfName(name: string): { kind: 'vm' | 'volume'; lifecycle: number } | undefined {
  const match = /^chaos-\d+-(vol-)?(\d+)(-vm)?$/.exec(name);
  if (match === null) return undefined;
  return { kind: match[1] === undefined ? 'vm' : 'volume', lifecycle: Number(match[2]) };
}

const isDataVolumeName = (name: string) => /^chaos-\d+-vol-\d+$/.test(name);

function count(emulator: CloudEmulator) {
  const { servers, volumes, ips } = emulator.leftovers();
  return { servers: servers.length, volumes: volumes.length, ips: ips.length };
}

/** Wait `ms`, or reject with the signal's reason as soon as it fires (a caller's own pause between tries). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Spread `volumes` jobs evenly among `vms` jobs, in a fixed order. */
function interleave(vms: number, volumes: number): { kind: 'vm' | 'volume'; index: number }[] {
  const total = vms + volumes;
  const jobs: { kind: 'vm' | 'volume'; index: number }[] = [];
  let vm = 0;
  let volume = 0;
  for (let slot = 0; slot < total; slot++) {
    const isVolume = Math.floor(((slot + 1) * volumes) / total) > Math.floor((slot * volumes) / total);
    jobs.push(isVolume ? { kind: 'volume', index: volume++ } : { kind: 'vm', index: vm++ });
  }
  return jobs;
}

/**
 * Run `lifecycles` VM lifecycles (create → wait running → list → power off → power on → delete) and, when the
 * provider has volumes, `volumeLifecycles` volume lifecycles among them, `concurrency` at a time, against an
 * emulator that injects seeded faults on every request (VM and volume routes alike), with seeded caller aborts; then
 * turn faults off, reconcile with the library's own list + detach + delete, and report.
 */
export async function runChaos(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  const { emulator, provider } = target;
  const runId = `chaos-${options.seed}`;
  const p = options.faultProbability;
  const handles = {
    // Deletes and terminates carried out whose answers are lost, again and again.
    'delete answers lost, repeated': emulator.injectFault({
      method: 'DELETE',
      probability: p,
      drop: true,
      phase: 'after',
      repeat: { min: 1, max: 4 },
      label: 'delete lost repeated',
    }),
    'action answers lost, repeated': emulator.injectFault({
      method: 'POST',
      path: /\/actions?(\/[a-z_]+)?$/,
      probability: p,
      drop: true,
      phase: 'after',
      repeat: { min: 1, max: 4 },
      label: 'action lost repeated',
    }),
    'rate limited (429)': emulator.injectFault(target.rateLimit({ probability: p, label: '429' })),
    'server error (500)': emulator.injectFault({ probability: p / 2, status: 500, label: '500' }),
    'unavailable (503)': emulator.injectFault({ probability: p / 2, status: 503, label: '503' }),
    'dropped before processing': emulator.injectFault({
      probability: p / 2,
      drop: true,
      label: 'drop before',
    }),
    'dropped after processing': emulator.injectFault({
      probability: p / 2,
      drop: true,
      phase: 'after',
      label: 'drop after',
    }),
    // Slow on the way in: the provider acts only after the client gave up (a create commits late), within the
    // window in which the library keeps looking for a lost create (one timeout).
    'slow before processing': emulator.injectFault({
      probability: p / 2,
      delayMs: target.timeoutMs + Math.round(target.timeoutMs / 3),
      label: 'slow before',
    }),
    // Very late: the provider acts long after the library stopped looking. No client can see such a create at the
    // time; the VM carries its labels, so the reconciler finds it. Counted apart.
    'very late processing': emulator.injectFault({
      probability: p / 10,
      delayMs: target.timeoutMs * 4,
      label: VERY_LATE,
    }),
    // Slow on the way out: the provider acted, the answer arrives after the client gave up.
    'slow after processing': emulator.injectFault({
      probability: p / 2,
      delayMs: target.timeoutMs + 60,
      phase: 'after',
      label: 'slow after',
    }),
    // Faults that come back: the same endpoint fails again on its next 1–4 requests, beyond the client's retries.
    'unavailable, repeated (503 ×2–5)': emulator.injectFault({
      probability: p / 4,
      status: 503,
      repeat: { min: 1, max: 4 },
      label: '503 repeated',
    }),
  };
  const capabilities = provider.volumeCapabilities;
  const volumeLifecycles = capabilities.supported ? options.volumeLifecycles : 0;
  const operations: OperationRecord[] = [];
  const trackedIds = new Set<string>();
  const trackedVolumeIds = new Set<string>();
  const duplicates = new Set<string>();
  const volumeDuplicates = new Set<string>();
  let callerRetries = 0;
  let samples = 0;
  const sample = () => {
    samples++;
    const { servers, volumes } = emulator.leftovers();
    const perName = new Map<string, number>();
    for (const server of servers) {
      const name = String(server.detail?.name ?? server.id);
      perName.set(name, (perName.get(name) ?? 0) + 1);
    }
    for (const [name, found] of perName) if (found > 1) duplicates.add(name);
    const perVolumeName = new Map<string, number>();
    for (const volume of volumes) {
      const name = String(volume.detail?.name ?? volume.id);
      if (isDataVolumeName(name)) perVolumeName.set(name, (perVolumeName.get(name) ?? 0) + 1);
    }
    for (const [name, found] of perVolumeName) if (found > 1) volumeDuplicates.add(name);
  };
  const sampler = setInterval(sample, 15);
  const emulatorId = (id: string) => id.split('/').pop() ?? id;

  /** The caller's abort of one step: a timer firing `afterMs` into it, or nothing. */
  const abortTimer = (controller: AbortController, message: string, afterMs: number | undefined) =>
    afterMs === undefined ? undefined : setTimeout(() => controller.abort(new ChaosAbort(message)), afterMs);

  const outcomeOf = (controller: AbortController, error: unknown): OperationRecord['outcome'] => {
    if (controller.signal.aborted) return error === controller.signal.reason ? 'aborted' : 'abort ignored';
    if (isProviderError(error, 'timeout') && error.message.includes('did not reach'))
      return 'state not reached';
    return 'failed';
  };

  let deleteRetries = 0;
  const cleanupFailures: string[] = [];
  /**
   * What a caller does with a VM it holds: `deleteVM` until it resolves (again after a retryable failure, with a
   * pause), then wait until it is gone. Resolves with the calls made.
   */
  const deleteLikeACaller = async (id: string, signal?: AbortSignal): Promise<number> =>
    untilDone(
      async () => {
        await provider.deleteVM(id, { signal });
        await waitForVM(provider, id, { until: 'deleted', ...WAIT, signal });
      },
      signal,
      () => deleteRetries++,
    );
  /** A volume a caller holds: detach it from whatever holds it and delete it, retrying the same way. */
  const deleteVolumeLikeACaller = (volumeId: string, location: string) =>
    untilDone(async () => {
      await provider.detachVolume({ volumeId, location });
      await provider.deleteVolume({ volumeId, location });
    });
  /** `work` again after a retryable failure, with a growing pause, at most DELETE_ATTEMPTS times; the calls made. */
  const untilDone = async (
    work: () => Promise<void>,
    signal?: AbortSignal,
    onRetry?: () => void,
  ): Promise<number> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await work();
        return attempt;
      } catch (error) {
        const retryable = isProviderError(error) && error.retryable && signal?.aborted !== true;
        if (!retryable || attempt >= DELETE_ATTEMPTS) throw error;
        onRetry?.();
        await pause(CALLER_BACKOFF_MS * attempt, signal ?? new AbortController().signal);
      }
    }
  };
  /** After a failed or aborted lifecycle: the caller deletes what it holds; a failure of that is recorded. */
  const cleanUp = async (what: string, work: () => Promise<unknown>) => {
    try {
      await work();
    } catch (error) {
      cleanupFailures.push(`${what}: ${String(error)}`);
    }
  };

  const vmLifecycle = async (index: number) => {
    const random = createRandom(options.seed * 1_000 + index);
    const abort =
      random() < options.abortProbability
        ? {
            step: Math.floor(random() * VM_STEPS.length),
            afterMs: Math.floor(random() * (random() < 0.5 ? 6 : 60)),
          }
        : undefined;
    const labels = { suite: 'chaos', run: runId, lifecycle: String(index) };
    let id = '';
    let deleted = false;
    for (const [stepIndex, step] of VM_STEPS.entries()) {
      // Every fourth lifecycle deletes its VM while it is off: a DELETE that leaves the boot volume (§6.1).
      if (step === 'power on' && index % 4 === 3) continue;
      let attempts = 1;
      const controller = new AbortController();
      const timer = abortTimer(
        controller,
        `lifecycle ${index} aborted during ${step}`,
        abort?.step === stepIndex ? abort.afterMs : undefined,
      );
      const call: ProviderRequestContext = { signal: controller.signal };
      try {
        switch (step) {
          case 'create': {
            const vm = await provider.createVM(
              {
                name: `chaos-${options.seed}-${index}`,
                size: target.size,
                location: target.location(index),
                userData: `#cloud-config\n# lifecycle ${index}\n`,
                labels,
              },
              call,
            );
            id = vm.id;
            trackedIds.add(emulatorId(id));
            break;
          }
          case 'wait running':
            await waitForVM(provider, id, { until: 'running', ...WAIT, ...call });
            break;
          case 'list': {
            const listed = await provider.listVMs({ run: runId, lifecycle: String(index) }, call);
            // Exactly once; a twin from a very late create may stand beside it (checked after the run).
            if (listed.filter((vm) => vm.id === id).length !== 1) {
              throw new Error(
                `list returned ${listed.length} VMs for lifecycle ${index}, without its own once`,
              );
            }
            break;
          }
          case 'power off':
            await provider.powerOff(id, call);
            await waitForVM(provider, id, { until: 'off', ...WAIT, ...call });
            break;
          case 'power on':
            await provider.powerOn(id, call);
            await waitForVM(provider, id, { until: 'running', ...WAIT, ...call });
            break;
          case 'delete':
            attempts = await deleteLikeACaller(id, controller.signal);
            deleted = true;
            break;
        }
        operations.push({ kind: 'vm', lifecycle: index, step, outcome: 'ok', attempts });
      } catch (error) {
        operations.push({
          kind: 'vm',
          lifecycle: index,
          step,
          outcome: outcomeOf(controller, error),
          attempts,
          error,
        });
        break;
      } finally {
        clearTimeout(timer);
      }
    }
    // A lifecycle that stopped early: its caller deletes the VM it holds.
    if (id !== '' && !deleted) await cleanUp(`vm lifecycle ${index}`, () => deleteLikeACaller(id));
  };

  const volumeLifecycle = async (index: number) => {
    const random = createRandom((options.seed * 1_000 + index) ^ 0x2545f491);
    const volumeSteps = VOLUME_LIFECYCLE_STEPS.filter((step) => VOLUME_STEPS.has(step));
    const abort =
      random() < options.abortProbability
        ? {
            step: volumeSteps[Math.floor(random() * volumeSteps.length)],
            afterMs: Math.floor(random() * (random() < 0.5 ? 6 : 60)),
          }
        : undefined;
    const location = target.location(index);
    const labels = { suite: 'chaos', run: runId, lifecycle: `vol-${index}` };
    const createSizeGb = (capabilities.minSizeGb ?? 1) + Math.floor(random() * 5);
    const resizeToGb = createSizeGb + 1 + Math.floor(random() * 5);
    let vmId = '';
    let vmDeleted = false;
    let volumeDeleted = false;
    let volume: VolumeInstance | undefined;
    const volumeId = () => (volume as VolumeInstance).id;

    /** One call of a step; a resolved call that breaks the contract throws a ContractViolation. */
    const attempt = async (step: Step, call: ProviderRequestContext, retry: boolean): Promise<void> => {
      switch (step) {
        case 'vm create': {
          const vm = await provider.createVM(
            {
              name: `chaos-${options.seed}-vol-${index}-vm`,
              size: target.size,
              location,
              userData: `#cloud-config\n# volume lifecycle ${index}\n`,
              labels,
            },
            call,
          );
          vmId = vm.id;
          trackedIds.add(emulatorId(vmId));
          return;
        }
        case 'vm wait running':
          await waitForVM(provider, vmId, { until: 'running', ...WAIT, ...call });
          return;
        case 'volume create': {
          const created = await provider.createVolume(
            { name: `chaos-${options.seed}-vol-${index}`, sizeGb: createSizeGb, location, labels },
            call,
          );
          trackedVolumeIds.add(emulatorId(created.id));
          if (created.sizeGb !== createSizeGb || created.location !== location) {
            throw new ContractViolation(
              `createVolume returned ${created.sizeGb} GB in ${created.location}, asked ${createSizeGb} GB in ${location}`,
            );
          }
          volume = created;
          return;
        }
        case 'volume attach': {
          const attached = await provider.attachVolume(
            { volumeId: volumeId(), serverId: vmId, location },
            call,
          );
          if (attached.attachedServerId !== vmId || attached.status !== 'attached') {
            throw new ContractViolation(
              `attachVolume resolved ${attached.status} on ${String(attached.attachedServerId)}, not attached to ${vmId}`,
            );
          }
          return;
        }
        case 'volume detach': {
          const detached = await provider.detachVolume(
            { volumeId: volumeId(), serverId: vmId, location },
            call,
          );
          if (detached === null || detached.attachedServerId !== undefined) {
            throw new ContractViolation(
              `detachVolume resolved ${detached === null ? 'null' : `attached to ${detached.attachedServerId}`}`,
            );
          }
          return;
        }
        case 'volume resize': {
          // A caller retrying after an ambiguous failure reads first: the grow may have landed.
          if (retry) {
            const current = await provider.getVolume({ volumeId: volumeId(), location }, call);
            if (current === null)
              throw new ContractViolation(`volume ${volumeId()} vanished before its resize`);
            if (current.sizeGb >= resizeToGb) return;
          }
          const resized = await provider.resizeVolume(
            { volumeId: volumeId(), location, sizeGb: resizeToGb, currentSizeGb: createSizeGb },
            call,
          );
          if (resized.sizeGb !== resizeToGb) {
            throw new ContractViolation(`resizeVolume resolved ${resized.sizeGb} GB, asked ${resizeToGb} GB`);
          }
          return;
        }
        case 'volume delete':
          await provider.deleteVolume({ volumeId: volumeId(), location }, call);
          volumeDeleted = true;
          return;
        case 'vm delete':
          await deleteLikeACaller(vmId, call.signal);
          vmDeleted = true;
          return;
        default:
          throw new Error(`not a volume lifecycle step: ${step}`);
      }
    };

    for (const step of VOLUME_LIFECYCLE_STEPS) {
      const controller = new AbortController();
      const timer = abortTimer(
        controller,
        `volume lifecycle ${index} aborted during ${step}`,
        abort?.step === step ? abort.afterMs : undefined,
      );
      const call: ProviderRequestContext = { signal: controller.signal };
      // The caller retries a volume step on a retryable failure, a bounded number of times; VM steps as above.
      const maxAttempts = VOLUME_STEPS.has(step) ? VOLUME_STEP_ATTEMPTS : 1;
      let attempts = 0;
      try {
        for (;;) {
          attempts++;
          try {
            await attempt(step, call, attempts > 1);
            break;
          } catch (error) {
            const retryable = isProviderError(error) && error.retryable && !controller.signal.aborted;
            if (!retryable || attempts >= maxAttempts) throw error;
            callerRetries++;
            await pause(CALLER_BACKOFF_MS * attempts, controller.signal);
          }
        }
        operations.push({ kind: 'volume', lifecycle: index, step, outcome: 'ok', attempts });
      } catch (error) {
        operations.push({
          kind: 'volume',
          lifecycle: index,
          step,
          outcome: outcomeOf(controller, error),
          attempts,
          error,
        });
        break;
      } finally {
        clearTimeout(timer);
      }
    }
    // A lifecycle that stopped early: its caller deletes the VM, then the volume, that it holds.
    if (vmId !== '' && !vmDeleted)
      await cleanUp(`volume lifecycle ${index} (vm)`, () => deleteLikeACaller(vmId));
    if (volume !== undefined && !volumeDeleted) {
      const held = volume.id;
      await cleanUp(`volume lifecycle ${index} (volume)`, () => deleteVolumeLikeACaller(held, location));
    }
  };

  const jobs = interleave(options.lifecycles, volumeLifecycles);
  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++] as (typeof jobs)[number];
        await (job.kind === 'vm' ? vmLifecycle(job.index) : volumeLifecycle(job.index));
      }
    }),
  );
  clearInterval(sampler);
  // What the library named in cleanup_failed events (a create that could not remove what it made), the callers
  // delete by id, as they would from the error's cleanupErrors.
  let reportedAndDeleted = 0;
  const reported = [...new Set(target.cleanupReports())];
  for (const resource of reported) {
    const server = /^server (\S+)$/.exec(resource)?.[1];
    const volumeMatch = /^volume (\S+)$/.exec(resource)?.[1];
    if (server !== undefined) {
      trackedIds.add(emulatorId(server));
      await cleanUp(`reported ${resource}`, () => deleteLikeACaller(server));
      reportedAndDeleted++;
    } else if (volumeMatch !== undefined && capabilities.supported) {
      trackedVolumeIds.add(emulatorId(volumeMatch));
      const location = volumeMatch.includes('/') ? (volumeMatch.split('/')[0] as string) : target.location(0);
      const found = await provider.getVolume({ volumeId: volumeMatch, location }).catch(() => null);
      if (found !== null) {
        await cleanUp(`reported ${resource}`, () => deleteVolumeLikeACaller(volumeMatch, found.location));
        reportedAndDeleted++;
      }
    }
  }
  // Requests still held by a delay fault may yet create something: let them land before counting.
  await new Promise((resolve) => setTimeout(resolve, target.timeoutMs * 5));
  sample();

  const faults = Object.fromEntries(Object.entries(handles).map(([kind, handle]) => [kind, handle.hits]));
  const kindOfLabel = new Map(Object.entries(handles).map(([kind, handle]) => [handle.rule.label, kind]));
  const volumeFaults = Object.fromEntries(Object.keys(handles).map((kind) => [kind, 0]));
  for (const request of emulator.requests) {
    if (request.fault === undefined || !target.volumeRoute.test(request.path)) continue;
    const kind = kindOfLabel.get(request.fault) ?? request.fault;
    volumeFaults[kind] = (volumeFaults[kind] ?? 0) + 1;
  }
  emulator.clearFaults();
  const retries = target.retries();
  emulator.clock.settle();
  const beforeReconcile = count(emulator);
  const leftovers = emulator.leftovers();
  const liveServers = new Set(leftovers.servers.map((item) => item.id));
  const held = (item: { server?: string | null | undefined }) =>
    item.server !== undefined && item.server !== null && liveServers.has(item.server);
  const beforeSweep = {
    orphanedVolumes: leftovers.volumes
      .filter((item) => !held(item) && !isDataVolumeName(String(item.detail?.name ?? '')))
      .map((item) => `${item.id} (${String(item.detail?.name ?? '')})`),
    orphanedIps: leftovers.ips.filter((item) => !held(item)).map((item) => item.id),
    trackedServers: leftovers.servers
      .filter((item) => trackedIds.has(item.id))
      .map((item) => String(item.detail?.name ?? item.id)),
    trackedVolumes: leftovers.volumes
      .filter((item) => trackedVolumeIds.has(item.id))
      .map((item) => String(item.detail?.name ?? item.id)),
  };
  const untracked = leftovers.servers
    .filter((server) => !trackedIds.has(server.id))
    .map((server) => String(server.detail?.name ?? server.id));
  const dataVolumes = leftovers.volumes.filter((item) => isDataVolumeName(String(item.detail?.name ?? '')));
  const untrackedVolumes = dataVolumes
    .filter((item) => !trackedVolumeIds.has(item.id))
    .map((item) => String(item.detail?.name));
  const createsByName = new Map<string, number>();
  const veryLate = new Set<string>();
  const volumeCreatesByName = new Map<string, number>();
  const veryLateVolumes = new Set<string>();
  for (const request of emulator.requests) {
    if (request.method !== 'POST') continue;
    const isServerCreate = /\/servers$/.test(request.path);
    const isVolumeCreate = /\/volumes$/.test(request.path);
    if (!isServerCreate && !isVolumeCreate) continue;
    const body = JSON.parse(request.body ?? '{}') as { name?: unknown; tags?: unknown };
    const name = String(body.name);
    // One create call: its creation mark where the provider sends one (Scaleway), else the name (unique on Hetzner).
    // A caller that calls createVolume again after a rejection makes a new create, not a duplicate of the first.
    const mark = Array.isArray(body.tags)
      ? body.tags.find((tag): tag is string => typeof tag === 'string' && tag.startsWith('sam-creation:'))
      : undefined;
    const call = mark === undefined ? name : `${name} ${mark}`;
    const success = request.apiStatus !== undefined && request.apiStatus >= 200 && request.apiStatus < 300;
    if (isServerCreate) {
      if (request.fault === VERY_LATE) veryLate.add(name);
      if (request.apiStatus === 201) createsByName.set(call, (createsByName.get(call) ?? 0) + 1);
    } else if (isDataVolumeName(name)) {
      if (request.fault === VERY_LATE) veryLateVolumes.add(name);
      if (success) volumeCreatesByName.set(call, (volumeCreatesByName.get(call) ?? 0) + 1);
    }
  }
  const twice = (creates: Map<string, number>) => [
    ...new Set([...creates].filter(([, made]) => made > 1).map(([call]) => call.split(' ')[0] as string)),
  ];

  // The reconciler: what a control plane runs after an outage, with the library's own calls. Volumes first, by the
  // run's label in every location the run used: detach from whatever VM still holds them, then delete.
  let reconciledVolumes = 0;
  if (capabilities.supported) {
    const locations = [
      ...new Set(Array.from({ length: Math.max(volumeLifecycles, 1) }, (_, index) => target.location(index))),
    ];
    for (const location of locations) {
      for (const owned of await provider.listVolumes({ location, labels: { run: runId } })) {
        await provider.detachVolume({ volumeId: owned.id, location });
        await provider.deleteVolume({ volumeId: owned.id, location });
        reconciledVolumes++;
      }
    }
  }
  const leftoverVMs = await provider.listVMs({ run: runId });
  for (const vm of leftoverVMs) await deleteLikeACaller(vm.id);
  emulator.clock.settle();
  // Then the sweep: whatever the library marked as a VM's own and is left (nothing, when deletes converge).
  const swept = hasLeftoverSweep(provider) ? (await provider.deleteLeftovers({ run: runId })).length : 0;
  emulator.clock.settle();

  const failuresByCategory: ChaosReport['failuresByCategory'] = {};
  for (const operation of operations) {
    if (operation.outcome !== 'failed') continue;
    const key = isProviderError(operation.error) ? operation.error.category : 'not a ProviderError';
    failuresByCategory[key] = (failuresByCategory[key] ?? 0) + 1;
  }
  return {
    faultProbability: p,
    operations,
    faults,
    retries,
    failuresByCategory,
    duplicates: [...duplicates],
    untracked,
    createdTwice: twice(createsByName),
    veryLate: [...veryLate],
    beforeReconcile,
    beforeSweep,
    deleteRetries,
    cleanupFailures,
    reportedAndDeleted,
    swept,
    reconciled: leftoverVMs.length,
    afterReconcile: count(emulator),
    samples,
    volumes: {
      supported: capabilities.supported,
      lifecycles: volumeLifecycles,
      callerRetries,
      faults: volumeFaults,
      duplicates: [...volumeDuplicates],
      untracked: untrackedVolumes,
      createdTwice: twice(volumeCreatesByName),
      veryLate: [...veryLateVolumes],
      beforeReconcile: dataVolumes.length,
      reconciled: reconciledVolumes,
    },
  };
}

function outcomesOf(operations: readonly OperationRecord[]): string {
  const outcomes: Record<OperationRecord['outcome'], number> = {
    ok: 0,
    aborted: 0,
    'abort ignored': 0,
    'state not reached': 0,
    failed: 0,
  };
  for (const operation of operations) outcomes[operation.outcome]++;
  return `${operations.length} (${Object.entries(outcomes)
    .map(([outcome, made]) => `${outcome} ${made}`)
    .join(', ')})`;
}

/** The report as lines for the test output. */
export function formatChaosReport(name: string, report: ChaosReport): string {
  const vmOperations = report.operations.filter((operation) => !VOLUME_STEPS.has(operation.step));
  const volumeOperations = report.operations.filter((operation) => VOLUME_STEPS.has(operation.step));
  const { volumes } = report;
  const lines = [
    `chaos: ${name}`,
    `  operations: ${outcomesOf(report.operations)}`,
    `    on VMs: ${outcomesOf(vmOperations)}`,
    `    on volumes: ${outcomesOf(volumeOperations)}`,
    `  injected faults: ${Object.entries(report.faults)
      .map(([kind, hits]) => `${kind} ${hits}`)
      .join(', ')}`,
    `  retries: ${report.retries}`,
    `  failures by category: ${JSON.stringify(report.failuresByCategory)}`,
    `  duplicates seen: ${report.duplicates.length} (${report.samples} samples); creates that made two servers: ${report.createdTwice.length}; untracked servers: ${report.untracked.length}`,
    `  creates processed after the library stopped looking (left to the reconciler): ${report.veryLate.length}`,
  ];
  if (volumes.supported) {
    const perStep = [...VOLUME_STEPS]
      .map((step) => {
        const ofStep = volumeOperations.filter((operation) => operation.step === step);
        return `${step.replace('volume ', '')} ${ofStep.filter((operation) => operation.outcome === 'ok').length}/${ofStep.length}`;
      })
      .join(', ');
    lines.push(
      `  volume lifecycles: ${volumes.lifecycles}; volume steps ok per step: ${perStep}; caller retries: ${volumes.callerRetries}`,
      `  faults on volume routes: ${Object.entries(volumes.faults)
        .map(([kind, hits]) => `${kind} ${hits}`)
        .join(', ')}`,
      `  volume duplicates seen: ${volumes.duplicates.length}; volume creates that made two volumes: ${volumes.createdTwice.length}; untracked volumes: ${volumes.untracked.length}; volume creates processed after the library stopped looking: ${volumes.veryLate.length}`,
      `  data volumes before reconcile: ${volumes.beforeReconcile}; reconciled volumes: ${volumes.reconciled}`,
    );
  } else {
    lines.push('  volume lifecycles: skipped (volumeCapabilities.supported is false)');
  }
  const { beforeSweep } = report;
  lines.push(
    `  deleteVM called again after a failure: ${report.deleteRetries}; resources named by cleanup_failed and deleted by id: ${report.reportedAndDeleted}; cleanups that failed: ${report.cleanupFailures.length}`,
    `  before reconcile and sweep: ${JSON.stringify(report.beforeReconcile)}; of which orphaned volumes ${beforeSweep.orphanedVolumes.length}, orphaned IPs ${beforeSweep.orphanedIps.length}, servers a caller holds ${beforeSweep.trackedServers.length}, data volumes a caller holds ${beforeSweep.trackedVolumes.length}`,
    `  reconciled VMs: ${report.reconciled}; swept leftovers: ${report.swept}`,
    `  leftovers after reconcile and sweep: ${JSON.stringify(report.afterReconcile)}`,
  );
  return lines.join('\n');
}

/** A chaos run in virtual time (see `inVirtualTime`): the same seed gives the same run, fault for fault. */
export function runChaosInVirtualTime(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  return inVirtualTime(() => runChaos(target, options));
}
