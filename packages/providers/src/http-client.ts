import { z } from 'zod';
import {
  abortable,
  completeAbortableResponse,
  providerDelay,
  throwIfProviderRequestAborted,
} from './abort.js';
import { ConnectionSlots } from './concurrency.js';
import {
  ProviderError,
  type ProviderErrorCategory,
  type ProviderErrorInit,
  redact,
  sanitizeCause,
  withMessage,
} from './errors.js';
import type { EmitEvent, ProviderEvent } from './events.js';
import { parseRetryAfter, type RetryOptions, retryDelayMs } from './retry.js';

/** What a failed HTTP response looked like, for a provider's error mapper. */
export interface HttpErrorContext {
  status: number;
  /** The body parsed as JSON, or `undefined` when it is empty or not JSON. */
  body: unknown;
  headers: Headers;
}

/** A provider's reading of a failed response. */
export interface MappedHttpError {
  category: ProviderErrorCategory;
  message: string;
  code?: string;
  /** Overrides the category's default retry verdict. */
  retryable?: boolean;
  /** Overrides `Retry-After`. */
  retryAfterMs?: number;
}

/** How a provider's client is set up. */
export interface HttpClientConfig {
  provider: string;
  /** Base URL without a trailing slash; paths are appended to it. */
  baseUrl: string;
  /** Headers sent with every request (the auth header). Their values are treated as secrets. */
  authHeaders: Record<string, string>;
  /** Read at call time; `globalThis.fetch` when absent. */
  fetch?: typeof fetch | undefined;
  timeoutMs: number;
  /** Most requests in flight at once; the rest wait their turn (the wait does not count against `timeoutMs`). */
  maxConnections: number;
  retry: RetryOptions;
  mapError: (context: HttpErrorContext) => MappedHttpError;
  /** The provider's event sink (`onEvent` and `logger`). */
  emit: EmitEvent;
}

/** One request. */
export interface HttpRequest<Schema extends z.ZodType | undefined> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path relative to the base URL, starting with `/`. Every variable segment must be URL-safe already. */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** A JSON body. */
  json?: unknown;
  /** A `text/plain` body. Always treated as secret (it is user data): redacted from logs and errors. */
  text?: string;
  /** Validates the 2xx body. Without it the body is not read. */
  schema?: Schema;
  /**
   * Whether repeating the request is harmless. Default: every method but POST. A non-idempotent request is
   * retried only after a 429, which proves it did not reach the provider.
   */
  idempotent?: boolean;
  /** `false` turns retries off for this request. */
  retry?: boolean;
  /** Values in this request to keep out of logs and errors (e.g. user data inside a JSON body). */
  secrets?: readonly string[] | undefined;
  signal?: AbortSignal | undefined;
}

/** A successful response. */
export interface HttpResult<Data> {
  data: Data;
  status: number;
  headers: Headers;
}

type DataOf<Schema> = Schema extends z.ZodType ? z.output<Schema> : undefined;

const REDACTED = '[REDACTED]';
/** The default of `maxConnections`: Workers' limit of simultaneous open connections per request. */
export const DEFAULT_MAX_CONNECTIONS = 6;
/** The validation of `maxConnections`. */
export const maxConnectionsSchema = z.number().int().min(1).max(256).optional();
/** A connection slot outlives its request's timeout by this much before it is taken back from a vanished holder. */
const SLOT_LEASE_MARGIN_MS = 5_000;

/**
 * The thin fetch client shared by providers: base URL, auth, JSON and text bodies, per-request timeout, abort,
 * zod validation of responses, error mapping and one retry policy. The only place that calls `fetch`.
 */
export class HttpClient {
  readonly #config: HttpClientConfig;
  readonly #secrets: readonly string[];
  readonly #slots: ConnectionSlots;

