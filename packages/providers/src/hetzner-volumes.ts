import { z } from 'zod';
import { throwIfProviderRequestAborted } from './abort.js';
import { mapConcurrent } from './concurrency.js';
import { createOnce } from './create-once.js';
import { invalidInput, isProviderError, ProviderError, withMessage } from './errors.js';
import { HETZNER_LOCATION_METADATA } from './hetzner-catalog.js';
import {
  HETZNER_PROVIDER,
  type HetznerContext,
  hetznerLabelsSchema,
  hetznerServerIdSchema,
} from './hetzner-config.js';
import {
  hetznerLabelSelector,
  mapHetznerActionError,
  mapHetznerServer,
  mapHetznerVolume,
} from './hetzner-mappers.js';
import {
  type HetznerAction,
  type HetznerVolume,
  hetznerActionResponseSchema,
  hetznerServerResponseSchema,
  hetznerVolumeListSchema,
  hetznerVolumeResponseSchema,
} from './hetzner-schemas.js';
import { matchesLabels } from './labels.js';
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

/** How far the provider's clock may be behind ours when a create's own volume is recognised by its creation time. */
const CLOCK_SKEW_MS = 60_000;

/** docs/hetzner-api.md "Get, list, update": per_page is at most 50. */
const PAGE_SIZE = 50;
const PAGE_CONCURRENCY = 5;
/** `locked` retries and other waits grow from `pollIntervalMs` to this. */
const MAX_RETRY_INTERVAL_MS = 5_000;

/** docs/hetzner-api.md "Volumes": 10–10 240 GB (SAM uses up to 10 000), 16 per server, same location only. */
export const HETZNER_VOLUME_CAPABILITIES: VolumeCapabilities = Object.freeze({
  supported: true,
  minSizeGb: 10,
  maxSizeGb: 10_000,
  growOnlyResize: true,
  requiresSameLocation: true,
  maxAttachedVolumesPerServer: 16,
  defaultFormat: SAM_VOLUME_FILESYSTEM_FORMAT,
  lifecycle: SAM_VOLUME_LIFECYCLE,
  notes: [
    'Hetzner Cloud Volumes, created unformatted (SAM formats them on the node); raw devices at /dev/disk/by-id/scsi-0HC_Volume_<id>.',
    'deleteVM keeps data volumes: Hetzner detaches them when it deletes the server.',
  ],
});

/** An integer id as a string, small enough to cross JSON as a number unchanged. */
const integerId = (base: z.ZodType<string>, what: string) =>
  base.refine((id) => Number.isSafeInteger(Number(id)), `must be a Hetzner ${what} id (a positive integer)`);

/** Every Hetzner location holds volumes, whether or not it sells SAM's sizes. */
const VOLUME_LOCATIONS: readonly string[] = Object.keys(HETZNER_LOCATION_METADATA);

/** The rules of volume inputs (docs/hetzner-api.md "Create": names of at most 64 characters, unique per project). */
export const HETZNER_VOLUME_RULES: VolumeRules = {
  provider: HETZNER_PROVIDER,
  capabilities: HETZNER_VOLUME_CAPABILITIES,
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(64, 'must be at most 64 characters')
    .regex(
      /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/,
      'must be letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
    ),
  labels: hetznerLabelsSchema,
  volumeId: integerId(
    z.string().regex(/^[1-9][0-9]{0,15}$/, 'must be a Hetzner volume id (a positive integer)'),
    'volume',
  ),
  serverId: integerId(hetznerServerIdSchema, 'server'),
  locations: VOLUME_LOCATIONS,
};

/** A wait's budget: the deadline of one call's waits, the caller's signal. */
interface Budget {
  signal?: AbortSignal | undefined;
  deadline: number;
}

const budgetOf = (context: HetznerContext, call: ProviderRequestContext): Budget => ({
  signal: call.signal,
  deadline: Date.now() + context.waitTimeoutMs,
});

/**
 * docs/hetzner-api.md "Create": `POST /volumes` with a location and no `format` (SAM formats on the node) nor
 * `automount` (only allowed with `server`). Names are unique per project, so the name finds a volume whose answer was
 * lost, and a retried POST meeting a late first one is refused as a name conflict that proves the volume ours.
 * Resolves with the volume, possibly still `creating`.
 */
