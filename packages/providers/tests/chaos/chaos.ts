import { type CloudEmulator, createRandom, type FaultRule } from '@simple-agent-manager/cloud-emulator';
import type { VMSize } from '@simple-agent-manager/shared';
import {
  isProviderError,
  type Provider,
  type ProviderErrorCategory,
  type ProviderRequestContext,
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
  /** Where lifecycle `index` creates its VM. */
  location: (index: number) => string;
  size: VMSize;
  /** The provider's form of a 429 (Scaleway: empty body; Hetzner: a JSON error). */
  rateLimit: (rule: Partial<FaultRule>) => FaultRule;
  /** The client's per-request timeout: slow answers exceed it. */
  timeoutMs: number;
}

export interface ChaosOptions {
  lifecycles: number;
  concurrency: number;
  seed: number;
  /** Chance of each fault kind on every request. */
  faultProbability: number;
  /** Chance that a lifecycle's caller aborts during one of its steps. */
  abortProbability: number;
}

const STEPS = ['create', 'wait running', 'list', 'power off', 'power on', 'delete'] as const;
type Step = (typeof STEPS)[number];

/** What happened to one operation. */
export interface OperationRecord {
  lifecycle: number;
  step: Step;
  /**
   * `aborted`: rejected with the caller's own abort reason. `abort ignored`: the caller had aborted, yet the
   * operation rejected with something else. `state not reached`: the library's call succeeded but a late duplicate
   * of an earlier request (delivered after its retry) moved the VM back, so the wait ran out.
   */
  outcome: 'ok' | 'aborted' | 'abort ignored' | 'state not reached' | 'failed';
  error?: unknown;
}

export interface ChaosReport {
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
  reconciled: number;
  afterReconcile: { servers: number; volumes: number; ips: number };
  /** Server counts per name, sampled during the run. */
  samples: number;
}

const VERY_LATE = 'very late';

class ChaosAbort extends Error {
  override readonly name = 'ChaosAbort';
}

const WAIT = { timeoutMs: 5_000, intervalMs: 5, maxIntervalMs: 40 } as const;

function count(emulator: CloudEmulator) {
  const { servers, volumes, ips } = emulator.leftovers();
  return { servers: servers.length, volumes: volumes.length, ips: ips.length };
}

/**
 * Run `lifecycles` VM lifecycles (create → wait running → list → power off → power on → delete), `concurrency` at a
 * time, against an emulator that injects seeded faults on every request, with seeded caller aborts; then turn faults
 * off, reconcile with the library's own list + delete, and report.
 */
