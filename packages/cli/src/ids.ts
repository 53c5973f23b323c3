import { SCALEWAY_ZONE_IDS } from '@simple-agent-manager/providers';
import { PROVIDER_TITLES, type ProviderName } from './target.js';
import { UsageError } from './usage-error.js';

/**
 * The ids the CLI accepts, checked before anything is sent. The library resolves `deleteVM` and `getVM` of an id it
 * could never have issued (SAM's contract: nothing to delete, nothing found), so without this check a typo would
 * read as "already gone". The shapes are the providers' own: what `createVM` and `createVolume` return.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const POSITIVE_INTEGER = /^[1-9][0-9]{0,15}$/;

function zonal(id: string): { zone: string; uuid: string } | undefined {
  const slash = id.indexOf('/');
  if (slash === -1) return undefined;
  const zone = id.slice(0, slash);
  const uuid = id.slice(slash + 1);
  if (!(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone) || !UUID.test(uuid)) return undefined;
  return { zone, uuid };
}

const VM_SHAPES: Readonly<Record<ProviderName, string>> = {
  scaleway:
    '{zone}/{uuid} with a known zone (e.g. fr-par-1/<uuid>, as `create` and `list` print it), or a bare server UUID',
  hetzner: 'a positive integer (e.g. 4711, as `create` and `list` print it)',
};

const VOLUME_SHAPES: Readonly<Record<ProviderName, string>> = {
  scaleway:
    '{zone}/{uuid} with a known zone (e.g. fr-par-1/<uuid>, as `volume create` and `volume list` print it)',
  hetzner: 'a positive integer (e.g. 4711, as `volume create` and `volume list` print it)',
};

/** `id` as people read it in a message: quoted, so that an empty or blank id shows. */
function quoted(id: string): string {
  const text = JSON.stringify(id);
  return text.length > 80 ? `${text.slice(0, 79)}…"` : text;
}

/** Whether `id` is a VM id the provider could have issued. */
export function isVMId(provider: ProviderName, id: string): boolean {
  if (provider === 'hetzner') return POSITIVE_INTEGER.test(id);
  return UUID.test(id) || zonal(id) !== undefined;
}

/** Check a VM id given as `argument` (`<id>`, `--vm`): a malformed one is a usage error naming the shape. */
export function checkVMId(provider: ProviderName, id: string, argument: string): string {
  if (!isVMId(provider, id)) {
    throw new UsageError(
      `invalid VM id ${quoted(id)} (${argument}): a ${PROVIDER_TITLES[provider]} VM id is ${VM_SHAPES[provider]}`,
    );
  }
  return id;
}

/** Check a volume id given as `argument`: a malformed one is a usage error naming the shape. */
export function checkVolumeId(provider: ProviderName, id: string, argument: string): string {
  const valid = provider === 'hetzner' ? POSITIVE_INTEGER.test(id) : zonal(id) !== undefined;
  if (!valid) {
    throw new UsageError(
      `invalid volume id ${quoted(id)} (${argument}): a ${PROVIDER_TITLES[provider]} volume id is ${VOLUME_SHAPES[provider]}`,
    );
  }
  return id;
}

/**
 * Check every VM id and drop repeats, keeping the first of each in the order given. Scaleway UUIDs are compared
 * without case (the API answers in lower case); a bare UUID and a zonal id are kept apart, since the bare one may
 * name a server in another zone.
 */
export function uniqueVMIds(provider: ProviderName, ids: readonly string[], argument: string): string[] {
  const seen = new Set<string>();
  const unique: string[] = [];
  for (const id of ids) {
    checkVMId(provider, id, argument);
    const key = provider === 'scaleway' ? id.toLowerCase() : id;
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(id);
  }
  return unique;
}