export async function createHetznerVolume(
  context: HetznerContext,
  config: VolumeConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseVolumeConfig(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const labels = valid.labels ?? {};
  const started = Date.now();
  // A volume found by name is this call's only if it was created after the call began (give or take clock skew):
  // an older one with the same name and labels belongs to someone else's create, and must be neither returned as
  // ours nor deleted when this call is given up.
  const ours = (volume: HetznerVolume | undefined) =>
    volume !== undefined && Date.parse(volume.created) >= started - CLOCK_SKEW_MS ? volume : undefined;
  let posts = 0;
  const created = await createOnce<HetznerVolume>({
    post: async () => {
      posts++;
      try {
        const { data } = await context.client.request({
          method: 'POST',
          path: '/volumes',
          json: { name: valid.name, size: valid.sizeGb, location: valid.location, labels },
          schema: hetznerVolumeResponseSchema,
        });
        return data.volume;
      } catch (error) {
        if (posts > 1 && isProviderError(error, 'conflict') && error.code === 'uniqueness_error') {
          const existing = ours(await findByName(context, valid.name, labels));
          if (existing !== undefined) return existing;
        }
        throw error;
      }
    },
    find: async () => ours(await findByName(context, valid.name, labels)),
    discard: async (volume, error) => {
      try {
        await removeWhenReleased(context, volume.id, { deadline: Date.now() + context.waitTimeoutMs });
      } catch (cleanupError) {
        context.client.cleanupFailed(error, cleanupError, `volume ${volume.id}`);
      }
    },
    lookupFailed: (error, lookupError) =>
      context.client.cleanupFailed(error, lookupError, `a volume named ${valid.name}`),
    signal: call.signal,
    retry: context.retry,
    graceMs: Math.min(context.timeoutMs, 5_000),
    pollIntervalMs: context.pollIntervalMs,
  });
  return mapHetznerVolume(created);
}

/** The volume named `name` with exactly `labels`, or `undefined`. */
async function findByName(
  context: HetznerContext,
  name: string,
  labels: Record<string, string>,
): Promise<HetznerVolume | undefined> {
  const { data } = await context.client.request({
    method: 'GET',
    path: '/volumes',
    query: { name },
    schema: hetznerVolumeListSchema,
  });
  return data.volumes.find((volume) => {
    const found = volume.labels ?? {};
    return (
      volume.name === name &&
      Object.keys(found).length === Object.keys(labels).length &&
      Object.entries(labels).every(([key, value]) => Object.hasOwn(found, key) && found[key] === value)
    );
  });
}

export async function getHetznerVolume(
  context: HetznerContext,
  config: VolumeLookupConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance | null> {
  const valid = parseLookup(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const volume = await readVolume(context, valid.volumeId, call);
  if (volume === undefined) return null;
  checkLocation(volume, valid.location);
  return mapHetznerVolume(volume);
}

/**
 * Every page (page 1, then the rest at once from `last_page`, at most `maxListPages`), narrowed by the label selector
 * on the server; the location (the API has no filter for it) and the exact labels are matched here.
 */
export async function listHetznerVolumes(
  context: HetznerContext,
  config: VolumeListConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance[]> {
  const valid = parseVolumeList(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const filter = valid.labels ?? {};
  const selector = hetznerLabelSelector(filter);
  const page = async (number: number) =>
    (
      await context.client.request({
        method: 'GET',
        path: '/volumes',
        query: { label_selector: selector, page: number, per_page: PAGE_SIZE },
        schema: hetznerVolumeListSchema,
        signal: call.signal,
      })
    ).data;
  const first = await page(1);
  const lastPage = first.meta?.pagination?.last_page ?? 1;
  if (lastPage > context.maxPages) {
    throw new ProviderError({
      provider: HETZNER_PROVIDER,
      category: 'invalid_response',
      message: `Hetzner reported ${lastPage} pages of volumes, more than this library will page through`,
    });
  }
  const rest = await mapConcurrent(
    Array.from({ length: Math.max(lastPage - 1, 0) }, (_, index) => index + 2),
    PAGE_CONCURRENCY,
    page,
  );
  const pages = [first, ...rest];
  // A full last page that names a next one means last_page was low: walk on one page at a time.
  for (let last = pages.at(-1), number = pages.length + 1; ; number++) {
    if (last === undefined || last.volumes.length < PAGE_SIZE || !last.meta?.pagination?.next_page) break;
    if (number > context.maxPages) break;
    last = await page(number);
    pages.push(last);
  }
  const byId = new Map<string, VolumeInstance>();
  for (const volume of pages.flatMap((listed) => listed.volumes)) {
    const mapped = mapHetznerVolume(volume);
    if (mapped.location === valid.location && matchesLabels(mapped.labels, filter))
      byId.set(mapped.id, mapped);
  }
  return [...byId.values()];
}

/**
 * docs/hetzner-api.md "Attach": `POST /volumes/{id}/actions/attach {server, automount: false}`, then poll the action
 * until it ends. Idempotent: a volume already attached to the server resolves at once; one attached elsewhere is a
 * `conflict` naming that VM. The server must be in the volume's location (read once, before the first attach). A
 * `locked` server or volume (a server still booting, another action running) is waited for; so is a new volume
 * still `creating`. Every wait shares one budget of `waitTimeoutMs`, and ends with the caller's signal.
 */
export async function attachHetznerVolume(
  context: HetznerContext,
  config: VolumeAttachmentConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseAttachment(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const what = `volume ${valid.volumeId} to attach to VM ${valid.serverId}`;
  let serverChecked = false;
  let last: unknown;
  // After an action succeeded, a read that does not show it yet is waited on before anything is sent again.
  let acted = false;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_RETRY_INTERVAL_MS)) {
    const current = await requireVolume(context, valid.volumeId, budget);
    checkLocation(current, valid.location);
    const holder = holderOf(current);
    if (holder === valid.serverId) return { ...mapHetznerVolume(current), attachedServerId: valid.serverId };
    if (holder !== undefined) {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}; detach it first`);
    }
    if (acted) {
      acted = false;
      await pause(context, delay, budget, what, last);
      continue;
    }
    if (!serverChecked) {
      await checkServer(context, valid.serverId, valid.volumeId, valid.location, budget);
      serverChecked = true;
    }
    if (current.status !== 'creating') {
      try {
        const outcome = await runAction(
          context,
          `/volumes/${valid.volumeId}/actions/attach`,
          { server: Number(valid.serverId), automount: false },
          budget,
          what,
        );
        if (outcome === undefined) {
          acted = true;
          continue;
        }
        last = outcome;
      } catch (error) {
        // The volume was just read, so a 404 is the server's: deleted since it was checked.
        if (isProviderError(error, 'not_found')) throw serverNotFound(valid.serverId, valid.volumeId, error);
        throw error;
      }
    }
    await pause(context, delay, budget, what, last);
  }
}

/**
 * docs/hetzner-api.md "Detach": `POST /volumes/{id}/actions/detach`, then poll the action until it ends.
 * Idempotent: a detached volume resolves at once, a missing one with `null`. With `serverId`, a volume attached to
 * another VM is a `conflict` (never pull a disk out of a VM the caller did not name).
 */
export async function detachHetznerVolume(
  context: HetznerContext,
  config: VolumeDetachConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance | null> {
  const valid = parseDetachment(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const what = `volume ${valid.volumeId} to be detached`;
  let last: unknown;
  let acted = false;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_RETRY_INTERVAL_MS)) {
    const current = await readVolume(context, valid.volumeId, budget);
    if (current === undefined) return null;
    checkLocation(current, valid.location);
    const holder = holderOf(current);
    if (holder === undefined) return mapHetznerVolume(current);
    if (valid.serverId !== undefined && holder !== valid.serverId) {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}, not to ${valid.serverId}`);
    }
    if (acted) {
      // The detach succeeded but this read predates it: wait before asking again.
      acted = false;
      await pause(context, delay, budget, what, last);
      continue;
    }
    const outcome = await runAction(
      context,
      `/volumes/${valid.volumeId}/actions/detach`,
      undefined,
      budget,
      what,
    );
    if (outcome === undefined) {
      acted = true;
      continue;
    }
    last = outcome;
    await pause(context, delay, budget, what, last);
  }
}

/**
 * docs/hetzner-api.md "Resize": `POST /volumes/{id}/actions/resize {size}` (strictly larger only), then poll the
 * action until it ends. A size not above `currentSizeGb` is refused before any request; without it, the volume is
 * read first and a size not above its own refused before the POST.
 */
export async function resizeHetznerVolume(
  context: HetznerContext,
  config: VolumeResizeConfig,
  call: ProviderRequestContext,
): Promise<VolumeInstance> {
  const valid = parseResize(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const what = `volume ${valid.volumeId} to reach ${valid.sizeGb} GB`;
  let sent = false;
  let last: unknown;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_RETRY_INTERVAL_MS)) {
    const current = await requireVolume(context, valid.volumeId, budget);
    checkLocation(current, valid.location);
    if (current.size >= valid.sizeGb) {
      // Before our POST, a size not below the target is a shrink (or no change): refused, nothing sent.
      if (!sent) throw shrinkRefused(HETZNER_PROVIDER, valid.sizeGb, current.size);
      return mapHetznerVolume(current);
    }
    if (current.status !== 'creating') {
      sent = true;
      const outcome = await runAction(
        context,
        `/volumes/${valid.volumeId}/actions/resize`,
        { size: valid.sizeGb },
        budget,
        what,
      );
      if (outcome === undefined) continue;
      last = outcome;
    }
    await pause(context, delay, budget, what, last);
  }
}

/**
 * docs/hetzner-api.md "Delete": `DELETE /volumes/{id}` (204) of a detached volume; idempotent (404 resolves). An
 * attached one is refused with a `conflict` naming the VM: a data disk is never pulled out of a running VM. A volume
 * still creating or busy with an action (`locked`) is waited for.
 */
export async function deleteHetznerVolume(
  context: HetznerContext,
  config: VolumeLookupConfig,
  call: ProviderRequestContext,
): Promise<void> {
  const valid = parseLookup(HETZNER_VOLUME_RULES, config);
  throwIfProviderRequestAborted(call);
  const budget = budgetOf(context, call);
  const what = `volume ${valid.volumeId} to be deletable`;
  let last: unknown;
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_RETRY_INTERVAL_MS)) {
    const current = await readVolume(context, valid.volumeId, budget);
    if (current === undefined) return;
    checkLocation(current, valid.location);
    const holder = holderOf(current);
    if (holder !== undefined) {
      throw conflict(`volume ${valid.volumeId} is attached to VM ${holder}; detach it before deleting it`);
    }
    if (current.status !== 'creating') {
      try {
        await deleteVolume(context, valid.volumeId, budget);
        return;
      } catch (error) {
        // Busy, or attached meanwhile (`resource_in_use`): the next read tells which.
        if (!isBusy(error) && !(isProviderError(error, 'conflict') && error.code === 'resource_in_use'))
          throw error;
        last = error;
      }
    }
    await pause(context, delay, budget, what, last);
  }
}