export async function runChaos(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  const { emulator, provider } = target;
  const runId = `chaos-${options.seed}`;
  const p = options.faultProbability;
  const handles = {
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
  };
  const operations: OperationRecord[] = [];
  const trackedIds = new Set<string>();
  const duplicates = new Set<string>();
  let samples = 0;
  const sample = () => {
    samples++;
    const perName = new Map<string, number>();
    for (const server of emulator.leftovers().servers) {
      const name = String(server.detail?.name ?? server.id);
      perName.set(name, (perName.get(name) ?? 0) + 1);
    }
    for (const [name, servers] of perName) if (servers > 1) duplicates.add(name);
  };
  const sampler = setInterval(sample, 15);

  const lifecycle = async (index: number) => {
    const random = createRandom(options.seed * 1_000 + index);
    const abort =
      random() < options.abortProbability
        ? {
            step: Math.floor(random() * STEPS.length),
            afterMs: Math.floor(random() * (random() < 0.5 ? 6 : 60)),
          }
        : undefined;
    const labels = { suite: 'chaos', run: runId, lifecycle: String(index) };
    let id = '';
    for (const [stepIndex, step] of STEPS.entries()) {
      const controller = new AbortController();
      const timer =
        abort?.step === stepIndex
          ? setTimeout(
              () => controller.abort(new ChaosAbort(`lifecycle ${index} aborted during ${step}`)),
              abort.afterMs,
            )
          : undefined;
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
            trackedIds.add(id.split('/').pop() ?? id);
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
            await provider.deleteVM(id, call);
            await waitForVM(provider, id, { until: 'deleted', ...WAIT, ...call });
            break;
        }
        operations.push({ lifecycle: index, step, outcome: 'ok' });
      } catch (error) {
        let outcome: OperationRecord['outcome'] = 'failed';
        if (controller.signal.aborted)
          outcome = error === controller.signal.reason ? 'aborted' : 'abort ignored';
        else if (isProviderError(error, 'timeout') && error.message.includes('did not reach'))
          outcome = 'state not reached';
        operations.push({ lifecycle: index, step, outcome, error });
        return;
      } finally {
        clearTimeout(timer);
      }
    }
  };

  let next = 0;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < options.lifecycles) await lifecycle(next++);
    }),
  );
  clearInterval(sampler);
  // Requests still held by a delay fault may yet create something: let them land before counting.
  await new Promise((resolve) => setTimeout(resolve, target.timeoutMs * 5));
  sample();

  const faults = Object.fromEntries(Object.entries(handles).map(([kind, handle]) => [kind, handle.hits]));
  emulator.clearFaults();
  const retries = target.retries();
  emulator.clock.settle();
  const beforeReconcile = count(emulator);
  const untracked = emulator
    .leftovers()
    .servers.filter((server) => !trackedIds.has(server.id))
    .map((server) => String(server.detail?.name ?? server.id));
  const createsByName = new Map<string, number>();
  const veryLate = new Set<string>();
  for (const request of emulator.requests) {
    if (request.method !== 'POST' || !/\/servers$/.test(request.path)) continue;
    const name = String((JSON.parse(request.body ?? '{}') as { name?: unknown }).name);
    if (request.fault === VERY_LATE) veryLate.add(name);
    if (request.apiStatus === 201) createsByName.set(name, (createsByName.get(name) ?? 0) + 1);
  }
  const createdTwice = [...createsByName].filter(([, count]) => count > 1).map(([name]) => name);

  // The reconciler: what a control plane runs after an outage, with the library's own calls.
  const leftoverVMs = await provider.listVMs({ run: runId });
  for (const vm of leftoverVMs) {
    await provider.deleteVM(vm.id);
    await waitForVM(provider, vm.id, { until: 'deleted', ...WAIT });
  }
  emulator.clock.settle();

  const failuresByCategory: ChaosReport['failuresByCategory'] = {};
  for (const operation of operations) {
    if (operation.outcome !== 'failed') continue;
    const key = isProviderError(operation.error) ? operation.error.category : 'not a ProviderError';
    failuresByCategory[key] = (failuresByCategory[key] ?? 0) + 1;
  }
  return {
    operations,
    faults,
    retries,
    failuresByCategory,
    duplicates: [...duplicates],
    untracked,
    createdTwice,
    veryLate: [...veryLate],
    beforeReconcile,
    reconciled: leftoverVMs.length,
    afterReconcile: count(emulator),
    samples,
  };
}

/** The report as lines for the test output. */
export function formatChaosReport(name: string, report: ChaosReport): string {
  const outcomes: Record<OperationRecord['outcome'], number> = {
    ok: 0,
    aborted: 0,
    'abort ignored': 0,
    'state not reached': 0,
    failed: 0,
  };
  for (const operation of report.operations) outcomes[operation.outcome]++;
  const lines = [
    `chaos: ${name}`,
    `  operations: ${report.operations.length} (${Object.entries(outcomes)
      .map(([outcome, count]) => `${outcome} ${count}`)
      .join(', ')})`,
    `  injected faults: ${Object.entries(report.faults)
      .map(([kind, hits]) => `${kind} ${hits}`)
      .join(', ')}`,
    `  retries: ${report.retries}`,
    `  failures by category: ${JSON.stringify(report.failuresByCategory)}`,
    `  duplicates seen: ${report.duplicates.length} (${report.samples} samples); creates that made two servers: ${report.createdTwice.length}; untracked servers: ${report.untracked.length}`,
    `  creates processed after the library stopped looking (left to the reconciler): ${report.veryLate.length}`,
    `  before reconcile: ${JSON.stringify(report.beforeReconcile)}; reconciled VMs: ${report.reconciled}`,
    `  leftovers after reconcile: ${JSON.stringify(report.afterReconcile)}`,
  ];
  return lines.join('\n');
}

/** A chaos run in virtual time (see `inVirtualTime`): the same seed gives the same run, fault for fault. */
export function runChaosInVirtualTime(target: ChaosTarget, options: ChaosOptions): Promise<ChaosReport> {
  return inVirtualTime(() => runChaos(target, options));
}
