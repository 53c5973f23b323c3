import { providerDelay, throwIfProviderRequestAborted } from './abort.js';
import { isProviderError, ProviderError } from './errors.js';
import { type RetryOptions, retryDelayMs } from './retry.js';

/** How to create something exactly once over an API without idempotency keys. */
export interface CreateOnceSteps<Created> {
  /** Send the create. It must not use the caller's signal: once sent, only its answer tells what exists. */
  post: () => Promise<Created>;
  /** Look the created resource up by the unique mark the create gave it (a tag, a unique name). */
  find: () => Promise<Created | undefined>;
  /** Remove a created resource (after the caller aborted); a failure is the caller's to report. */
  discard: (created: Created, error: unknown) => Promise<void>;
  /**
   * Remove other resources carrying the same mark (a late first POST), after a retried POST succeeded. When the
   * twins cannot be looked up, or one cannot be removed, it throws: then the created resource is discarded too
   * (a create resolves only when it made exactly one) and that error rejects the create.
   */
  removeTwins?: (created: Created) => Promise<void>;
  /** Report a failed lookup; the original error is what the caller sees. */
  lookupFailed: (error: unknown, lookupError: unknown) => void;
  signal: AbortSignal | undefined;
  /** Retries of the POST after a lost answer that the lookup did not find; `maxRetries: 0` for none. */
  retry: RetryOptions;
  /** How long to keep looking after a lost answer (the create may still be running on the provider's side). */
  graceMs: number;
  pollIntervalMs: number;
}

const MAX_POLL_INTERVAL_MS = 5_000;
/** Failed lookups are tried at least this often before a lost create is given up on. */
const MIN_LOOKUPS = 3;

/**
 * Create once, or not at all. A 2xx is the resource. A lost or unreadable answer (timeout, dropped connection, 5xx, a
 * malformed 2xx) may hide a resource that exists: it is looked up by its mark (patiently for a lost answer) before
 * the POST is retried or the error is thrown. An abort during the POST waits for its answer, then removes what it
 * created, then rejects with the caller's reason.
 */
export async function createOnce<Created>(steps: CreateOnceSteps<Created>): Promise<Created> {
  const { signal } = steps;
  let created: Created | undefined;
  let posts = 0;
  for (let attempt = 0; created === undefined; attempt++) {
    throwIfProviderRequestAborted({ signal });
    posts++;
    try {
      created = await steps.post();
    } catch (error) {
      if (!isProviderError(error, 'network', 'timeout', 'unavailable', 'invalid_response')) throw error;
      try {
        created = await findPatiently(
          steps,
          isProviderError(error, 'network', 'timeout') ? steps.graceMs : 0,
        );
      } catch (lookupError) {
        steps.lookupFailed(error, lookupError);
        throw error;
      }
      if (created !== undefined) break;
      if (!(error instanceof ProviderError) || !error.retryable || attempt >= steps.retry.maxRetries)
        throw error;
      await providerDelay(retryDelayMs(attempt, steps.retry, error.retryAfterMs), { signal });
    }
  }
  if (posts > 1 && steps.removeTwins !== undefined) {
    try {
      await steps.removeTwins(created);
    } catch (error) {
      // Whether an earlier POST made a twin cannot be told: hand over nothing rather than maybe two. What this
      // create made is removed (or named in the error's cleanupErrors and a cleanup_failed event); the possible
      // twin is reported by its mark, which the caller's labels also carry.
      // A lookup that failed is reported here; twins that could not be removed were, each by its id.
      if (!(error instanceof ProviderError && error.context?.twinsLeft !== undefined)) {
        steps.lookupFailed(undefined, error);
      }
      await steps.discard(created, error);
      throw error;
    }
  }
  if (signal?.aborted) {
    const reason: unknown = signal.reason;
    await steps.discard(created, reason);
    throw reason;
  }
  return created;
}

/**
 * Look until found or the grace runs out, and at least `MIN_LOOKUPS` times when lookups fail (after their own
 * retries): giving up here is what would leave a server nobody knows about.
 */
async function findPatiently<Created>(
  steps: CreateOnceSteps<Created>,
  graceMs: number,
): Promise<Created | undefined> {
  const deadline = Date.now() + graceMs;
  let lastError: unknown;
  for (
    let lookup = 1, delay = steps.pollIntervalMs;
    ;
    lookup++, delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)
  ) {
    try {
      const found = await steps.find();
      if (found !== undefined) return found;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0 && (lastError === undefined || lookup >= MIN_LOOKUPS)) break;
    await providerDelay(Math.max(Math.min(delay, remaining), steps.pollIntervalMs));
  }
  if (lastError !== undefined) throw lastError;
  return undefined;
}

/** Where a failed removal is reported: an event naming the resource, and the error's `cleanupErrors`. */
interface CleanupReporter {
  cleanupFailed(error: unknown, cleanupError: unknown, resource: string): void;
}

/**
 * Remove each of `items` (a twin a late first POST made); a failure is reported by resource and collected, and
 * one `ProviderError` naming every resource left is thrown once all were tried (retryable when every cause is).
 */
export async function removeAll(
  reporter: CleanupReporter,
  items: ReadonlyArray<{ resource: string; remove: () => Promise<void> }>,
): Promise<void> {
  const left: Array<{ resource: string; error: unknown }> = [];
  for (const item of items) {
    try {
      await item.remove();
    } catch (error) {
      left.push({ resource: item.resource, error });
    }
  }
  if (left.length === 0) return;
  const first = left[0]?.error;
  const error = new ProviderError({
    provider: isProviderError(first) ? first.provider : 'unknown',
    category: isProviderError(first) ? first.category : 'unknown',
    retryable: left.every(({ error: cause }) => isProviderError(cause) && cause.retryable),
    message: `A lost answer made a twin of this create that could not be removed: ${left
      .map(({ resource }) => resource)
      .join(', ')}`,
    context: { twinsLeft: left.map(({ resource }) => resource) },
  });
  for (const { resource, error: cause } of left) reporter.cleanupFailed(error, cause, resource);
  throw error;
}
