import { providerDelay } from './abort.js';
import { ProviderError } from './errors.js';
import type { Provider, VMInstance, VMStatus } from './types.js';

/** What {@link waitForVM} waits for. */
export type WaitTarget =
  /** `running` with a public IP. */
  | 'running'
  /** Any other status, as is. */
  | Exclude<VMStatus, 'running'>
  /** The VM no longer exists (`getVM` returns `null`). */
  | 'deleted'
  /** A custom condition on the VM as read. */
  | ((vm: VMInstance | null) => boolean);

/** Options of {@link waitForVM}. */
export interface WaitForVMOptions {
  until: WaitTarget;
  /** Give up after this long, in milliseconds. Default 300 000 (5 minutes). */
  timeoutMs?: number;
  /** First delay between polls, in milliseconds; grows by half each poll. Default 1 000. */
  intervalMs?: number;
  /** Largest delay between polls, in milliseconds. Default 10 000. */
  maxIntervalMs?: number;
  signal?: AbortSignal | undefined;
  /** Called with each read, e.g. to show progress. */
  onPoll?: (vm: VMInstance | null) => void;
}

function reached(target: WaitTarget, vm: VMInstance | null): boolean {
  if (typeof target === 'function') return target(vm);
  if (target === 'deleted') return vm === null;
  if (vm === null) return false;
  if (target === 'running') return vm.status === 'running' && vm.ip !== '';
  return vm.status === target;
}

/**
 * Poll `getVM` with growing intervals until the VM reaches `until`. Resolves with the last read (`null` for
 * `deleted`). Rejects with a `timeout` `ProviderError` when `timeoutMs` runs out, with a `not_found` one when the
 * VM disappears while waiting for anything but `deleted`, with a `conflict` one when the VM is `locked`, and with
 * the caller's abort reason when `signal` fires.
 */
export async function waitForVM(
  provider: Provider,
  id: string,
  options: WaitForVMOptions,
): Promise<VMInstance | null> {
  const { until, timeoutMs = 300_000, intervalMs = 1_000, maxIntervalMs = 10_000, signal } = options;
  const deadline = Date.now() + timeoutMs;
  let delay = intervalMs;
  let last: VMInstance | null = null;
  for (;;) {
    last = await provider.getVM(id, signal === undefined ? {} : { signal });
    options.onPoll?.(last);
    if (reached(until, last)) return last;
    if (last === null && until !== 'deleted' && typeof until !== 'function') {
      throw new ProviderError({
        provider: provider.name,
        category: 'not_found',
        message: `VM ${id} no longer exists`,
      });
    }
    if (last?.status === 'locked' && until !== 'locked' && typeof until !== 'function') {
      throw new ProviderError({
        provider: provider.name,
        category: 'conflict',
        retryable: false,
        message: `VM ${id} is locked by the provider`,
      });
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      const target = typeof until === 'function' ? 'the expected condition' : `"${until}"`;
      throw new ProviderError({
        provider: provider.name,
        category: 'timeout',
        retryable: false,
        message: `VM ${id} did not reach ${target} within ${timeoutMs} ms (last status: ${last?.status ?? 'deleted'})`,
      });
    }
    await providerDelay(Math.min(delay, remaining), { signal });
    delay = Math.min(Math.round(delay * 1.5), maxIntervalMs);
  }
}
