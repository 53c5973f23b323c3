import type { ProviderRequestContext } from './types.js';

/** Throw the caller's abort reason, untouched, if the context's signal has fired. */
export function throwIfProviderRequestAborted(context?: ProviderRequestContext): void {
  const signal = context?.signal;
  if (signal?.aborted) throw signal.reason;
}

/** True only when the context's signal has fired and `error` is that very reason (`Object.is`), not a look-alike. */
export function isProviderRequestAborted(error: unknown, context?: ProviderRequestContext): boolean {
  const signal = context?.signal;
  return signal?.aborted === true && Object.is(error, signal.reason);
}

/** Rethrow `error` when it is the caller's own abort reason ({@link isProviderRequestAborted}); otherwise return. */
export function rethrowIfProviderRequestAborted(error: unknown, context?: ProviderRequestContext): void {
  if (isProviderRequestAborted(error, context)) throw error;
}

/** Wait `ms` milliseconds; rejects with the signal's reason, untouched, as soon as it fires (or at once if it has). */
export function providerDelay(ms: number, context?: ProviderRequestContext): Promise<void> {
  const signal = context?.signal;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 204, 205, 304]);

/**
 * Wait until the whole body of `response` has arrived, then resolve an equivalent, unread `Response` (same status,
 * status text, headers and body). Rejects with `signal.reason` if the signal fires before or while the body is
 * delivered, and cancels the delivery: a slow body cannot outlive the caller's deadline, whatever `fetch` did with
 * the signal.
 */
export async function completeAbortableResponse(response: Response, signal: AbortSignal): Promise<Response> {
  if (signal.aborted) {
    await response.body?.cancel(signal.reason).catch(() => undefined);
    throw signal.reason;
  }
  if (response.body === null) return response;
  const reader = response.body.getReader();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      // Answer with the caller's reason, and stop the delivery so that the connection is released.
      reject(signal.reason);
      reader.cancel(signal.reason).catch(() => undefined);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), aborted]);
      // A read that the cancel ended is not the end of the body.
      if (signal.aborted) throw signal.reason;
      if (done) break;
      chunks.push(value);
    }
    // A null-body status (204, 205, 304) must be rebuilt without a body, however empty the stream was.
    const body = NULL_BODY_STATUSES.has(response.status) ? null : concatenate(chunks);
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    throw error;
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

function concatenate(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** `promise`, or the signal's reason as soon as it fires (the promise itself carries on, e.g. for other callers). */
export function abortable<T>(promise: Promise<T>, context: ProviderRequestContext | undefined): Promise<T> {
  const signal = context?.signal;
  if (signal === undefined) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Run `operation`; if it rejects once the signal has fired, reject with the caller's reason instead. For operations
 * that finish some steps without the signal (a create's POST, a delete's volumes), so that a caller who gave up
 * always hears its own reason.
 */
export async function withAbortReason<T>(
  context: ProviderRequestContext | undefined,
  operation: () => Promise<T>,
): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throwIfProviderRequestAborted(context);
    throw error;
  }
}
