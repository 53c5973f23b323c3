import { invalidInput } from './errors.js';
import { SCALEWAY_ZONE_IDS } from './scaleway-catalog.js';
import { SCALEWAY_PROVIDER } from './scaleway-config.js';

export const SCALEWAY_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** A server id taken apart: `zone` is `''` for a bare UUID (from older records). */
export interface ScalewayServerRef {
  zone: string;
  uuid: string;
}

/** `{zone}/{uuid}` with a known zone, or a bare UUID; `undefined` for anything this provider could never have issued. */
export function parseScalewayServerId(id: string): ScalewayServerRef | undefined {
  if (typeof id !== 'string') return undefined;
  const slash = id.indexOf('/');
  const zone = slash === -1 ? '' : id.slice(0, slash);
  const uuid = slash === -1 ? id : id.slice(slash + 1);
  if (!SCALEWAY_UUID.test(uuid)) return undefined;
  if (zone !== '' && !(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone)) return undefined;
  // The API speaks lower-case UUIDs, and the marks a delete writes carry them so (docs/scaleway-api.md §6.5).
  return { zone, uuid: uuid.toLowerCase() };
}

/** {@link parseScalewayServerId}, or an `invalid_input` naming `id`. */
export function requireScalewayServerId(id: string): ScalewayServerRef {
  const ref = parseScalewayServerId(id);
  if (ref === undefined) {
    throw invalidInput(
      SCALEWAY_PROVIDER,
      'id',
      'must be "{zone}/{uuid}" with a known zone, or a server UUID',
    );
  }
  return ref;
}
