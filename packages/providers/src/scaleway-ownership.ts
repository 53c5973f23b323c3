import { mapConcurrent } from './concurrency.js';
import { isProviderError, isTransientFailure } from './errors.js';
import type { Leftover } from './leftovers.js';
import type { CallOptions } from './scaleway-client.js';
import type { ScalewayContext } from './scaleway-config.js';
import { SCALEWAY_UUID } from './scaleway-ids.js';
import { listScalewayZoneServers, readScalewayServer } from './scaleway-listing.js';
import { tagsToLabels } from './scaleway-mappers.js';
import type { ScalewayBlockVolume, ScalewayLocalVolume, ScalewayServer } from './scaleway-schemas.js';

/**
 * Ownership marks (docs/scaleway-api.md §6.5, §15.12). Nothing links a volume to its server once the server is gone
 * (§6.1, §15.10: references drop to `[]`, `server: null`), so right before the request that removes a server and
 * leaves its boot volume behind, the boot volume is tagged with its VM: a `deleteVM` retried after the server went
 * finds it by the VM's id, and the leftovers sweep by the constant mark. Neither tag has `=`, so neither is ever read
 * back as a label; the VM's labels are copied beside them, so that a sweep can be scoped by label.
 */
export const OWNED_TAG = 'sam-owned';
const OWNER_TAG_PREFIX = 'sam-vm:';
/** §15.5, §8.1: 100 per page at most. */
const PAGE_SIZE = 100;
const MAX_PAGES = 100;
const ZONE_CONCURRENCY = 10;

export const ownerTag = (serverUuid: string) => `${OWNER_TAG_PREFIX}${serverUuid}`;

/** The uuid of the VM a volume's marks name, if any: a UUID only (it goes into a request path). */
function ownerOf(tags: readonly string[]): string | undefined {
  const owner = tags.find((tag) => tag.startsWith(OWNER_TAG_PREFIX))?.slice(OWNER_TAG_PREFIX.length);
  return owner !== undefined && SCALEWAY_UUID.test(owner) ? owner.toLowerCase() : undefined;
}

/** True when a Block volume carries the library's ownership mark: a boot volume, never a data volume. */
export function isOwnedVolume(volume: { tags?: readonly string[] | null | undefined }): boolean {
  return volume.tags?.includes(OWNED_TAG) ?? false;
}

/** A boot volume that is about to outlive its server. */
export interface BootVolume {
  id: string;
  type: string;
  /** Its tags when the server's read carries them (`l_ssd`, §15.12); `undefined` for a Block volume. */
  tags?: readonly string[] | undefined;
}

/** The mark every create gives what it makes (servers: scaleway-create.ts; data volumes: scaleway-volumes.ts). */
const CREATION_TAG_PREFIX = 'sam-creation:';

/** The tags a boot volume gets before its server goes: what it had, the VM's labels, and both marks. */
function ownershipTags(server: ScalewayServer, tags: readonly string[]): string[] {
  const labels = (server.tags ?? []).filter((tag) => tag.indexOf('=') > 0);
  return [...new Set([...tags, ...labels, OWNED_TAG, ownerTag(server.id)])];
}

/**
 * Tag `volume` as `server`'s own (one `PATCH`, retried like a PUT); a Block volume is read first (its tags are not
 * in the server's read, and a PATCH replaces them). `data`: the volume carries `createVolume`'s mark, so it is a data
 * volume that sits where the boot volume was (key `"0"`, after the boot volume was detached): nothing is written,
 * and it must be neither marked nor deleted. `gone`: it answered 404. `unmarked`: it is no data volume, but the API
 * refused the tags for good (a permission, a rule): it can be deleted, just not found again by its marks.
 */
export async function markBootVolume(
  context: ScalewayContext,
  zone: string,
  server: ScalewayServer,
  volume: BootVolume,
  call: CallOptions,
): Promise<'marked' | 'data' | 'gone' | 'unmarked'> {
  let tags: readonly string[];
  try {
    tags =
      volume.type === 'sbs_volume'
        ? ((await context.client.getBlockVolume(zone, volume.id, call)).tags ?? [])
        : (volume.tags ?? []);
  } catch (error) {
    if (isProviderError(error, 'not_found')) return 'gone';
    throw error;
  }
  if (tags.some((tag) => tag.startsWith(CREATION_TAG_PREFIX))) return 'data';
  const marked = ownershipTags(server, tags);
  try {
    if (volume.type === 'sbs_volume') await context.client.tagBlockVolume(zone, volume.id, marked, call);
    else await context.client.tagLocalVolume(zone, volume.id, marked, call);
    return 'marked';
  } catch (error) {
    if (isProviderError(error, 'not_found')) return 'gone';
    if (isTransientFailure(error) || !isProviderError(error)) throw error;
    return 'unmarked';
  }
}

