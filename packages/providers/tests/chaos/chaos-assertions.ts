import { expect } from 'vitest';
import { isProviderError, isRetryableCategory, type ProviderErrorCategory } from '../../src/index.js';
import { type ChaosReport, lifecycleOfName, VOLUME_STEPS } from './chaos.js';

/** The faults injected are all transient: every failure must say so. */
const TRANSIENT: ReadonlySet<ProviderErrorCategory> = new Set([
  'rate_limited',
  'unavailable',
  'network',
  'timeout',
]);

/** The invariants every chaos run must hold, whatever the faults did. */
export function assertChaosInvariants(
  report: ChaosReport,
  lifecycles: number,
  volumeLifecycles: number,
): void {
  expect(
    Object.values(report.faults).every((hits) => hits > 0),
    'every fault kind fired',
  ).toBe(true);
  expect(report.operations.filter((operation) => operation.step === 'create')).toHaveLength(lifecycles);
  for (const operation of report.operations) {
    const where = `${operation.kind} lifecycle #${operation.lifecycle}, ${operation.step} (${operation.attempts} calls): ${String(operation.error)}`;
    // An abort is answered with the caller's own reason, never with something else.
    expect(operation.outcome, where).not.toBe('abort ignored');
    if (operation.outcome !== 'failed' && operation.outcome !== 'state not reached') continue;
    const { error } = operation;
    expect(error, where).not.toBeInstanceOf(TypeError);
    expect(isProviderError(error), where).toBe(true);
    if (!isProviderError(error)) continue;
    if (operation.outcome === 'state not reached') continue;
    // Only transient faults were injected: a failure is one that outlived its retries, and says it is retryable.
    expect(TRANSIENT.has(error.category), `${where} (${error.category})`).toBe(true);
    expect(error.retryable, where).toBe(isRetryableCategory(error.category));
  }
  const failed = report.operations.filter((operation) => operation.outcome === 'failed').length;
  // Each fault kind fires with the run's probability on every request, and some come back several times in a row:
  // an operation fails only when one outlived every retry. Allowed: as many failures as that probability of all.
  expect(failed, 'failures beyond what exhausted retries explain').toBeLessThanOrEqual(
    report.operations.length * Math.max(0.05, report.faultProbability),
  );
  const story = (name: string) => {
    const owner = lifecycleOfName(name);
    return `${name}: ${report.operations
      .filter((operation) => operation.kind === owner?.kind && operation.lifecycle === owner.lifecycle)
      .map((operation) => `${operation.step}: ${operation.outcome} ${String(operation.error ?? '')}`)
      .join('; ')}`;
  };
  // Late commits beyond the lookup window are the one case no client can see; everything else is tracked.
  const late = new Set(report.veryLate);
  const untracked = report.untracked.filter((name) => !late.has(name));
  expect(untracked, untracked.map(story).join(' | ')).toEqual([]);
  expect(report.createdTwice.filter((name) => !late.has(name))).toEqual([]);
  expect(report.duplicates.filter((name) => !late.has(name))).toEqual([]);

  // Volumes: the same accounting, before the reconciler, for the data volumes the volume lifecycles made.
  const { volumes } = report;
  if (volumes.supported) {
    const volumeOperations = report.operations.filter((operation) => VOLUME_STEPS.has(operation.step));
    expect(volumes.lifecycles).toBe(volumeLifecycles);
    expect(volumeOperations.filter((operation) => operation.step === 'volume create').length).toBeGreaterThan(
      0,
    );
    expect(
      Object.values(volumes.faults).reduce((total, hits) => total + hits, 0),
      'faults fired on the volume routes',
    ).toBeGreaterThan(0);
    const lateVolumes = new Set(volumes.veryLate);
    const untrackedVolumes = volumes.untracked.filter((name) => !lateVolumes.has(name));
    expect(untrackedVolumes, `untracked volumes: ${untrackedVolumes.map(story).join(' | ')}`).toEqual([]);
    const twice = volumes.createdTwice.filter((name) => !lateVolumes.has(name));
    expect(twice, `volume creates that made two volumes: ${twice.map(story).join(' | ')}`).toEqual([]);
    const duplicated = volumes.duplicates.filter((name) => !lateVolumes.has(name));
    expect(duplicated, `volume names seen twice: ${duplicated.map(story).join(' | ')}`).toEqual([]);
  } else {
    expect(volumes.lifecycles).toBe(0);
  }
  // Before any reconciler or sweep, once each caller deleted what it held (retrying a failed deleteVM until it
  // resolved): nothing the library could know about is left. No boot volume or IP without its server, no server or
  // data volume a caller was given; what remains came from creates processed after the library stopped looking.
  expect(report.cleanupFailures, 'cleanups (deleteVM until it resolves) that failed').toEqual([]);
  expect(
    report.beforeSweep.orphanedVolumes,
    'boot volumes left without their server, before the sweep',
  ).toEqual([]);
  expect(report.beforeSweep.orphanedIps, 'IPs left without their server, before the sweep').toEqual([]);
  expect(report.beforeSweep.trackedServers, 'servers a caller deleted that are still there').toEqual([]);
  expect(report.beforeSweep.trackedVolumes, 'data volumes a caller deleted that are still there').toEqual([]);
  // Zero leaked volumes: data volumes and boot volumes alike, once the reconciler has run.
  expect(report.afterReconcile.volumes, 'volumes left in emulator.leftovers() after the reconciler').toBe(0);
  expect(report.afterReconcile).toEqual({ servers: 0, volumes: 0, ips: 0 });
}
