import { statusFallback } from './status-fallback.js';

/**
 * What went wrong, in terms the control plane can act on. Closed: a `switch` over it needs no default.
 *
 * - `auth`: the credentials were rejected (wrong, expired or malformed key). Ask the user for new ones.
 * - `permission`: the credentials are valid but may not do this.
 * - `not_found`: the resource does not exist (or no longer does).
 * - `invalid_input`: our caller passed something invalid; no request was sent.
 * - `invalid_request`: the provider rejected the request's arguments.
 * - `conflict`: the resource is in a state that does not allow the operation (yet).
 * - `quota`: an account limit was reached.
 * - `capacity`: the provider has no capacity for this size or zone right now.
 * - `rate_limited`: too many requests; retry later.
 * - `unavailable`: the provider failed (5xx).
 * - `network`: the connection failed or was dropped before a response arrived.
 * - `timeout`: no response within the request timeout, or a wait ran out of time.
 * - `invalid_response`: the provider answered with something we cannot read.
 * - `unknown`: none of the above.
 */
export type ProviderErrorCategory =
  | 'auth'
  | 'permission'
  | 'not_found'
  | 'invalid_input'
  | 'invalid_request'
  | 'conflict'
  | 'quota'
  | 'capacity'
  | 'rate_limited'
  | 'unavailable'
  | 'network'
  | 'timeout'
  | 'invalid_response'
  | 'unknown';

/** Every {@link ProviderErrorCategory}. */
export const PROVIDER_ERROR_CATEGORIES: readonly ProviderErrorCategory[] = [
  'auth',
  'permission',
  'not_found',
  'invalid_input',
  'invalid_request',
  'conflict',
  'quota',
  'capacity',
  'rate_limited',
  'unavailable',
  'network',
  'timeout',
  'invalid_response',
  'unknown',
];

const RETRYABLE_CATEGORIES: ReadonlySet<ProviderErrorCategory> = new Set([
  'rate_limited',
  'unavailable',
  'network',
  'timeout',
]);

/** Whether an error of this category is worth retrying by default. */
export function isRetryableCategory(category: ProviderErrorCategory): boolean {
  return RETRYABLE_CATEGORIES.has(category);
}

/** A `ProviderError` of a retryable category: a failure a later attempt may not meet. */
export function isTransientFailure(error: unknown): error is ProviderError {
  return error instanceof ProviderError && isRetryableCategory(error.category);
}

/** A value of {@link ProviderErrorContext}: plain data only. */
export type ProviderErrorContextValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | ProviderErrorContext
  | ProviderErrorContextValue[];

/** Safe diagnostics attached to an error (ids, zones, counts): never a secret, never user data. */
export interface ProviderErrorContext {
  [key: string]: ProviderErrorContextValue;
}

/**
 * SAM's coarse error vocabulary, accepted by the positional constructor and mapped onto
 * {@link ProviderErrorCategory}: `transient_capacity` → `capacity`, `quota_exceeded` → `quota`,
 * `invalid_config` → `invalid_request`, `auth_error` → `auth`.
 */
export type SamProviderErrorCategory =
  | 'transient_capacity'
  | 'quota_exceeded'
  | 'invalid_config'
  | 'rate_limited'
  | 'auth_error'
  | 'unknown';

const SAM_CATEGORIES: Readonly<Record<SamProviderErrorCategory, ProviderErrorCategory>> = {
  transient_capacity: 'capacity',
  quota_exceeded: 'quota',
  invalid_config: 'invalid_request',
  rate_limited: 'rate_limited',
  auth_error: 'auth',
  unknown: 'unknown',
};

/** The fields of a {@link ProviderError}. Every string here must already be free of secrets. */
export interface ProviderErrorInit {
  provider: string;
  category: ProviderErrorCategory;
  message: string;
  /** Defaults to the category's verdict ({@link isRetryableCategory}). */
  retryable?: boolean;
  statusCode?: number;
  /** The provider's own error code or type, verbatim (e.g. `denied_authentication`, `not_found`). */
  code?: string;
  /** How long the provider asked us to wait before retrying, in milliseconds. */
  retryAfterMs?: number;
  /** The provider's request id (`X-Request-Id`), for support tickets. */
  requestId?: string;
  /** The field of the caller's input that was rejected (`invalid_input` only). */
  field?: string;
  /** Safe diagnostics (ids, zones, counts). */
  context?: ProviderErrorContext;
  /** What caused this error. Must itself be secret-free: build it with {@link sanitizeCause}. */
  cause?: unknown;
}

/** The options of SAM's positional constructor, `new ProviderError(providerName, statusCode, message, options)`. */
export interface ProviderErrorOptions {
  cause?: unknown;
  context?: ProviderErrorContext | undefined;
  providerCode?: string | undefined;
  /** Either vocabulary; absent, the category follows from `statusCode`. */
  category?: ProviderErrorCategory | SamProviderErrorCategory | undefined;
  retryable?: boolean | undefined;
  retryAfterMs?: number | undefined;
}