/**
 * The volumes marked as the gone server `serverUuid`'s own in `zone` and held by no other server: one Block list and
 * one Instance list, at once.
 */
export async function findOwnedVolumes(
  context: ScalewayContext,
  zone: string,
  serverUuid: string,
  call: CallOptions,
): Promise<BootVolume[]> {
  const tag = ownerTag(serverUuid);
  // A list answers 404 only when the API has no such list (an API or fake without local volumes): nothing marked
  // can be there, and the delete of a VM already gone must still resolve.
  const orNone = <T>(list: Promise<T[]>) =>
    list.catch((error: unknown) => {
      if (isProviderError(error, 'not_found')) return [] as T[];
      throw error;
    });
  const [block, local] = await Promise.all([
    orNone(blockVolumesTagged(context, zone, tag, call)),
    orNone(localVolumesTagged(context, zone, tag, call)),
  ]);
  return [
    ...block
      .filter((volume) => referencedServers(volume).every((holder) => holder === serverUuid))
      .map((volume) => ({ id: volume.id, type: 'sbs_volume' })),
    ...local
      .filter((volume) => (volume.server?.id ?? serverUuid) === serverUuid)
      .map((volume) => ({ id: volume.id, type: volume.volume_type ?? 'l_ssd' })),
  ];
}

/**
 * The leftovers of every zone: volumes carrying {@link OWNED_TAG} (and `labels`) that no server holds and whose
 * VM is gone (a volume whose VM still exists is a delete in progress, or one a retried `deleteVM` finishes), and
 * the servers of creates that never finished ({@link abandonedCreates}).
 */
export async function findScalewayLeftovers(
  context: ScalewayContext,
  labels: Readonly<Record<string, string>>,
  call: CallOptions,
): Promise<Leftover[]> {
  const matches = (tags: readonly string[] | null | undefined) => {
    const own = tagsToLabels(tags ?? []);
    return Object.entries(labels).every(([key, value]) => Object.hasOwn(own, key) && own[key] === value);
  };
  const perZone = await mapConcurrent(context.zones, ZONE_CONCURRENCY, async (zone) => {
    const [block, local, abandoned] = await Promise.all([
      blockVolumesTagged(context, zone, OWNED_TAG, call),
      localVolumesTagged(context, zone, OWNED_TAG, call),
      abandonedCreates(context, zone, labels, call),
    ]);
    const candidates = [
      ...block
        .filter((volume) => referencedServers(volume).length === 0 && matches(volume.tags))
        .map((volume) => blockLeftover(zone, volume)),
      ...local
        .filter((volume) => (volume.server ?? null) === null && matches(volume.tags))
        .map((volume) => localLeftover(zone, volume)),
    ];
    // A marked volume whose VM still exists is not a leftover: that VM's deleteVM owns it.
    const owners = [
      ...new Set(candidates.flatMap((leftover) => (leftover.owner === undefined ? [] : [leftover.owner]))),
    ];
    const live = new Set<string>();
    await mapConcurrent(owners, 4, async (owner) => {
      if ((await readScalewayServer(context, zone, owner, call)) !== undefined) live.add(owner);
    });
    return [
      ...candidates
        .filter((candidate) => candidate.owner === undefined || !live.has(candidate.owner))
        .map((candidate) => candidate.leftover),
      ...abandoned,
    ];
  });
  return perZone.flat();
}

/** A create older than this that never set its cloud-init is over: nobody is still running it (clock skew included). */
const ABANDONED_AFTER_MS = 15 * 60_000;

/**
 * The servers of creates that never finished (docs/scaleway-api.md §4.2, §6.5): a create `POST`s the server
 * stopped, with its `sam-creation:` mark, then sets `cloud-init`, then powers it on. A server carrying the mark that
 * is still `stopped` without `cloud-init` long after its creation is one whose create gave up before the second step
 * and could not delete it (its answer lost, then every lookup failed): nobody holds its id. One list per zone (every
 * page), then one read of the user-data keys per such stopped server.
 */
