import type { FaultRule } from '../core/faults.js';

/** A JSON error body as the API sends it (docs/scaleway-api.md §7). */
export type ScalewayErrorBody = Record<string, unknown> & { type: string };

/** One entry of an `invalid_arguments` body; `reason` ∈ `required`, `format`, `constraint`, `unknown` (§7). */
export interface ScalewayArgumentDetail {
  argument_name: string;
  reason: 'required' | 'format' | 'constraint' | 'unknown';
  help_message: string;
}

/** An API error the routes answer with; thrown by the emulated domain and rendered by the router. */
export class ScalewayApiError extends Error {
  readonly status: number;
  readonly body: ScalewayErrorBody | undefined;
  /** Content type of an empty error body (the user-data 404 is `text/plain`, §7). */
  readonly emptyContentType: string | undefined;

  constructor(status: number, body: ScalewayErrorBody | undefined, emptyContentType?: string) {
    super(typeof body?.message === 'string' ? body.message : `HTTP ${status}`);
    this.name = 'ScalewayApiError';
    this.status = status;
    this.body = body;
    this.emptyContentType = emptyContentType;
  }
}

/** 404, modern form: resources `instance_server`, `instance_volume`, `instance_image`, `instance_ip`… (§7). */
export function notFound(resource: string, resourceId: string): ScalewayApiError {
  return new ScalewayApiError(404, {
    message: 'resource is not found',
    resource,
    resource_id: resourceId,
    type: 'not_found',
  });
}

/** 400 `invalid_arguments` with details, as recorded for a create without required fields (§4.1, §7). */
export function invalidArguments(details: ScalewayArgumentDetail[]): ScalewayApiError {
  return new ScalewayApiError(400, { type: 'invalid_arguments', message: 'invalid argument(s)', details });
}

/** 400 with the legacy `invalid_request_error` type that Instance still uses for wrong-state calls (§5.5, §6.1). */
export function invalidRequest(message: string): ScalewayApiError {
  return new ScalewayApiError(400, { message, type: 'invalid_request_error' });
}

/** §7: a missing user-data key is a 404 with an empty `text/plain` body. */
export function missingUserData(): ScalewayApiError {
  return new ScalewayApiError(404, undefined, 'text/plain');
}

/** 401, the recorded denied-authentication body (§2.3). */
export function deniedAuthentication(): ScalewayApiError {
  return new ScalewayApiError(401, {
    message: 'authentication is denied',
    method: 'api_key',
    reason: 'invalid_argument',
    type: 'denied_authentication',
  });
}

/** 403, the recorded IAM body (§2.3): `details` names the action and the resource. */
export function permissionsDenied(action: 'read' | 'write' | 'delete', resource: string): ScalewayApiError {
  return new ScalewayApiError(403, {
    details: [{ action, resource }],
    message: 'insufficient permissions',
    type: 'permissions_denied',
  });
}

/** One exceeded quota. */
export interface ScalewayQuotaDetail {
  resource: string;
  quota: number;
  current: number;
  project_id?: string;
}

// UNCONFIRMED (docs/scaleway-api.md §7): Instance may still emit the legacy `invalid_request_error` quota form; the
// standard `quotas_exceeded` form is modelled.
/** 403 `quotas_exceeded` (§7). */
export function quotasExceeded(details: ScalewayQuotaDetail[]): ScalewayApiError {
  return new ScalewayApiError(403, {
    type: 'quotas_exceeded',
    message: 'quota(s) exceeded for this resource',
    details,
  });
}

// UNCONFIRMED (docs/scaleway-api.md §5.5): recorded for other products only; Instance usage is not recorded.
/** 409 `transient_state` (§7). */
export function transientState(resource: string, resourceId: string, currentState: string): ScalewayApiError {
  return new ScalewayApiError(409, {
    type: 'transient_state',
    message: 'resource is in a transient state',
    resource,
    resource_id: resourceId,
    current_state: currentState,
  });
}

