import type { z } from 'zod';
import { throwIfProviderRequestAborted, withAbortReason } from './abort.js';
import { mapConcurrent } from './concurrency.js';
import { isProviderError, ProviderError } from './errors.js';
import type { ProviderRequestContext } from './types.js';
import { parseInput } from './validation.js';

/**
 * A billed resource that the library marked as a VM's own, still there although that VM is gone (or never came to
 * be): a boot volume whose delete failed or whose answer was lost, an IP the VM held. Never a data volume: those are
 * the caller's, and no sweep touches them.
 */
export interface Leftover {
  /** `server`: a server of a create that never finished, which nobody holds the id of (Scaleway). */
  kind: 'volume' | 'ip' | 'server';
  /** The provider's own kind of resource: `sbs_volume`, `l_ssd`, `server`, `primary_ip`, `floating_ip`. */
  type: string;
  /** The provider's id of the resource, as its own delete takes it (`{zone}/{uuid}` on Scaleway). */
  id: string;
  location: string;
  name: string;
  /** What it is, in a few words (`boot volume (l_ssd, 20 GB) of VM fr-par-1/…`). */
  description: string;
  /** The VM it belonged to, when its marks say so. */
  vmId?: string | undefined;
  /** The labels it carries (a boot volume carries its VM's). */
  labels: Record<string, string>;
  sizeGb?: number | undefined;
}

/**
 * The leftovers sweep, beside SAM's `Provider` interface (an addition of this library): every billed resource in
 * every location that carries the library's ownership marks (and the given labels, when given) but belongs to no
 * live VM. `deleteLeftovers` deletes what `findLeftovers` finds and resolves with it; when any cannot be deleted it
 * rejects with a `ProviderError` naming each one left (`cleanupErrors` holds the causes, `retryable` says whether a
 * new sweep may finish the job).
 */
export interface LeftoverSweep {
  findLeftovers(labels?: Record<string, string>, context?: ProviderRequestContext): Promise<Leftover[]>;
  /**
   * Delete the leftovers carrying `selection` (labels), or exactly those of `selection` (a list `findLeftovers`
   * returned, e.g. once a person confirmed it) that are still leftovers now: one that was attached again, or is
   * gone, is left alone. The error of a partial failure has `context.deleted` (ids) and `context.left` (ids).
   */
  deleteLeftovers(
    selection?: Record<string, string> | readonly Leftover[],
    context?: ProviderRequestContext,
  ): Promise<Leftover[]>;
}

/** How many leftovers one sweep deletes at once. */
const SWEEP_CONCURRENCY = 4;

/**
 * Delete each of `found` with `remove` (404 counts as deleted); resolve with them all, or reject naming each one
 * left, with the causes in `cleanupErrors`, retryable when every cause is.
 */
export async function sweepLeftovers(
  provider: string,
  found: readonly Leftover[],
  remove: (leftover: Leftover) => Promise<void>,
): Promise<Leftover[]> {
  const failures: Array<{ leftover: Leftover; error: unknown }> = [];
  await mapConcurrent(found, SWEEP_CONCURRENCY, async (leftover) => {
    try {
      await remove(leftover);
    } catch (error) {
      if (!isProviderError(error, 'not_found')) failures.push({ leftover, error });
    }
  });
  if (failures.length === 0) return [...found];
  const first = failures[0]?.error;
  const left = new Set(failures.map(({ leftover }) => leftover));
  const error = new ProviderError({
    provider,
    category: isProviderError(first) ? first.category : 'unknown',
    retryable: failures.every(({ error: cause }) => isProviderError(cause) && cause.retryable),
    message: `${found.length - failures.length} of ${found.length} leftovers deleted; left: ${failures
      .map(({ leftover }) => `${leftover.id} (${leftover.description})`)
      .join(', ')}`,
    context: {
      deleted: found.filter((leftover) => !left.has(leftover)).map((leftover) => leftover.id),
      left: [...left].map((leftover) => leftover.id),
    },
  });
  error.cleanupErrors.push(...failures.map(({ error: cause }) => cause));
  throw error;
}

/** True when `provider` offers the leftovers sweep (both providers of this library do). */
export function hasLeftoverSweep<P extends object>(provider: P): provider is P & LeftoverSweep {
  const candidate = provider as Partial<LeftoverSweep>;
  return typeof candidate.findLeftovers === 'function' && typeof candidate.deleteLeftovers === 'function';
}

/**
 * A provider's {@link LeftoverSweep} from its two primitives: labels are validated (`invalid_input` before any
 * request), `find` lists, `remove` deletes one (404 counts as deleted), the caller's signal ends both.
 */
export function leftoverSweep(
  provider: string,
  labelsSchema: z.ZodType<Record<string, string>>,
  find: (labels: Record<string, string>, signal: AbortSignal | undefined) => Promise<Leftover[]>,
  remove: (leftover: Leftover, signal: AbortSignal | undefined) => Promise<void>,
): LeftoverSweep {
  const findLeftovers = (labels: Record<string, string> = {}, context: ProviderRequestContext = {}) =>
    withAbortReason(context, async () => {
      const filter = parseInput(provider, labelsSchema, labels, 'labels');
      throwIfProviderRequestAborted(context);
      return find(filter, context.signal);
    });
  return {
    findLeftovers,
    deleteLeftovers: (selection = {}, context = {}) =>
      withAbortReason(context, async () => {
        if (!Array.isArray(selection)) {
          const found = await findLeftovers(selection as Record<string, string>, context);
          return sweepLeftovers(provider, found, (leftover) => remove(leftover, context.signal));
        }
        const chosen = new Set(
          (selection as readonly Leftover[]).map((leftover) => `${leftover.type} ${leftover.id}`),
        );
        const still = (await findLeftovers({}, context)).filter((leftover) =>
          chosen.has(`${leftover.type} ${leftover.id}`),
        );
        return sweepLeftovers(provider, still, (leftover) => remove(leftover, context.signal));
      }),
  };
}
