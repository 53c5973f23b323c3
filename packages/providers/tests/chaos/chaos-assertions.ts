import { expect } from 'vitest';
import { isProviderError, isRetryableCategory, type ProviderErrorCategory } from '../../src/index.js';
import type { ChaosReport } from './chaos.js';

/** The faults injected are all transient: every failure must say so. */
const TRANSIENT: ReadonlySet<ProviderErrorCategory> = new Set([
  'rate_limited',
  'unavailable',
  'network',
  'timeout',
]);

/** The invariants every chaos run must hold, whatever the faults did. */
export function assertChaosInvariants(report: ChaosReport, lifecycles: number): void {
  expect(
    Object.values(report.faults).every((hits) => hits > 0),
    'every fault kind fired',
  ).toBe(true);
  expect(report.operations.filter((operation) => operation.step === 'create')).toHaveLength(lifecycles);
  for (const operation of report.operations) {
    const where = `${operation.step} #${operation.lifecycle}: ${String(operation.error)}`;
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
  expect(failed, 'failures beyond what exhausted retries explain').toBeLessThanOrEqual(
    report.operations.length * 0.05,
  );
  // Late commits beyond the lookup window are the one case no client can see; everything else is tracked.
  const late = new Set(report.veryLate);
  const untracked = report.untracked.filter((name) => !late.has(name));
  const story = (name: string) =>
    report.operations
      .filter((operation) => `${name}`.endsWith(`-${operation.lifecycle}`))
      .map((operation) => `${operation.step}: ${operation.outcome} ${String(operation.error ?? '')}`)
      .join('; ');
  expect(untracked, untracked.map(story).join(' | ')).toEqual([]);
  expect(report.createdTwice.filter((name) => !late.has(name))).toEqual([]);
  expect(report.duplicates.filter((name) => !late.has(name))).toEqual([]);
  expect(report.afterReconcile).toEqual({ servers: 0, volumes: 0, ips: 0 });
}
