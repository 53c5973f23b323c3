import { expect } from 'vitest';
import { isProviderError, type ProviderErrorCategory } from '../../src/index.js';
import type { ChaosReport } from './chaos.js';

/** Categories whose failures may succeed on a later attempt. */
const TRANSIENT: ReadonlySet<ProviderErrorCategory> = new Set([
  'rate_limited',
  'unavailable',
  'network',
  'timeout',
  'conflict',
]);

/** The invariants every chaos run must hold, whatever the faults did. */
export function assertChaosInvariants(report: ChaosReport): void {
  const faults = Object.values(report.faults);
  expect(
    faults.every((hits) => hits > 0),
    'every fault kind fired',
  ).toBe(true);
  expect(report.operations.filter((operation) => operation.step === 'create')).toHaveLength(200);
  for (const operation of report.operations) {
    if (operation.outcome !== 'failed') continue;
    const { error } = operation;
    expect(error, `${operation.step} #${operation.lifecycle}: ${String(error)}`).not.toBeInstanceOf(
      TypeError,
    );
    expect(isProviderError(error), `${operation.step} #${operation.lifecycle}: ${String(error)}`).toBe(true);
    if (!isProviderError(error)) continue;
    // The retry verdict must agree with the category.
    if (error.retryable)
      expect(TRANSIENT.has(error.category), `${error.category} marked retryable`).toBe(true);
    else
      expect(['rate_limited', 'unavailable', 'network'], `${error.category} marked final`).not.toContain(
        error.category,
      );
  }
  expect(report.duplicates).toEqual([]);
  expect(report.untracked).toEqual([]);
  expect(report.afterReconcile).toEqual({ servers: 0, volumes: 0, ips: 0 });
}
