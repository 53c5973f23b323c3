import { z } from 'zod';
import { throwIfProviderRequestAborted } from './abort.js';
import { createOnce, removeAll } from './create-once.js';
import { invalidInput, isProviderError, ProviderError } from './errors.js';
import { matchesLabels } from './labels.js';
import { SCALEWAY_ZONE_IDS } from './scaleway-catalog.js';
import type { CallOptions } from './scaleway-client.js';
import { SCALEWAY_PROVIDER, type ScalewayContext, scalewayLabelsSchema } from './scaleway-config.js';
import { SCALEWAY_UUID } from './scaleway-ids.js';
import {
  labelsToTags,
  mapScalewayVolume,
  scalewayServerReferenceStatus,
  scalewayVolumeServer,
} from './scaleway-mappers.js';
import { blockVolumesTagged, isOwnedVolume } from './scaleway-ownership.js';
import type { ScalewayBlockVolume } from './scaleway-schemas.js';
import type { ProviderRequestContext } from './types.js';
import {
  SAM_VOLUME_FILESYSTEM_FORMAT,
  SAM_VOLUME_LIFECYCLE,
  type VolumeAttachmentConfig,
  type VolumeCapabilities,
  type VolumeConfig,
  type VolumeDetachConfig,
  type VolumeInstance,
  type VolumeListConfig,
  type VolumeLookupConfig,
  type VolumeResizeConfig,
} from './volume-types.js';
import {
  parseAttachment,
  parseDetachment,
  parseLookup,
  parseResize,
  parseVolumeConfig,
  parseVolumeList,
  shrinkRefused,
  type VolumeRules,
} from './volume-validation.js';
import { pauseWithin } from './waits.js';

const GB = 1_000_000_000;
/** §15.5: page_size is at most 100; the count is in the body. */
const PAGE_SIZE = 100;
const MAX_PAGES = 1_000;
const MAX_POLL_INTERVAL_MS = 5_000;
const CREATION_TAG_PREFIX = 'sam-creation:';
/** §15.3: 5 000 IOPS, SAM's class; `sbs_5k`. */
const PERF_IOPS = 5_000;

/** docs/scaleway-api.md §15.8, §15.9: 1–10 000 GB (SAM's bound), 16 volumes per server including the boot one. */
export const SCALEWAY_VOLUME_CAPABILITIES: VolumeCapabilities = Object.freeze({
  supported: true,
  minSizeGb: 1,
  maxSizeGb: 10_000,
  growOnlyResize: true,
  requiresSameLocation: true,
  maxAttachedVolumesPerServer: 15,
  defaultFormat: SAM_VOLUME_FILESYSTEM_FORMAT,
  lifecycle: SAM_VOLUME_LIFECYCLE,
  notes: [
    'Block Storage (sbs_5k) volumes, attached through the Instance API; raw devices at /dev/disk/by-id/scsi-0SCW_sbs_volume-<uuid>.',
    'deleteVM detaches data volumes and keeps them; only the boot volume goes with the VM.',
  ],
});

const zonalId = (what: string) =>
  z
    .string()
    .refine(
      (id) => parseZonal(id) !== undefined,
      `must be a ${what} id "{zone}/{uuid}" as this provider returns it`,
    );

/** The rules of volume inputs (names: UNCONFIRMED, §15.15: no documented limit; a safe printable range). */
export function scalewayVolumeRules(context: ScalewayContext): VolumeRules {
  return {
    provider: SCALEWAY_PROVIDER,
    capabilities: SCALEWAY_VOLUME_CAPABILITIES,
    name: z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
      .regex(/^[^\u0000-\u001f\u007f]+$/, 'must not contain control characters'),
    labels: scalewayLabelsSchema,
    volumeId: zonalId('volume'),
    serverId: zonalId('VM'),
    locations: context.zones,
  };
}

interface ZonalRef {
  zone: string;
  uuid: string;
}

function parseZonal(id: string): ZonalRef | undefined {
  const slash = id.indexOf('/');
  if (slash === -1) return undefined;
  const zone = id.slice(0, slash);
  const uuid = id.slice(slash + 1);
  if (!SCALEWAY_UUID.test(uuid) || !(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone)) return undefined;
  // The API speaks lower-case UUIDs: comparisons with what it returns must too.
  return { zone, uuid: uuid.toLowerCase() };
}

/** A validated zonal id in the given location, or an `invalid_input` saying where it really is. */
function inLocation(id: string, location: string, field: string): ZonalRef {
  const ref = parseZonal(id) as ZonalRef;
  if (ref.zone !== location) {
    throw invalidInput(SCALEWAY_PROVIDER, field, `is in ${ref.zone}, not in ${location}`);
  }
  return ref;
}