/** Delete a volume this library made, once it is no longer busy; used to discard what an aborted create made. */
async function removeWhenReleased(context: HetznerContext, id: number, budget: Budget): Promise<void> {
  for (let delay = context.pollIntervalMs; ; delay = Math.min(delay * 2, MAX_RETRY_INTERVAL_MS)) {
    try {
      await deleteVolume(context, String(id), budget);
      return;
    } catch (error) {
      if (!isBusy(error)) throw error;
      await pause(context, delay, budget, `volume ${id} to be deletable`, error);
    }
  }
}

/** `DELETE /volumes/{id}`; a 404 resolves. */
async function deleteVolume(context: HetznerContext, id: string, budget: Budget): Promise<void> {
  try {
    await context.client.request({ method: 'DELETE', path: `/volumes/${id}`, signal: budget.signal });
  } catch (error) {
    if (!isProviderError(error, 'not_found')) throw error;
  }
}

/**
 * Start a volume action and wait for its end. `undefined` once it succeeded; otherwise the reason to read the
 * volume again and decide anew: the server or volume was busy (`locked`, answered or as the action's failure), the
 * volume was attached meanwhile, or the answer was lost. Any other failure rejects.
 */
async function runAction(
  context: HetznerContext,
  path: string,
  json: unknown,
  budget: Budget,
  what: string,
): Promise<unknown> {
  let action: HetznerAction;
  try {
    const { data } = await context.client.request({
      method: 'POST',
      path,
      ...(json === undefined ? {} : { json }),
      schema: hetznerActionResponseSchema,
      signal: budget.signal,
    });
    action = data.action;
  } catch (error) {
    if (
      isBusy(error) ||
      (isProviderError(error, 'conflict') && error.code === 'volume_already_attached') ||
      isProviderError(error, 'network', 'timeout', 'unavailable', 'rate_limited', 'invalid_response')
    ) {
      return error;
    }
    throw error;
  }
  const ended = await settle(context, action, budget, what);
  if (ended.status === 'success') return undefined;
  const failure = actionFailed(ended);
  if (ended.error?.code === 'locked') return failure;
  throw failure;
}