async function abandonedCreates(
  context: ScalewayContext,
  zone: string,
  labels: Readonly<Record<string, string>>,
  call: CallOptions,
): Promise<Leftover[]> {
  const tags = Object.entries(labels)
    .filter(([, value]) => !value.includes(','))
    .map(([key, value]) => `${key}=${value}`);
  const servers = await listScalewayZoneServers(
    context,
    zone,
    tags.length === 0 ? undefined : tags.join(','),
    call.signal,
  );
  const now = Date.now();
  const stopped = servers.filter((server) => {
    const created = Date.parse(server.creation_date ?? '');
    const own = tagsToLabels(server.tags ?? []);
    return (
      server.state === 'stopped' &&
      (server.tags ?? []).some((tag) => tag.startsWith(CREATION_TAG_PREFIX)) &&
      Number.isFinite(created) &&
      now - created > ABANDONED_AFTER_MS &&
      Object.entries(labels).every(([key, value]) => Object.hasOwn(own, key) && own[key] === value)
    );
  });
  const abandoned: Leftover[] = [];
  await mapConcurrent(stopped, 4, async (server) => {
    let keys: string[];
    try {
      keys = await context.client.userDataKeys(zone, server.id, call);
    } catch (error) {
      if (isProviderError(error, 'not_found')) return;
      throw error;
    }
    if (keys.includes('cloud-init')) return;
    abandoned.push({
      kind: 'server',
      type: 'server',
      id: `${zone}/${server.id}`,
      location: zone,
      name: server.name,
      description: 'server of a create that never finished (stopped, no cloud-init, nobody holds its id)',
      vmId: `${zone}/${server.id}`,
      labels: tagsToLabels(server.tags ?? []),
    });
  });
  return abandoned;
}

interface Candidate {
  owner: string | undefined;
  leftover: Leftover;
}

function blockLeftover(zone: string, volume: ScalewayBlockVolume): Candidate {
  return candidate(zone, volume.id, volume.name, 'sbs_volume', volume.size, volume.tags ?? []);
}

function localLeftover(zone: string, volume: ScalewayLocalVolume): Candidate {
  return candidate(
    zone,
    volume.id,
    volume.name ?? '',
    volume.volume_type ?? 'l_ssd',
    volume.size,
    volume.tags ?? [],
  );
}

function candidate(
  zone: string,
  id: string,
  name: string,
  type: string,
  size: number | null | undefined,
  tags: readonly string[],
): Candidate {
  const owner = ownerOf(tags);
  const sizeGb = typeof size === 'number' ? size / 1_000_000_000 : undefined;
  const vmId = owner === undefined ? undefined : `${zone}/${owner}`;
  return {
    owner,
    leftover: {
      kind: 'volume',
      type,
      id: `${zone}/${id}`,
      location: zone,
      name,
      description: `boot volume (${type}${sizeGb === undefined ? '' : `, ${sizeGb} GB`})${vmId === undefined ? '' : ` of deleted VM ${vmId}`}`,
      vmId,
      labels: tagsToLabels(tags),
      sizeGb,
    },
  };
}

/** The uuids of the servers a Block volume's references name. */
function referencedServers(volume: ScalewayBlockVolume): string[] {
  return (volume.references ?? []).flatMap((reference) =>
    reference.product_resource_id === undefined || reference.product_resource_id === null
      ? []
      : [reference.product_resource_id],
  );
}

/** Every item of a list walked page by page until a short page (at most `MAX_PAGES`). */
async function allPages<T>(page: (number: number) => Promise<readonly T[]>): Promise<T[]> {
  const items: T[] = [];
  for (let number = 1; number <= MAX_PAGES; number++) {
    const batch = await page(number);
    items.push(...batch);
    if (batch.length < PAGE_SIZE) break;
  }
  return items;
}

/** Every Block volume of the project in `zone` carrying `tag` (the filter is applied again here). */
export async function blockVolumesTagged(
  context: ScalewayContext,
  zone: string,
  tag: string,
  call: CallOptions,
): Promise<ScalewayBlockVolume[]> {
  const volumes = await allPages(
    async (page) =>
      (
        await context.client.listBlockVolumes(
          zone,
          { project: context.projectId, tags: tag, page, pageSize: PAGE_SIZE },
          call,
        )
      ).volumes,
  );
  return volumes.filter((volume) => volume.tags?.includes(tag));
}

/** Every local volume of the project in `zone` carrying `tag`. */
async function localVolumesTagged(
  context: ScalewayContext,
  zone: string,
  tag: string,
  call: CallOptions,
): Promise<ScalewayLocalVolume[]> {
  const volumes = await allPages((page) =>
    context.client.listLocalVolumes(
      zone,
      { project: context.projectId, tags: tag, page, perPage: PAGE_SIZE },
      call,
    ),
  );
  return volumes.filter(
    (volume) =>
      volume.tags?.includes(tag) &&
      (volume.project === undefined || volume.project === null || volume.project === context.projectId),
  );
}