/** A wait's budget: the deadline of one call's waits, the caller's signal. */
interface Budget extends CallOptions {
  deadline: number;
}

const budgetOf = (context: ScalewayContext, call: ProviderRequestContext): Budget => ({
  signal: call.signal,
  deadline: Date.now() + context.waitTimeoutMs,
});

/** §15.3: `POST /volumes` from empty, tagged with the labels and a creation mark that finds a lost answer again. */
export async function createScalewayVolume(
  context: ScalewayContext,
  config: VolumeConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseVolumeConfig(scalewayVolumeRules(context), config);
  throwIfProviderRequestAborted(call);
  const zone = valid.location;
  const creationTag = `${CREATION_TAG_PREFIX}${crypto.randomUUID()}`;
  const body = {
    name: valid.name,
    project_id: context.projectId,
    from_empty: { size: valid.sizeGb * GB },
    perf_iops: PERF_IOPS,
    tags: [...labelsToTags(valid.labels ?? {}), creationTag],
  };
  const created = await createOnce<ScalewayBlockVolume>({
    post: () => context.client.createBlockVolume(zone, body),
    find: async () => (await blockVolumesTagged(context, zone, creationTag, {}))[0],
    discard: async (volume, error) => {
      try {
        await removeWhenReleased(context, zone, volume.id, { deadline: Date.now() + context.waitTimeoutMs });
      } catch (cleanupError) {
        context.client.http.cleanupFailed(error, cleanupError, `volume ${zone}/${volume.id}`);
      }
    },
    removeTwins: async (volume) => {
      const twins = (await blockVolumesTagged(context, zone, creationTag, {})).filter(
        (twin) => twin.id !== volume.id,
      );
      await removeAll(
        context.client.http,
        twins.map((twin) => ({
          resource: `volume ${zone}/${twin.id}`,
          remove: () =>
            removeWhenReleased(context, zone, twin.id, { deadline: Date.now() + context.waitTimeoutMs }),
        })),
      );
    },
    lookupFailed: (error, lookupError) =>
      context.client.http.cleanupFailed(error, lookupError, `a volume tagged ${creationTag} in ${zone}`),
    signal: call.signal,
    retry: context.retry,
    graceMs: Math.min(context.timeoutMs, 5_000),
    pollIntervalMs: context.pollIntervalMs,
  });
  return mapScalewayVolume(created, zone);
}

/** A volume of this project, or `undefined` (404, or another project's). */
async function readVolume(
  context: ScalewayContext,
  zone: string,
  uuid: string,
  call: CallOptions,
): Promise<ScalewayBlockVolume | undefined> {
  try {
    const volume = await context.client.getBlockVolume(zone, uuid, call);
    return volume.project_id === undefined ||
      volume.project_id === null ||
      volume.project_id === context.projectId
      ? volume
      : undefined;
  } catch (error) {
    if (isProviderError(error, 'not_found')) return undefined;
    throw error;
  }
}