/**
 * The only error this library throws (apart from the caller's own abort reason, which passes through untouched).
 *
 * It never holds a secret: no API key, auth header or user data appears in its message, string form,
 * JSON form, stack or cause chain.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  /** The provider that failed (`hetzner`, `scaleway`, …). */
  readonly providerName: string;
  /** The same as {@link ProviderError.providerName}. */
  readonly provider: string;
  readonly category: ProviderErrorCategory;
  readonly retryable: boolean;
  /** The HTTP status, when the failure was an HTTP answer. */
  readonly statusCode: number | undefined;
  /** The provider's raw error code or type (e.g. `placement_error`, `out_of_stock`), when it gave one. */
  readonly providerCode: string | undefined;
  /** The same as {@link ProviderError.providerCode}. */
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly requestId: string | undefined;
  readonly field: string | undefined;
  /** Safe diagnostics: ids, zones, attempt counts. Never a secret or user data. */
  readonly context: ProviderErrorContext | undefined;
  /** Errors raised while cleaning up after this one (e.g. deleting a half-created VM). */
  readonly cleanupErrors: unknown[] = [];

  constructor(init: ProviderErrorInit);
  constructor(
    providerName: string,
    statusCode: number | undefined,
    message: string,
    options?: ProviderErrorOptions,
  );
  constructor(
    initOrName: ProviderErrorInit | string,
    statusCode?: number,
    message?: string,
    options: ProviderErrorOptions = {},
  ) {
    const init =
      typeof initOrName === 'string' ? fromPositional(initOrName, statusCode, message, options) : initOrName;
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.providerName = init.provider;
    this.provider = init.provider;
    this.category = init.category;
    this.retryable = init.retryable ?? isRetryableCategory(init.category);
    this.statusCode = init.statusCode;
    this.providerCode = init.code;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
    this.requestId = init.requestId;
    this.field = init.field;
    this.context = init.context;
  }

  /** A plain, secret-free summary (used by `JSON.stringify`). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      provider: this.providerName,
      providerName: this.providerName,
      category: this.category,
      message: this.message,
      retryable: this.retryable,
      statusCode: this.statusCode,
      providerCode: this.providerCode,
      retryAfterMs: this.retryAfterMs,
      requestId: this.requestId,
      field: this.field,
      context: this.context,
      cleanupErrors: this.cleanupErrors.map((error) =>
        error instanceof ProviderError ? error.toJSON() : String(error),
      ),
    };
  }
}

function fromPositional(
  provider: string,
  statusCode: number | undefined,
  message: string | undefined,
  options: ProviderErrorOptions,
): ProviderErrorInit {
  const given = options.category;
  const category =
    given === undefined
      ? statusCode === undefined
        ? 'unknown'
        : statusFallback(statusCode).category
      : Object.hasOwn(SAM_CATEGORIES, given)
        ? SAM_CATEGORIES[given as SamProviderErrorCategory]
        : (given as ProviderErrorCategory);
  return {
    provider,
    category,
    message: message ?? '',
    ...(statusCode === undefined ? {} : { statusCode }),
    ...(options.providerCode === undefined ? {} : { code: options.providerCode }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.retryable === undefined ? {} : { retryable: options.retryable }),
    ...(options.retryAfterMs === undefined ? {} : { retryAfterMs: options.retryAfterMs }),
    ...(options.cause === undefined ? {} : { cause: options.cause }),
  };
}

/** True when `error` is a {@link ProviderError}, optionally of one of the given categories. */
export function isProviderError(
  error: unknown,
  ...categories: ProviderErrorCategory[]
): error is ProviderError {
  return error instanceof ProviderError && (categories.length === 0 || categories.includes(error.category));
}

/**
 * The same error with another message (e.g. naming the zone it happened in); the original becomes its cause, and
 * its cleanup errors carry over.
 */
export function withMessage(error: ProviderError, message: string): ProviderError {
  const copy = new ProviderError({
    provider: error.provider,
    category: error.category,
    retryable: error.retryable,
    message,
    cause: error,
    ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
    ...(error.code === undefined ? {} : { code: error.code }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
    ...(error.requestId === undefined ? {} : { requestId: error.requestId }),
    ...(error.field === undefined ? {} : { field: error.field }),
    ...(error.context === undefined ? {} : { context: error.context }),
  });
  copy.cleanupErrors.push(...error.cleanupErrors);
  return copy;
}

/** An `invalid_input` error naming the rejected field. */
export function invalidInput(provider: string, field: string, problem: string): ProviderError {
  return new ProviderError({
    provider,
    category: 'invalid_input',
    field,
    message: `Invalid ${field}: ${problem}`,
  });
}

/**
 * Replace every occurrence of each secret in `text` with `[REDACTED]`, in its raw form and in its JSON-escaped form
 * (user data travels inside JSON bodies). Secrets shorter than 4 characters are not searched for: they would
 * shred ordinary text.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const escaped = JSON.stringify(secret).slice(1, -1);
    for (const form of escaped === secret ? [secret] : [secret, escaped]) {
      result = result.split(form).join('[REDACTED]');
    }
  }
  return result;
}

/**
 * A secret-free copy of a low-level error (fetch's TypeError and its `cause`), keeping name, message and code
 * for diagnosis. The original may carry request details we do not control, so it is never attached as is.
 */
export function sanitizeCause(error: unknown, secrets: readonly string[], depth = 0): Error | undefined {
  if (error === undefined || error === null || depth > 3) return undefined;
  const source = error instanceof Error ? error : new Error(String(error));
  const nested = sanitizeCause(source.cause, secrets, depth + 1);
  const copy = new Error(
    redact(source.message, secrets),
    nested === undefined ? undefined : { cause: nested },
  );
  copy.name = source.name;
  const code = (source as { code?: unknown }).code;
  if (typeof code === 'string') Object.assign(copy, { code });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}
