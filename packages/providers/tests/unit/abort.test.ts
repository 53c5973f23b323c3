import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  completeAbortableResponse,
  isProviderRequestAborted,
  providerDelay,
  rethrowIfProviderRequestAborted,
  throwIfProviderRequestAborted,
} from '../../src/abort.js';

afterEach(() => {
  vi.useRealTimers();
});

/** An aborted controller whose reason is a fresh object, so identity (not equality) can be checked. */
function aborted(reason: unknown = new Error('caller gave up')) {
  const controller = new AbortController();
  controller.abort(reason);
  return { controller, signal: controller.signal, reason };
}

/** The settled state of a promise after the microtask queue has drained. */
async function stateOf(promise: Promise<unknown>): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(
    () => {
      state = 'resolved';
    },
    () => {
      state = 'rejected';
    },
  );
  for (let index = 0; index < 10; index++) await Promise.resolve();
  return state;
}

describe('throwIfProviderRequestAborted', () => {
  it('returns without a context, without a signal and with a signal that has not fired', () => {
    expect(throwIfProviderRequestAborted()).toBeUndefined();
    expect(throwIfProviderRequestAborted({})).toBeUndefined();
    expect(throwIfProviderRequestAborted({ signal: undefined })).toBeUndefined();
    expect(throwIfProviderRequestAborted({ signal: new AbortController().signal })).toBeUndefined();
  });

  it('throws exactly the signal reason once it fired: the same object, untouched', () => {
    const { signal, reason } = aborted();
    let thrown: unknown;
    try {
      throwIfProviderRequestAborted({ signal });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(reason);
  });

  it('throws a non-Error reason as is', () => {
    const reason = { why: 'shutdown' };
    const { signal } = aborted(reason);
    expect(() => throwIfProviderRequestAborted({ signal })).toThrow(
      expect.objectContaining({ why: 'shutdown' }),
    );
    try {
      throwIfProviderRequestAborted({ signal });
    } catch (error) {
      expect(error).toBe(reason);
    }
  });

  it('throws the default AbortError DOMException when aborted without a reason', () => {
    const controller = new AbortController();
    controller.abort();
    let thrown: unknown;
    try {
      throwIfProviderRequestAborted({ signal: controller.signal });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(controller.signal.reason);
    expect((thrown as DOMException).name).toBe('AbortError');
  });
});

describe('isProviderRequestAborted', () => {
  it('is true only when the signal fired and the error is that very reason', () => {
    const { signal, reason } = aborted();
    expect(isProviderRequestAborted(reason, { signal })).toBe(true);
  });

  it('is false for an equal-looking but different error', () => {
    const { signal } = aborted(new Error('caller gave up'));
    const lookAlike = new Error('caller gave up');
    expect(isProviderRequestAborted(lookAlike, { signal })).toBe(false);
  });

  it('is false when the signal has not fired, even for the value it would fire with', () => {
    const controller = new AbortController();
    expect(isProviderRequestAborted(undefined, { signal: controller.signal })).toBe(false);
    expect(isProviderRequestAborted(controller.signal.reason, { signal: controller.signal })).toBe(false);
  });

  it('is false without a context or a signal', () => {
    const { reason } = aborted();
    expect(isProviderRequestAborted(reason)).toBe(false);
    expect(isProviderRequestAborted(reason, {})).toBe(false);
    expect(isProviderRequestAborted(undefined)).toBe(false);
  });

  it('compares with Object.is, so a NaN reason still counts as the reason', () => {
    const { signal } = aborted(Number.NaN);
    expect(isProviderRequestAborted(Number.NaN, { signal })).toBe(true);
  });
});

describe('rethrowIfProviderRequestAborted', () => {
  it('rethrows the caller reason, the same object', () => {
    const { signal, reason } = aborted();
    let thrown: unknown;
    try {
      rethrowIfProviderRequestAborted(reason, { signal });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(reason);
  });

  it('returns for any other error, for an unfired signal and without a context', () => {
    const { signal } = aborted();
    expect(rethrowIfProviderRequestAborted(new Error('caller gave up'), { signal })).toBeUndefined();
    const quiet = new AbortController();
    const error = new Error('boom');
    expect(rethrowIfProviderRequestAborted(error, { signal: quiet.signal })).toBeUndefined();
    expect(rethrowIfProviderRequestAborted(error)).toBeUndefined();
  });
});

describe('providerDelay', () => {
  it('resolves after the delay, not before', async () => {
    vi.useFakeTimers();
    const delay = providerDelay(1_000);
    expect(vi.getTimerCount()).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(await stateOf(delay)).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(await stateOf(delay)).toBe('resolved');
    await expect(delay).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves after the delay with an unfired signal, and a later abort changes nothing', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const delay = providerDelay(500, { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(500);
    await expect(delay).resolves.toBeUndefined();
    controller.abort(new Error('too late'));
    expect(await stateOf(delay)).toBe('resolved');
  });

  it('rejects with the exact reason when aborted mid-wait, and clears its timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const delay = providerDelay(10_000, { signal: controller.signal });
    delay.catch(() => undefined);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(vi.getTimerCount()).toBe(1);
    expect(await stateOf(delay)).toBe('pending');
    controller.abort(reason);
    expect(await stateOf(delay)).toBe('rejected');
    expect(vi.getTimerCount()).toBe(0);
    const rejection = await delay.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(rejection).toBe(reason);
  });

  it('rejects at once, with the reason and no timer, when the signal already fired', async () => {
    vi.useFakeTimers();
    const { signal, reason } = aborted();
    const delay = providerDelay(10_000, { signal });
    delay.catch(() => undefined);
    expect(vi.getTimerCount()).toBe(0);
    expect(await stateOf(delay)).toBe('rejected');
    const rejection = await delay.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(rejection).toBe(reason);
  });
});

const encoder = new TextEncoder();

describe('completeAbortableResponse', () => {
  it('returns an unread, equivalent Response once the whole body arrived', async () => {
    const original = new Response('{"ok":true,"n":1}', {
      status: 201,
      statusText: 'Created',
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-7' },
    });
    const completed = await completeAbortableResponse(original, new AbortController().signal);
    expect(completed.bodyUsed).toBe(false);
    expect(completed.status).toBe(201);
    expect(completed.statusText).toBe('Created');
    expect(completed.headers.get('content-type')).toBe('application/json');
    expect(completed.headers.get('x-request-id')).toBe('req-7');
    expect(await completed.text()).toBe('{"ok":true,"n":1}');
  });

  it('waits for a body delivered in several chunks and keeps every byte', async () => {
    const chunks = ['first,', 'second,', 'third'];
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 2));
        const next = chunks.shift();
        if (next === undefined) controller.close();
        else controller.enqueue(encoder.encode(next));
      },
    });
    const completed = await completeAbortableResponse(
      new Response(stream, { status: 200, statusText: 'OK' }),
      new AbortController().signal,
    );
    expect(chunks).toEqual([]);
    expect(completed.status).toBe(200);
    expect(completed.statusText).toBe('OK');
    expect(await completed.text()).toBe('first,second,third');
  });

  it('keeps an error status and its body', async () => {
    const original = new Response('{"type":"out_of_stock"}', {
      status: 503,
      statusText: 'Service Unavailable',
    });
    const completed = await completeAbortableResponse(original, new AbortController().signal);
    expect(completed.status).toBe(503);
    expect(completed.ok).toBe(false);
    expect(completed.statusText).toBe('Service Unavailable');
    expect(await completed.text()).toBe('{"type":"out_of_stock"}');
  });

  it('rejects with the exact reason when the signal fires while a slow body is streaming', async () => {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('partial'));
      },
      pull() {
        pulls++;
        // Never delivers the rest: only the abort can end the wait.
        return new Promise(() => undefined);
      },
    });
    const controller = new AbortController();
    const reason = new Error('deadline passed');
    const completing = completeAbortableResponse(new Response(stream), controller.signal);
    completing.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await stateOf(completing)).toBe('pending');
    expect(pulls).toBeGreaterThan(0);
    controller.abort(reason);
    const rejection = await completing.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    expect(rejection).toBe(reason);
  });

  // The body is read through a reader the helper keeps, so it can cancel the stream itself.
  it('cancels the stream, with the reason, when the signal fires mid-delivery', async () => {
    let cancelledWith: unknown = 'not cancelled';
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('partial'));
      },
      pull() {
        return new Promise(() => undefined);
      },
      cancel(reason) {
        cancelledWith = reason;
      },
    });
    const controller = new AbortController();
    const reason = new Error('deadline passed');
    const completing = completeAbortableResponse(new Response(stream), controller.signal);
    completing.catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort(reason);
    await expect(completing).rejects.toBe(reason);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(cancelledWith).toBe(reason);
  });

  it('rejects with the reason and cancels the unread body when the signal already fired', async () => {
    let cancelledWith: unknown = 'not cancelled';
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(encoder.encode('x'));
      },
      cancel(reason) {
        cancelledWith = reason;
      },
    });
    const { signal, reason } = aborted();
    const response = new Response(stream);
    await expect(completeAbortableResponse(response, signal)).rejects.toBe(reason);
    expect(cancelledWith).toBe(reason);
    expect(pulls).toBeLessThanOrEqual(1);
  });

  it('rejects with the reason for an already-fired signal even when the body is null', async () => {
    const { signal, reason } = aborted();
    await expect(completeAbortableResponse(new Response(null, { status: 204 }), signal)).rejects.toBe(reason);
  });

  it('lets a 204 through with its status, status text and headers', async () => {
    const original = new Response(null, { status: 204, statusText: 'No Content', headers: { 'x-a': '1' } });
    const completed = await completeAbortableResponse(original, new AbortController().signal);
    expect(completed.status).toBe(204);
    expect(completed.statusText).toBe('No Content');
    expect(completed.headers.get('x-a')).toBe('1');
    expect(completed.body).toBeNull();
    expect(await completed.text()).toBe('');
  });

  it('returns a null-body Response as is', async () => {
    const original = new Response(null, { status: 200 });
    expect(original.body).toBeNull();
    expect(await completeAbortableResponse(original, new AbortController().signal)).toBe(original);
  });

  it('rebuilds a null-body status without a body, however the fetch shaped it', async () => {
    // Some fetch implementations hand a 204/205/304 an empty stream; `new Response` refuses a body for them.
    const empty = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.close();
      },
    });
    const original = new Response(empty, { status: 200, headers: { etag: '"v1"' } });
    Object.defineProperty(original, 'status', { value: 304 });
    const completed = await completeAbortableResponse(original, new AbortController().signal);
    expect(completed).not.toBe(original);
    expect(completed.status).toBe(304);
    expect(completed.body).toBeNull();
    expect(completed.headers.get('etag')).toBe('"v1"');
  });

  it('rejects with the body error itself when delivery fails without an abort', async () => {
    const failure = new TypeError('terminated');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode('part'));
      },
      pull(controller) {
        controller.error(failure);
      },
    });
    await expect(completeAbortableResponse(new Response(stream), new AbortController().signal)).rejects.toBe(
      failure,
    );
  });

  it('stops listening to the signal once the body arrived', async () => {
    const controller = new AbortController();
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const completed = await completeAbortableResponse(new Response('done'), controller.signal);
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort(new Error('later'));
    expect(await completed.text()).toBe('done');
  });
});