export async function getScalewayVolume(
  context: ScalewayContext,
  config: VolumeLookupConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance | null> {
  const valid = parseLookup(scalewayVolumeRules(context), config);
  const ref = inLocation(valid.volumeId, valid.location, 'volume.location');
  throwIfProviderRequestAborted(call);
  const volume = await readVolume(context, ref.zone, ref.uuid, call);
  return volume === undefined ? null : mapScalewayVolume(volume, ref.zone);
}

/** Every page of one zone (page 1, then the rest at once from `total_count`), filtered by exact labels here. */
export async function listScalewayVolumes(
  context: ScalewayContext,
  config: VolumeListConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance[]> {
  const valid = parseVolumeList(scalewayVolumeRules(context), config);
  throwIfProviderRequestAborted(call);
  const zone = valid.location;
  const filter = valid.labels ?? {};
  // One tag narrows the list server-side (several would mean OR, §15.12); the exact AND match is done here.
  const [narrow] = labelsToTags(filter);
  const page = (number: number) =>
    context.client.listBlockVolumes(
      zone,
      { project: context.projectId, tags: narrow, page: number, pageSize: PAGE_SIZE },
      call,
    );
  const first = await page(1);
  const volumes = [...first.volumes];
  const total = first.total_count ?? undefined;
  const pages = total === undefined ? 1 : Math.ceil(total / PAGE_SIZE);
  if (pages > MAX_PAGES) {
    throw new ProviderError({
      provider: SCALEWAY_PROVIDER,
      category: 'invalid_response',
      message: `Scaleway reported ${total} volumes in ${zone}, more than this library will page through`,
    });
  }
  const rest = await Promise.all(
    Array.from({ length: Math.max(pages - 1, 0) }, (_, index) => page(index + 2)),
  );
  for (const listed of rest) volumes.push(...listed.volumes);
  // A full last page with no count (or a count proved low) walks on, one page at a time, until a short page.
  for (
    let last = rest.at(-1)?.volumes ?? first.volumes, number = Math.max(pages, 1) + 1;
    last.length === PAGE_SIZE;
    number++
  ) {
    if (number > MAX_PAGES || (total !== undefined && volumes.length <= total)) break;
    last = (await page(number)).volumes;
    volumes.push(...last);
  }
  const byId = new Map<string, VolumeInstance>();
  for (const volume of volumes) {
    if (volume.project_id && volume.project_id !== context.projectId) continue;
    // A VM's boot volume marked by a delete that has not finished is no data volume (the sweep's to report).
    if (isOwnedVolume(volume)) continue;
    const mapped = mapScalewayVolume(volume, zone);
    if (matchesLabels(mapped.labels, filter)) byId.set(mapped.id, mapped);
  }
  return [...byId.values()];
}

/**
 * §15.9 (a): attach through the Instance API, then wait until the Block volume says `attached` to that server.
 * Idempotent: a volume already attached to the server resolves at once; one attached elsewhere is a `conflict`
 * naming that VM. Waits (for the volume to be available, for a booting server to accept it, for the attachment to
 * land) share one budget of `waitTimeoutMs`, and end with the caller's signal.
 */
export async function attachScalewayVolume(
  context: ScalewayContext,
  config: VolumeAttachmentConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseAttachment(scalewayVolumeRules(context), config);
  const volume = inLocation(valid.volumeId, valid.location, 'volume.location');
  const server = inLocation(valid.serverId, valid.location, 'volume.serverId');
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const zone = volume.zone;
  const wanted = `${server.zone}/${server.uuid}`;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    const current = await requireVolume(context, zone, volume.uuid, budget);
    const holder = scalewayVolumeServer(current, zone);
    if (holder === wanted) {
      // The VM id exactly as the caller gave it (as createVM returned it).
      if (scalewayServerReferenceStatus(current) === 'attached') {
        return { ...mapScalewayVolume(current, zone), attachedServerId: valid.serverId };
      }
      await pause(context, delay, budget, `volume ${valid.volumeId} to finish attaching`);
      continue;
    }
    if (holder !== undefined) {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}; detach it first`);
    }
    if (current.status !== 'available') {
      await pause(context, delay, budget, `volume ${valid.volumeId} to become available (${current.status})`);
      continue;
    }
    try {
      await context.client.serverVolume(zone, server.uuid, 'attach-volume', volume.uuid, budget);
    } catch (error) {
      if (isProviderError(error, 'not_found')) {
        // The volume was just read, so it is the server that does not exist.
        throw new ProviderError({
          provider: SCALEWAY_PROVIDER,
          category: 'not_found',
          message: `VM ${valid.serverId} not found; cannot attach volume ${valid.volumeId}`,
          ...(error.statusCode === undefined ? {} : { statusCode: error.statusCode }),
          ...(error.providerCode === undefined ? {} : { code: error.providerCode }),
        });
      }
      // A booting server, a lagging volume or a lost answer: look again (the next read tells what happened).
      if (!isProviderError(error, 'conflict', 'network', 'timeout', 'unavailable', 'rate_limited'))
        throw error;
      await pause(context, delay, budget, `VM ${valid.serverId} to accept volume ${valid.volumeId}`);
    }
  }
}

/**
 * §15.9 (b): detach through the Instance API, then wait until the Block volume is `available` with no reference.
 * Idempotent: a detached volume resolves at once, a missing one with `null`. With `serverId`, a volume attached to
 * another VM is a `conflict` (never pull a disk out of a VM the caller did not name).
 */
export async function detachScalewayVolume(
  context: ScalewayContext,
  config: VolumeDetachConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance | null> {
  const valid = parseDetachment(scalewayVolumeRules(context), config);
  const volume = inLocation(valid.volumeId, valid.location, 'volume.location');
  const named =
    valid.serverId === undefined ? undefined : inLocation(valid.serverId, valid.location, 'volume.serverId');
  const wanted = named === undefined ? undefined : `${named.zone}/${named.uuid}`;
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const zone = volume.zone;
  let asked = false;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    const current = await readVolume(context, zone, volume.uuid, budget);
    if (current === undefined) return null;
    const holder = scalewayVolumeServer(current, zone);
    if (holder === undefined && current.status !== 'in_use') return mapScalewayVolume(current, zone);
    if (holder !== undefined && wanted !== undefined && holder !== wanted) {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}, not to ${valid.serverId}`);
    }
    const detaching = scalewayServerReferenceStatus(current) === 'detaching';
    if (holder !== undefined && !detaching && !asked) {
      try {
        await context.client.serverVolume(
          zone,
          (parseZonal(holder) as ZonalRef).uuid,
          'detach-volume',
          volume.uuid,
          budget,
        );
        asked = true;
        continue;
      } catch (error) {
        // §15.13: "not attached to this server" means it is already on its way out; a 404 of the server means it
        // went (a terminate finishing) after our read, releasing the volume (§15.10). The next read tells.
        if (
          !isProviderError(
            error,
            'not_found',
            'invalid_request',
            'conflict',
            'network',
            'timeout',
            'unavailable',
            'rate_limited',
          )
        )
          throw error;
      }
    }
    await pause(context, delay, budget, `volume ${valid.volumeId} to be detached`);
  }
}

