import { providerDelay } from './abort.js';
import { isTransientCapacityError } from './capacity.js';
import { isProviderError, ProviderError } from './errors.js';
import type { EmitEvent } from './events.js';
import type { ProviderRequestContext, VMInstance } from './types.js';

/** How a Hetzner create reacts to missing capacity and failed placements (SAM contract §6; defaults there). */
export interface HetznerCapacityPolicy {
  placementRetryDelayMs: number;
  placementFallbackEnabled: boolean;
  capacityRetryInitialDelayMs: number;
  capacityRetryMaxDelayMs: number;
  capacityRetryMaxAttempts: number;
  capacityRetryBudgetMs: number;
}

/** One create of a Hetzner server. */
export interface HetznerPlacement {
  /** Where the caller asked for the VM. */
  location: string;
  /** The other locations offering the size, in fallback order. */
  fallbacks: readonly string[];
  serverType: string;
  /** Create the server in a location, once (lost answers are handled inside: see `createOnce`). */
  createIn: (location: string) => Promise<VMInstance>;
  policy: HetznerCapacityPolicy;
  emit: EmitEvent;
  context: ProviderRequestContext;
}

/**
 * A 412 `placement_error` (docs/hetzner-api.md "Errors"): the scheduler found no host for the server right now. It
 * is location-bound, so it is retried once in place, then elsewhere.
 */
function isPlacementError(error: unknown): boolean {
  return (
    isProviderError(error) &&
    (error.providerCode === 'placement_error' ||
      (error.statusCode === 412 && error.providerCode === undefined && /placement/i.test(error.message)))
  );
}

/**
 * Create a Hetzner server despite short-lived capacity shortages. A placement failure is retried once in the same
 * location after `placementRetryDelayMs`, then, when fallback is enabled, in each other location offering the size;
 * other "no capacity" answers (`resource_unavailable`, the 422 "unsupported location for server type") wait with
 * exponential backoff and try again, at most `capacityRetryMaxAttempts` times within `capacityRetryBudgetMs`. Each
 * wait rejects with the caller's reason as soon as it aborts. No attempt that failed this way created anything, so
 * there is nothing to clean up between them. Resolves with the VM, whose `location` says where it landed.
 */
export async function createWithCapacity(placement: HetznerPlacement): Promise<VMInstance> {
  const { policy, emit, context } = placement;
  const started = Date.now();
  // Where the last attempt was made: a shortage met in a fallback location is reported there.
  let triedIn = placement.location;
  const tracked: HetznerPlacement = {
    ...placement,
    createIn: (location) => {
      triedIn = location;
      return placement.createIn(location);
    },
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await place(tracked);
    } catch (error) {
      if (!isTransientCapacityError(error) || isPlacementError(error)) throw error;
      const delayMs = Math.min(
        policy.capacityRetryInitialDelayMs * 2 ** (attempt - 1),
        policy.capacityRetryMaxDelayMs,
      );
      const elapsedMs = Date.now() - started;
      if (attempt >= policy.capacityRetryMaxAttempts || elapsedMs + delayMs > policy.capacityRetryBudgetMs) {
        throw capacityExhausted(error as ProviderError, placement, triedIn, attempt, elapsedMs);
      }
      const code = (error as ProviderError).providerCode;
      emit({
        type: 'capacity_retry',
        location: triedIn,
        serverType: placement.serverType,
        attempt,
        maxAttempts: policy.capacityRetryMaxAttempts,
        delayMs,
        ...(code === undefined ? {} : { code }),
      });
      await providerDelay(delayMs, context);
    }
  }
}

/** The requested location, again after a pause if placement failed, then the fallbacks; the first success wins. */
async function place(placement: HetznerPlacement): Promise<VMInstance> {
  const { location, serverType, policy, emit, context } = placement;
  try {
    return await placement.createIn(location);
  } catch (error) {
    if (!isPlacementError(error)) throw error;
  }
  emit({ type: 'placement_retry', location, serverType, delayMs: policy.placementRetryDelayMs });
  await providerDelay(policy.placementRetryDelayMs, context);
  let last: unknown;
  try {
    return await placement.createIn(location);
  } catch (error) {
    if (!isPlacementError(error) || !policy.placementFallbackEnabled) throw error;
    last = error;
  }
  let from = location;
  for (const fallback of placement.fallbacks) {
    emit({ type: 'location_fallback', from, to: fallback, serverType });
    try {
      return await placement.createIn(fallback);
    } catch (error) {
      if (!isPlacementError(error)) throw error;
      last = error;
      from = fallback;
    }
  }
  throw last;
}

function capacityExhausted(
  error: ProviderError,
  placement: HetznerPlacement,
  location: string,
  attempts: number,
  elapsedMs: number,
): ProviderError {
  return new ProviderError({
    provider: error.providerName,
    category: 'capacity',
    message: `No capacity for ${placement.serverType} in ${location} after ${attempts} attempt(s) over ${elapsedMs} ms (capacity retry budget ${placement.policy.capacityRetryBudgetMs} ms): ${error.message}`,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    ...(error.providerCode === undefined ? {} : { code: error.providerCode }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    context: { location, serverType: placement.serverType, attempts, elapsedMs },
    cause: error,
  });
}
