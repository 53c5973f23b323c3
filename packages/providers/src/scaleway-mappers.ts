import type { HttpErrorContext, MappedHttpError } from './http-client.js';
import { labelsFromPairs } from './labels.js';
import { type ScalewayBlockVolume, type ScalewayServer, scalewayErrorSchema } from './scaleway-schemas.js';
import { statusFallback } from './status-fallback.js';
import { normalizeTimestamp } from './timestamps.js';
import type { VMInstance, VMStatus } from './types.js';
import type { VolumeInstance, VolumeStatus } from './volume-types.js';

/** Scaleway server state → ours (docs/scaleway-api.md §5.1); a server stopping to terminate is being deleted (§5.3). */
export function mapScalewayStatus(state: string, detail = ''): VMStatus {
  switch (state) {
    case 'running':
      return 'running';
    case 'stopped':
    case 'stopped in place':
      return 'off';
    case 'starting':
      return 'starting';
    case 'stopping':
      return detail === 'terminating' ? 'deleting' : 'stopping';
    case 'locked':
      return 'locked';
    default:
      return 'unknown';
  }
}

/** Labels as tags: `key=value`. */
export function labelsToTags(labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(labels).map(([key, value]) => `${key}=${value}`);
}

/**
 * Tags as labels: split on the first `=`. A tag without `=` (or with an empty key) is not a label and is ignored;
 * a key present twice is ambiguous and becomes the marker `hasAmbiguousLabel` reads, never one of its values.
 */
export function tagsToLabels(tags: readonly string[]): Record<string, string> {
  return labelsFromPairs(
    tags.flatMap((tag): Array<[string, string]> => {
      const separator = tag.indexOf('=');
      return separator <= 0 ? [] : [[tag.slice(0, separator), tag.slice(separator + 1)]];
    }),
  );
}

/** The public IPv4 of a server: `public_ips` (§3), else the deprecated `public_ip` mirror; `''` when none. */
function publicIpv4(server: ScalewayServer): string {
  const ipv4 = (server.public_ips ?? []).find((ip) => ip.family !== 'inet6' && ip.address);
  return ipv4?.address ?? (server.public_ip?.family !== 'inet6' ? (server.public_ip?.address ?? '') : '');
}

/** A server as a VM; its id carries the zone (`{zone}/{uuid}`) so later calls go straight to it. */
export function mapScalewayServer(server: ScalewayServer, zone: string): VMInstance {
  return {
    id: `${zone}/${server.id}`,
    name: server.name,
    ip: publicIpv4(server),
    status: mapScalewayStatus(server.state, server.state_detail ?? ''),
    statusDetail: server.state_detail ? `${server.state}: ${server.state_detail}` : server.state,
    serverType: server.commercial_type,
    location: zone,
    createdAt: normalizeTimestamp(server.creation_date),
    labels: tagsToLabels(server.tags ?? []),
  };
}

type Verdict = Pick<MappedHttpError, 'category' | 'retryable'>;

const SCALEWAY_ERROR_TYPES: Readonly<Record<string, Verdict>> = {
  denied_authentication: { category: 'auth' },
  invalid_auth: { category: 'auth' },
  permissions_denied: { category: 'permission' },
  not_found: { category: 'not_found' },
  unknown_resource: { category: 'not_found' },
  invalid_arguments: { category: 'invalid_request' },
  // §5.5: wrong-state and transient-state refusals: re-poll, then decide.
  transient_state: { category: 'conflict' },
  locked: { category: 'conflict' },
  precondition_failed: { category: 'conflict' },
  conflict: { category: 'conflict' },
  already_exists: { category: 'conflict' },
  quotas_exceeded: { category: 'quota' },
  out_of_stock: { category: 'capacity' },
  too_many_requests: { category: 'rate_limited' },
  resource_expired: { category: 'not_found' },
  expired: { category: 'not_found' },
};

/** §5.5, §6.1: the legacy wrong-state messages ("server should be running", "instance should be powered off"…). */
const WRONG_STATE = /should be|powered off|not in '?\w+'? state|transient|protected|in use|locked/i;