/**
 * §15.6: grow a volume (`PATCH {size}`), then wait until the new size has landed. A size not above `currentSizeGb`
 * is refused before any request; without it, the volume is read first and a shrink refused before the PATCH.
 */
export async function resizeScalewayVolume(
  context: ScalewayContext,
  config: VolumeResizeConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseResize(scalewayVolumeRules(context), config);
  const volume = inLocation(valid.volumeId, valid.location, 'volume.location');
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const zone = volume.zone;
  const target = valid.sizeGb * GB;
  let sent = false;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    const current = await requireVolume(context, zone, volume.uuid, budget);
    const settled = current.status === 'available' || current.status === 'in_use';
    if (current.size >= target) {
      // Before our PATCH, a size not below the target is a shrink (or no change): refused, nothing sent.
      if (!sent) throw shrinkRefused(SCALEWAY_PROVIDER, valid.sizeGb, current.size / GB);
      if (settled) return mapScalewayVolume(current, zone);
    } else if (settled) {
      // Not sent yet, or sent and lost before the API saw it (it would show `updating` at once, §15.6).
      sent = true;
      try {
        // Then wait: a read right after may still show the old size.
        await context.client.updateBlockVolume(zone, volume.uuid, { size: target }, budget);
      } catch (error) {
        if (!isProviderError(error, 'conflict', 'network', 'timeout', 'unavailable', 'rate_limited'))
          throw error;
      }
    }
    await pause(context, delay, budget, `volume ${valid.volumeId} to reach ${valid.sizeGb} GB`);
  }
}

/**
 * §15.7: delete a detached volume; idempotent (404 resolves). An attached one is refused with a `conflict` naming
 * the VM: a data disk is never pulled out of a running VM. A volume still creating or updating is waited for.
 */
export async function deleteScalewayVolume(
  context: ScalewayContext,
  config: VolumeLookupConfig,
  call: ProviderRequestContext,
): Promise<void> {
  const valid = parseLookup(scalewayVolumeRules(context), config);
  const volume = inLocation(valid.volumeId, valid.location, 'volume.location');
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    const current = await readVolume(context, volume.zone, volume.uuid, budget);
    if (current === undefined) return;
    const holder = scalewayVolumeServer(current, volume.zone);
    if (holder !== undefined && scalewayServerReferenceStatus(current) !== 'detaching') {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}; detach it before deleting it`);
    }
    if (current.status === 'available') {
      try {
        await context.client.deleteBlockVolume(volume.zone, volume.uuid, budget);
        return;
      } catch (error) {
        if (isProviderError(error, 'not_found')) return;
        if (!isProviderError(error, 'conflict')) throw error;
      }
    }
    await pause(context, delay, budget, `volume ${valid.volumeId} to be deletable (${current.status})`);
  }
}

/** Delete a volume this library made, once it is released; used to discard what a failed create made. */
async function removeWhenReleased(context: ScalewayContext, zone: string, uuid: string, budget: Budget) {
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
    try {
      await context.client.deleteBlockVolume(zone, uuid, budget);
      return;
    } catch (error) {
      if (isProviderError(error, 'not_found')) return;
      if (!isProviderError(error, 'conflict')) throw error;
      await pause(context, delay, budget, `volume ${zone}/${uuid} to be deletable`);
    }
  }
}

async function requireVolume(
  context: ScalewayContext,
  zone: string,
  uuid: string,
  call: CallOptions,
): Promise<ScalewayBlockVolume> {
  const volume = await readVolume(context, zone, uuid, call);
  if (volume !== undefined) return volume;
  throw new ProviderError({
    provider: SCALEWAY_PROVIDER,
    category: 'not_found',
    message: `volume ${zone}/${uuid} not found`,
  });
}

function pause(context: ScalewayContext, delay: number, budget: Budget, what: string): Promise<void> {
  return pauseWithin(SCALEWAY_PROVIDER, budget, delay, what, context.waitTimeoutMs);
}

function conflict(message: string): ProviderError {
  return new ProviderError({ provider: SCALEWAY_PROVIDER, category: 'conflict', retryable: false, message });
}
