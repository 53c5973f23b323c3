import { type HetznerServer, hetznerErrorSchema } from './hetzner-schemas.js';
import type { HttpErrorContext, MappedHttpError } from './http-client.js';
import { labelsFromPairs } from './labels.js';
import { statusFallback } from './status-fallback.js';
import { normalizeTimestamp } from './timestamps.js';
import type { VMInstance, VMStatus } from './types.js';

/** Hetzner server status → ours (docs/hetzner-api.md, "Servers"). */
export function mapHetznerStatus(status: string): VMStatus {
  switch (status) {
    case 'initializing':
      return 'initializing';
    case 'starting':
      return 'starting';
    case 'running':
      return 'running';
    case 'stopping':
      return 'stopping';
    case 'off':
      return 'off';
    case 'deleting':
      return 'deleting';
    case 'migrating':
    case 'rebuilding':
      return 'busy';
    default:
      return 'unknown';
  }
}

export function mapHetznerServer(server: HetznerServer): VMInstance {
  return {
    id: String(server.id),
    name: server.name,
    ip: server.public_net?.ipv4?.ip ?? '',
    status: mapHetznerStatus(server.status),
    statusDetail: server.status,
    serverType: server.server_type.name,
    location: server.datacenter?.location.name ?? '',
    createdAt: normalizeTimestamp(server.created),
    // A JSON object cannot carry a key twice; only a reserved marker key needs dropping.
    labels: labelsFromPairs(Object.entries(server.labels ?? {})),
  };
}

type HetznerErrorVerdict = Pick<MappedHttpError, 'category' | 'retryable'>;

const HETZNER_ERROR_CODES: Readonly<Record<string, HetznerErrorVerdict>> = {
  unauthorized: { category: 'auth' },
  forbidden: { category: 'permission' },
  token_readonly: { category: 'permission' },
  invalid_input: { category: 'invalid_request' },
  json_error: { category: 'invalid_request' },
  not_found: { category: 'not_found' },
  uniqueness_error: { category: 'conflict' },
  // "another action is running; retry later"
  conflict: { category: 'conflict', retryable: true },
  locked: { category: 'conflict', retryable: true },
  protected: { category: 'conflict' },
  resource_limit_exceeded: { category: 'quota' },
  resource_unavailable: { category: 'capacity' },
  placement_error: { category: 'capacity' },
  rate_limit_exceeded: { category: 'rate_limited' },
  server_error: { category: 'unavailable' },
  service_error: { category: 'unavailable' },
  maintenance: { category: 'unavailable' },
  unavailable: { category: 'unavailable' },
  timeout: { category: 'unavailable' },
};

/**
 * docs/hetzner-api.md "Errors": Hetzner answers 422 `invalid_input` "unsupported location for server type" when a
 * type is sold out in a location (seen in production): a capacity shortage, not bad input.
 */
const UNSUPPORTED_LOCATION = /unsupported location for server type/i;
const CAPACITY: HetznerErrorVerdict = { category: 'capacity' };

/** Read a failed Hetzner response: `error.code` decides, the HTTP status is the fallback. */
export function mapHetznerError({ status, body, headers }: HttpErrorContext): MappedHttpError {
  const parsed = hetznerErrorSchema.safeParse(body);
  const fallback = statusFallback(status);
  const code = parsed.success ? parsed.data.error.code : undefined;
  const apiMessage = parsed.success ? parsed.data.error.message : undefined;
  const verdict =
    (status === 422 && UNSUPPORTED_LOCATION.test(apiMessage ?? '')
      ? CAPACITY
      : code !== undefined && Object.hasOwn(HETZNER_ERROR_CODES, code)
        ? HETZNER_ERROR_CODES[code]
        : undefined) ?? fallback;
  const reset = Number(headers.get('ratelimit-reset'));
  const retryAfterMs =
    verdict.category === 'rate_limited' && Number.isFinite(reset) && reset > 0
      ? Math.max(reset * 1000 - Date.now(), 0)
      : undefined;
  return {
    ...verdict,
    message: `Hetzner API ${status}${code === undefined ? '' : ` ${code}`}: ${apiMessage ?? fallback.message}`,
    ...(code === undefined ? {} : { code }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}