/**
 * Read a failed Scaleway response (§7): `type` decides; the legacy `invalid_request_error` is a quota error when its
 * message says so, a wrong-state refusal when its message speaks of state, and an argument error otherwise. 429 (an
 * empty gateway body, §12) and 5xx are decided by status.
 */
export function mapScalewayError({ status, body }: HttpErrorContext): MappedHttpError {
  const parsed = scalewayErrorSchema.safeParse(body);
  const error = parsed.success ? parsed.data : {};
  const fallback = statusFallback(status);
  const type = error.type ?? undefined;
  let verdict: Verdict | undefined;
  if (status === 429) verdict = { category: 'rate_limited' };
  else if (status >= 500 && type !== 'out_of_stock') verdict = { category: 'unavailable' };
  else if (type === 'invalid_request_error') {
    const message = error.message ?? '';
    if (/quota/i.test(message)) verdict = { category: 'quota' };
    else if (error.fields === undefined && WRONG_STATE.test(message)) verdict = { category: 'conflict' };
    else verdict = { category: 'invalid_request' };
  } else if (type !== undefined && Object.hasOwn(SCALEWAY_ERROR_TYPES, type))
    verdict = SCALEWAY_ERROR_TYPES[type];
  const resource = error.resource
    ? ` (${error.resource}${error.resource_id ? ` ${error.resource_id}` : ''})`
    : '';
  const retryAfterMs = typeof error.reset_seconds === 'number' ? error.reset_seconds * 1000 : undefined;
  return {
    ...(verdict ?? fallback),
    message: `Scaleway API ${status}${type === undefined ? '' : ` ${type}`}: ${error.message ?? fallback.message}${resource}`,
    ...(type === undefined ? {} : { code: type }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

/** A Block volume's state (§15.4) with its attachment (§15.9) → ours: the reference says attaching or detaching. */
export function mapScalewayVolumeStatus(volume: ScalewayBlockVolume): VolumeStatus {
  const reference = scalewayServerReferenceStatus(volume);
  switch (volume.status) {
    case 'creating':
      return 'creating';
    case 'available':
      return 'available';
    case 'in_use':
      if (reference === 'attaching') return 'attaching';
      if (reference === 'detaching') return 'detaching';
      return 'attached';
    case 'updating':
    case 'resizing':
      return 'resizing';
    case 'deleting':
      return 'deleting';
    default:
      return 'unknown';
  }
}

function serverReference(volume: ScalewayBlockVolume) {
  return (volume.references ?? []).find(
    (candidate) =>
      candidate.product_resource_type === 'instance_server' &&
      typeof candidate.product_resource_id === 'string',
  );
}

/** The server a Block volume is attached to, as a zonal VM id, if any. */
export function scalewayVolumeServer(volume: ScalewayBlockVolume, zone: string): string | undefined {
  const reference = serverReference(volume);
  return reference?.product_resource_id ? `${zone}/${reference.product_resource_id}` : undefined;
}

/** The status of the Instance server's reference (§15.2: `attaching`, `attached`, `detaching`…), if any. */
export function scalewayServerReferenceStatus(volume: ScalewayBlockVolume): string | undefined {
  return serverReference(volume)?.status ?? undefined;
}

/** A Block volume as a `VolumeInstance`: a zonal id, sizes in GB (10^9 bytes, §15.2), labels from its tags. */
export function mapScalewayVolume(volume: ScalewayBlockVolume, zone: string): VolumeInstance {
  const attachedServerId = scalewayVolumeServer(volume, zone);
  return {
    id: `${zone}/${volume.id}`,
    name: volume.name,
    sizeGb: volume.size / 1e9,
    location: zone,
    status: mapScalewayVolumeStatus(volume),
    ...(attachedServerId === undefined ? {} : { attachedServerId }),
    // §15.11: the stable path inside the guest.
    linuxDevice: `/dev/disk/by-id/scsi-0SCW_sbs_volume-${volume.id}`,
    ...(volume.type ? { volumeType: volume.type } : {}),
    createdAt: normalizeTimestamp(volume.created_at),
    labels: tagsToLabels(volume.tags ?? []),
  };
}
