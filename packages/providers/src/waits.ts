import { providerDelay } from './abort.js';
import { ProviderError } from './errors.js';

/** One call's waits: where they must stop, and the caller's signal. */
export interface WaitDeadline {
  readonly deadline: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Wait `delayMs` (at most what is left before the deadline); rejects with the caller's reason as soon as it aborts,
 * and, once the deadline has passed, with a retryable `timeout` naming what was awaited (and its last answer).
 */
export async function pauseWithin(
  provider: string,
  wait: WaitDeadline,
  delayMs: number,
  what: string,
  budgetMs: number,
  last?: unknown,
): Promise<void> {
  const remaining = wait.deadline - Date.now();
  if (remaining <= 0) {
    throw new ProviderError({
      provider,
      category: 'timeout',
      retryable: true,
      message: `Gave up waiting for ${what} after ${budgetMs} ms${
        last instanceof ProviderError ? ` (last: ${last.message})` : ''
      }`,
    });
  }
  await providerDelay(Math.min(delayMs, remaining), wait);
}
