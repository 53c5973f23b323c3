import {
  type HetznerAction,
  type HetznerServer,
  type HetznerVolume,
  hetznerErrorSchema,
} from './hetzner-schemas.js';
import type { HttpErrorContext, MappedHttpError } from './http-client.js';
import { labelsFromPairs } from './labels.js';
import { statusFallback } from './status-fallback.js';
import { normalizeTimestamp } from './timestamps.js';
import type { VMInstance, VMStatus } from './types.js';
import type { VolumeInstance, VolumeStatus } from './volume-types.js';

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
  // docs/hetzner-api.md "Volumes": a server's attach limit (16), what the CSI driver reads as "attach limit reached".
  limit_exceeded_error: { category: 'quota' },
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

/**
 * A failed action's `error` (docs/hetzner-api.md "Action objects and polling") read with the same table as an HTTP
 * error; a code the table does not know (`unknown_error`, `user_action_required`) is `unknown`, not retryable.
 */
export function mapHetznerActionError(
  action: Pick<HetznerAction, 'id' | 'command' | 'error'>,
): Omit<MappedHttpError, 'retryAfterMs'> {
  const code = action.error?.code;
  const verdict: HetznerErrorVerdict = (code !== undefined && Object.hasOwn(HETZNER_ERROR_CODES, code)
    ? HETZNER_ERROR_CODES[code]
    : undefined) ?? { category: 'unknown', retryable: false };
  return {
    ...verdict,
    message: `Hetzner action ${action.id}${action.command ? ` (${action.command})` : ''} failed${
      code === undefined ? '' : ` with ${code}`
    }: ${action.error?.message ?? 'no reason given'}`,
    ...(code === undefined ? {} : { code }),
  };
}

/** A label filter as Hetzner's `label_selector` (comma means AND), or `undefined` for no filter. */
export function hetznerLabelSelector(filter: Readonly<Record<string, string>>): string | undefined {
  const selector = Object.entries(filter)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  return selector === '' ? undefined : selector;
}

/**
 * A volume's status (docs/hetzner-api.md "Volume object": `creating` or `available` only) with its attachment: an
 * `available` volume with a `server` is attached.
 */
export function mapHetznerVolumeStatus(volume: Pick<HetznerVolume, 'status' | 'server'>): VolumeStatus {
  switch (volume.status) {
    case 'creating':
      return 'creating';
    case 'available':
      return volume.server === null || volume.server === undefined ? 'available' : 'attached';
    default:
      return 'unknown';
  }
}

/** A Hetzner volume as a `VolumeInstance`: ids as integer strings, sizes already in GB, labels with the marker rule. */
export function mapHetznerVolume(volume: HetznerVolume): VolumeInstance {
  const server = volume.server ?? undefined;
  return {
    id: String(volume.id),
    name: volume.name,
    sizeGb: volume.size,
    location: volume.location.name,
    status: mapHetznerVolumeStatus(volume),
    ...(server === undefined ? {} : { attachedServerId: String(server) }),
    ...(volume.linux_device ? { linuxDevice: volume.linux_device } : {}),
    createdAt: normalizeTimestamp(volume.created),
    labels: labelsFromPairs(Object.entries(volume.labels ?? {})),
  };
}