// UNCONFIRMED (docs/scaleway-api.md §7): the status for Instance is not recorded; 503 appears in an SDK test.
/** 503 `out_of_stock` (§7). */
export function outOfStock(resource: string): ScalewayApiError {
  return new ScalewayApiError(503, { type: 'out_of_stock', message: 'resource is out of stock', resource });
}

// UNCONFIRMED (docs/scaleway-api.md §7): the 423 `locked` body is from SDK tests, not a live recording.
/** 423 `locked` (§7). */
export function locked(resource: string, resourceId: string): ScalewayApiError {
  return new ScalewayApiError(423, {
    type: 'locked',
    resource,
    resource_id: resourceId,
  });
}

// UNCONFIRMED (docs/scaleway-api.md §7): `precondition_failed` was recorded for Secret Manager, not for Block Storage.
/** 412 `precondition_failed` (§7). */
export function preconditionFailed(precondition: string, helpMessage: string): ScalewayApiError {
  return new ScalewayApiError(412, {
    type: 'precondition_failed',
    message: 'precondition is not respected',
    precondition,
    help_message: helpMessage,
  });
}

/**
 * The gateway's 429 (docs/scaleway-api.md §7, §12): empty body, no `Content-Type`, `X-Envoy-Ratelimited: true`, no
 * `Retry-After`. Fires on every request unless `partial` narrows it (e.g. `{ times: 2 }`).
 */
export function scalewayRateLimitFault(partial: Partial<FaultRule> = {}): FaultRule {
  return {
    label: 'scaleway rate limit',
    ...partial,
    status: 429,
    headers: { 'X-Envoy-Ratelimited': 'true', ...partial.headers },
  };
}

/** An error the emulator can answer with: its status and body (`undefined`: an empty body). */
export interface ScalewayErrorExample {
  readonly name: string;
  readonly status: number;
  readonly body: ScalewayErrorBody | undefined;
}

const UUID_EXAMPLE = '11111111-2222-4333-8444-555555555555';

/**
 * One of every error body the emulator answers with (built by the same functions the routes use), so that a
 * consumer can test its error table against all of them. The gateway's 429 is the empty-bodied entry.
 */
export const SCALEWAY_ERROR_EXAMPLES: readonly ScalewayErrorExample[] = [
  ...[
    ['not_found', notFound('instance_server', UUID_EXAMPLE)],
    ['not_found (Block volume)', notFound('volume', UUID_EXAMPLE)],
    [
      'invalid_arguments',
      invalidArguments([{ argument_name: 'name', reason: 'required', help_message: 'required' }]),
    ],
    [
      'invalid_arguments (volume not attached)',
      invalidArguments([
        {
          argument_name: 'volume_id',
          reason: 'constraint',
          help_message: `Volume ${UUID_EXAMPLE} is not attached to this server`,
        },
      ]),
    ],
    ['invalid_request_error (wrong state)', invalidRequest('server should be running')],
    ['invalid_request_error (powered off)', invalidRequest('instance should be powered off')],
    ['invalid_request_error (bad body)', invalidRequest('the request body is not valid JSON')],
    ['missing user data', missingUserData()],
    ['denied_authentication', deniedAuthentication()],
    ['permissions_denied', permissionsDenied('write', 'server')],
    ['quotas_exceeded', quotasExceeded([{ resource: 'instances_dev1_m', quota: 1, current: 1 }])],
    ['transient_state', transientState('instance_server', UUID_EXAMPLE, 'starting')],
    ['transient_state (Block volume)', transientState('volume', UUID_EXAMPLE, 'updating')],
    ['out_of_stock', outOfStock('DEV1-M')],
    ['locked', locked('instance_server', UUID_EXAMPLE)],
    [
      'precondition_failed',
      preconditionFailed('resource_still_in_use', 'the volume is attached to a server; detach it first'),
    ],
  ].map(([name, error]) => ({
    name: name as string,
    status: (error as ScalewayApiError).status,
    body: (error as ScalewayApiError).body,
  })),
  { name: 'gateway rate limit', status: 429, body: undefined },
];