/** Poll `GET /actions/{id}` every `pollIntervalMs` until the action is no longer running. */
async function settle(
  context: HetznerContext,
  action: HetznerAction,
  budget: Budget,
  what: string,
): Promise<HetznerAction> {
  let current = action;
  let last: unknown;
  while (current.status === 'running') {
    await pause(context, context.pollIntervalMs, budget, what, last);
    try {
      const { data } = await context.client.request({
        method: 'GET',
        path: `/actions/${action.id}`,
        schema: hetznerActionResponseSchema,
        signal: budget.signal,
      });
      current = data.action;
    } catch (error) {
      // The action runs on whether or not this poll was answered: poll again, within the budget.
      if (!isProviderError(error, 'network', 'timeout', 'unavailable', 'rate_limited', 'invalid_response'))
        throw error;
      last = error;
    }
  }
  return current;
}

/** A volume, or `undefined` for a 404. */
async function readVolume(
  context: HetznerContext,
  id: string,
  call: { signal?: AbortSignal | undefined },
): Promise<HetznerVolume | undefined> {
  try {
    const { data } = await context.client.request({
      method: 'GET',
      path: `/volumes/${id}`,
      schema: hetznerVolumeResponseSchema,
      signal: call.signal,
    });
    return data.volume;
  } catch (error) {
    if (isProviderError(error, 'not_found')) return undefined;
    throw error;
  }
}