  constructor(config: HttpClientConfig) {
    this.#config = config;
    this.#slots = new ConnectionSlots(config.maxConnections);
    // Both the header value and the credential inside it ("Bearer <token>") are secrets.
    this.#secrets = Object.values(config.authHeaders).flatMap((value) => [
      value,
      value.split(' ').at(-1) ?? value,
    ]);
  }

  /** Send a request, retrying per the policy; resolve with the validated body or reject with a `ProviderError`. */
  async request<Schema extends z.ZodType | undefined = undefined>(
    request: HttpRequest<Schema>,
  ): Promise<HttpResult<DataOf<Schema>>> {
    const idempotent = request.idempotent ?? request.method !== 'POST';
    const policy = this.#config.retry;
    const maxRetries = request.retry === false ? 0 : policy.maxRetries;
    const url = this.#url(request);
    const deadline = Date.now() + policy.maxElapsedMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(request, url, attempt, deadline);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        const mayRetry = idempotent || error.category === 'rate_limited';
        if (!error.retryable || !mayRetry || attempt >= maxRetries) throw error;
        const delayMs = retryDelayMs(attempt, policy, error.retryAfterMs);
        // A retry that could not even start before the deadline is not worth waiting for.
        if (Date.now() + delayMs >= deadline) throw error;
        this.#emit({
          type: 'retry',
          method: request.method,
          url,
          attempt,
          delayMs,
          category: error.category,
          ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
        });
        await providerDelay(delayMs, { signal: request.signal });
      }
    }
  }

  /** A `ProviderError` built from `init`, with secrets (and the extra ones given) scrubbed from its message. */
  #error(init: Omit<ProviderErrorInit, 'provider'>, extraSecrets: readonly string[] = []): ProviderError {
    return new ProviderError({
      ...init,
      provider: this.#config.provider,
      message: redact(init.message, [...this.#secrets, ...extraSecrets]),
    });
  }

  #url(request: HttpRequest<z.ZodType | undefined>): string {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) search.set(key, String(value));
    }
    const query = search.toString();
    return `${this.#config.baseUrl}${request.path}${query === '' ? '' : `?${query}`}`;
  }

  async #attempt<Schema extends z.ZodType | undefined>(
    request: HttpRequest<Schema>,
    url: string,
    attempt: number,
    deadline: number,
  ): Promise<HttpResult<DataOf<Schema>>> {
    const callerSignal = request.signal;
    throwIfProviderRequestAborted({ signal: callerSignal });
    // Wait for a connection first: the timeout below covers the request itself, not its place in the queue.
    const slot = await this.#slots.acquire(this.#config.timeoutMs + SLOT_LEASE_MARGIN_MS, callerSignal);
    try {
      return await this.#send(request, url, attempt, deadline);
    } finally {
      slot.release();
    }
  }

  async #send<Schema extends z.ZodType | undefined>(
    request: HttpRequest<Schema>,
    url: string,
    attempt: number,
    deadline: number,
  ): Promise<HttpResult<DataOf<Schema>>> {
    const callerSignal = request.signal;
    // The last attempt gets what is left of the request's time, not a full timeout.
    const timeoutMs = Math.max(Math.min(this.#config.timeoutMs, deadline - Date.now()), 1);
    // A timer of our own (not AbortSignal.timeout): cleared as soon as the answer is read, and driven by the same
    // clock as every other timer, so tests can run the whole client in virtual time.
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new DOMException('request timed out', 'TimeoutError')),
      timeoutMs,
    );
    const timeoutSignal = timeout.signal;
    const signal =
      callerSignal === undefined ? timeoutSignal : AbortSignal.any([callerSignal, timeoutSignal]);
    const secrets = [
      ...this.#secrets,
      ...(request.secrets ?? []),
      ...(request.text === undefined ? [] : [request.text]),
    ];
    const headers: Record<string, string> = { Accept: 'application/json', ...this.#config.authHeaders };
    let body: string | undefined;
    if (request.text !== undefined) {
      headers['Content-Type'] = 'text/plain';
      body = request.text;
    } else if (request.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(request.json);
    }
    this.#emit({
      type: 'request',
      method: request.method,
      url,
      attempt,
      headers: this.#redactHeaders(headers),
      ...(body === undefined
        ? {}
        : {
            body:
              request.text === undefined ? redact(body, secrets) : `${REDACTED} (${body.length} characters)`,
          }),
    });
    const started = performance.now();
    const fetchImplementation = this.#config.fetch ?? globalThis.fetch;
    let response: Response;
    let text: string;
    try {
      response = await fetchImplementation(url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
      });
      // The whole body within the same deadline. The platform's fetch ties the body to the signal, so its text() is
      // raced against it (workerd delivers 4 KB chunks: a JavaScript read loop costs ~3x the CPU there, see
      // bench/results.md); an injected fetch may not, so its body is read through a reader that can cancel it.
      text =
        this.#config.fetch === undefined
          ? await abortable(response.text(), { signal })
          : await (await completeAbortableResponse(response, signal)).text();
    } catch (error) {
      clearTimeout(timer);
      throwIfProviderRequestAborted({ signal: callerSignal });
      const timedOut = timeoutSignal.aborted;
      const category = timedOut ? 'timeout' : 'network';
      this.#emit({ type: 'error', method: request.method, url, attempt, category });
      throw this.#error(
        {
          category,
          message: timedOut
            ? `${request.method} ${request.path} got no response within ${timeoutMs} ms`
            : `${request.method} ${request.path} failed: the connection failed before a response arrived`,
          cause: sanitizeCause(error, secrets),
        },
        secrets,
      );
    }
    clearTimeout(timer);
    this.#emit({
      type: 'response',
      method: request.method,
      url,
      attempt,
      status: response.status,
      durationMs: Math.round(performance.now() - started),
    });
    const requestId = response.headers.get('x-request-id') ?? undefined;
    if (!response.ok) {
      const mapped = this.#config.mapError({
        status: response.status,
        body: parseJson(text),
        headers: response.headers,
      });
      const retryAfterMs = mapped.retryAfterMs ?? parseRetryAfter(response.headers.get('retry-after'));
      throw this.#error(
        {
          category: mapped.category,
          message: mapped.message,
          statusCode: response.status,
          ...(mapped.code === undefined ? {} : { code: mapped.code }),
          ...(mapped.retryable === undefined ? {} : { retryable: mapped.retryable }),
          ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          ...(requestId === undefined ? {} : { requestId }),
        },
        secrets,
      );
    }
    const result = { status: response.status, headers: response.headers };
    if (request.schema === undefined) return { ...result, data: undefined as DataOf<Schema> };
    const invalid = (problem: string) =>
      this.#error(
        {
          category: 'invalid_response',
          statusCode: response.status,
          message: `${request.method} ${request.path} returned ${problem}`,
          ...(requestId === undefined ? {} : { requestId }),
        },
        secrets,
      );
    const json = parseJson(text);
    if (json === undefined) throw invalid(text.trim() === '' ? 'an empty body' : 'a body that is not JSON');
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ');
      throw invalid(`an unexpected body (${issues})`);
    }
    return { ...result, data: parsed.data as DataOf<Schema> };
  }

  #redactHeaders(headers: Record<string, string>): Record<string, string> {
    const result: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      result[name] = name in this.#config.authHeaders ? REDACTED : value;
    }
    return result;
  }

  /**
   * A cleanup (removing what a failed or aborted call created) failed: attach the failure to the call's error when
   * it is a `ProviderError`, and always report it to the observer, since an abort reason cannot carry it.
   */
  cleanupFailed(error: unknown, cleanupError: unknown, resource: string): void {
    // Each cause names what it failed to remove (`server fr-par-1/…: …`): the caller can act on it by id.
    if (error instanceof ProviderError) {
      error.cleanupErrors.push(
        cleanupError instanceof ProviderError
          ? withMessage(cleanupError, `${resource}: ${cleanupError.message}`)
          : cleanupError,
      );
    }
    this.#emit({
      type: 'cleanup_failed',
      resource,
      category: cleanupError instanceof ProviderError ? cleanupError.category : 'unknown',
      // A ProviderError is already secret-free; anything else is scrubbed of this client's secrets.
      message:
        cleanupError instanceof ProviderError
          ? cleanupError.message
          : redact(
              cleanupError instanceof Error ? cleanupError.message : String(cleanupError),
              this.#secrets,
            ),
    });
  }

  #emit(event: ProviderEvent): void {
    this.#config.emit(event);
  }
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