async function requireVolume(context: HetznerContext, id: string, budget: Budget): Promise<HetznerVolume> {
  const volume = await readVolume(context, id, budget);
  if (volume !== undefined) return volume;
  throw new ProviderError({
    provider: HETZNER_PROVIDER,
    category: 'not_found',
    message: `volume ${id} not found`,
  });
}

/** The server an attach names must exist and be in the volume's location. */
async function checkServer(
  context: HetznerContext,
  serverId: string,
  volumeId: string,
  location: string,
  budget: Budget,
): Promise<void> {
  let where: string;
  try {
    const { data } = await context.client.request({
      method: 'GET',
      path: `/servers/${serverId}`,
      schema: hetznerServerResponseSchema,
      signal: budget.signal,
    });
    where = mapHetznerServer(data.server).location;
  } catch (error) {
    if (isProviderError(error, 'not_found')) throw serverNotFound(serverId, volumeId, error);
    throw error;
  }
  if (where !== '' && where !== location) {
    throw invalidInput(
      HETZNER_PROVIDER,
      'volume.serverId',
      `VM ${serverId} is in ${where}, not in ${location}`,
    );
  }
}

/** The `location` of a call must be where the volume is; an `invalid_input` saying where it is otherwise. */
function checkLocation(volume: HetznerVolume, location: string): void {
  if (volume.location.name !== location) {
    throw invalidInput(
      HETZNER_PROVIDER,
      'volume.location',
      `volume ${volume.id} is in ${volume.location.name}, not in ${location}`,
    );
  }
}

/** The id of the server a volume is attached to, as `createVM` returns ids. */
function holderOf(volume: HetznerVolume): string | undefined {
  return volume.server === null || volume.server === undefined ? undefined : String(volume.server);
}

/** `locked` or `conflict`: another action runs on the server or volume; retry later. */
function isBusy(error: unknown): error is ProviderError {
  return isProviderError(error, 'conflict') && error.retryable;
}

function actionFailed(action: HetznerAction): ProviderError {
  const mapped = mapHetznerActionError(action);
  return new ProviderError({
    provider: HETZNER_PROVIDER,
    category: mapped.category,
    message: mapped.message,
    ...(mapped.retryable === undefined ? {} : { retryable: mapped.retryable }),
    ...(mapped.code === undefined ? {} : { code: mapped.code }),
    context: { actionId: action.id },
  });
}

function serverNotFound(serverId: string, volumeId: string, error: ProviderError): ProviderError {
  return withMessage(error, `VM ${serverId} not found; cannot attach volume ${volumeId}`);
}

/** Wait `delay` (at most what is left of the budget); past the deadline, a `timeout` naming what was awaited. */
function pause(
  context: HetznerContext,
  delay: number,
  budget: Budget,
  what: string,
  last: unknown,
): Promise<void> {
  return pauseWithin(HETZNER_PROVIDER, budget, delay, what, context.waitTimeoutMs, last);
}

function conflict(message: string): ProviderError {
  return new ProviderError({ provider: HETZNER_PROVIDER, category: 'conflict', retryable: false, message });
}
