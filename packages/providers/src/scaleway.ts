import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import {
  abortable,
  providerDelay,
  rethrowIfProviderRequestAborted,
  throwIfProviderRequestAborted,
  withAbortReason,
} from './abort.js';
import { mapConcurrent } from './concurrency.js';
import { createOnce } from './create-once.js';
import { scalewayProjectIdSchema, scalewaySecretKeySchema } from './credentials.js';
import { invalidInput, isProviderError, ProviderError, withMessage } from './errors.js';
import { createEventSink } from './events.js';
import { DEFAULT_MAX_CONNECTIONS, maxConnectionsSchema } from './http-client.js';
import { isReservedLabelKey, matchesLabels } from './labels.js';
import { type RetryOptions, resolveRetryOptions, retryOptionsSchema } from './retry.js';
import {
  SCALEWAY_API_URL,
  SCALEWAY_DEFAULT_IMAGE,
  SCALEWAY_DEFAULT_ZONE,
  SCALEWAY_LOCATION_METADATA,
  SCALEWAY_SIZES,
  SCALEWAY_ZONE_IDS,
  type ScalewayZone,
} from './scaleway-catalog.js';
import { type CallOptions, type ScalewayAction, ScalewayClient } from './scaleway-client.js';
import { labelsToTags, mapScalewayServer } from './scaleway-mappers.js';
import type { ScalewayServer } from './scaleway-schemas.js';
import type {
  LocationMetadata,
  Provider,
  ProviderRequestContext,
  ScalewayProviderConfig,
  SizeConfig,
  VMConfig,
  VMInstance,
} from './types.js';
import { parseInput, vmSizeSchema } from './validation.js';
import { unsupportedVolumeCapabilities, volumesUnsupported } from './volume-support.js';
import type {
  VolumeAttachmentConfig,
  VolumeCapabilities,
  VolumeConfig,
  VolumeDetachConfig,
  VolumeInstance,
  VolumeListConfig,
  VolumeLookupConfig,
  VolumeResizeConfig,
} from './volume-types.js';

const PROVIDER = 'scaleway';
/** §8.1: per_page is at most 100. */
const PAGE_SIZE = 100;
/** 100 000 servers in one zone; an `X-Total-Count` beyond it is not believed. */
const MAX_PAGES = 1_000;
/** How long a create whose answer was lost keeps looking for its server before retrying, at most. */
const MAX_LOOKUP_GRACE_MS = 5_000;
const ZONE_CONCURRENCY = 10;
const PAGE_CONCURRENCY = 8;
/** How many state changes one delete follows before giving up (each is a re-read after a refusal or a wait). */
const MAX_DELETE_STEPS = 8;
const MAX_POLL_INTERVAL_MS = 5_000;
/**
 * Marks each create so that a create whose answer was lost can be found again. It has no `=`, so it is never read
 * back as a label.
 */
const CREATION_TAG_PREFIX = 'sam-creation:';
/** §9: the key cloud-init reads. */
const CLOUD_INIT_KEY = 'cloud-init';
/** UNCONFIRMED (docs/scaleway-api.md §9): no documented API limit; Terraform caps cloud-init at 127 998 characters. */
const MAX_USER_DATA_LENGTH = 127_998;

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const zoneSchema = z.enum(SCALEWAY_ZONE_IDS as [ScalewayZone, ...ScalewayZone[]], {
  error: `must be one of ${SCALEWAY_ZONE_IDS.join(', ')}`,
});
const imageSchema = z
  .string()
  .regex(
    /^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-z0-9][a-z0-9_-]{0,63})$/,
    'must be a Marketplace label (e.g. ubuntu_noble) or an image UUID',
  );

// UNCONFIRMED (docs/scaleway-api.md §12): tag length, charset and count limits are not documented; these bounds keep
// every label storable as one `key=value` tag that the list filter can carry.
const labelKeySchema = z
  .string()
  .min(1, 'label keys must not be empty')
  .max(64, 'label keys must be at most 64 characters')
  .regex(/^[^=,\s]+$/, 'label keys must not contain "=", "," or whitespace')
  .refine(
    (key) => !isReservedLabelKey(key),
    'label keys must not start with the reserved ambiguity-marker prefix',
  );
const labelValueSchema = z
  .string()
  .max(128, 'label values must be at most 128 characters')
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  .regex(/^[^\u0000-\u001f\u007f]*$/, 'label values must not contain control characters');
const labelsSchema = z
  .record(labelKeySchema, labelValueSchema)
  .refine((labels) => Object.keys(labels).length <= 50, 'at most 50 labels');

const vmConfigSchema = z.object({
  // UNCONFIRMED (docs/scaleway-api.md §12): name limits are not documented; a hostname-like name is always accepted.
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(63, 'must be at most 63 characters')
    .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be letters, digits, ".", "_" or "-"'),
  size: vmSizeSchema,
  location: z.string(),
  userData: z.string().max(MAX_USER_DATA_LENGTH, `must be at most ${MAX_USER_DATA_LENGTH} characters`),
  labels: labelsSchema.optional(),
  image: imageSchema.optional(),
});

const configSchema = z
  .object({
    secretKey: scalewaySecretKeySchema,
    projectId: scalewayProjectIdSchema,
    zone: zoneSchema.optional(),
    zones: z
      .array(zoneSchema)
      .min(1, 'must name at least one zone')
      .transform((zones) => [...new Set(zones)])
      .optional(),
    image: imageSchema.optional(),
    apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    maxConnections: maxConnectionsSchema,
    waitTimeoutMs: z.number().int().nonnegative().max(3_600_000).optional(),
    pollIntervalMs: z.number().int().positive().max(60_000).optional(),
    retry: retryOptionsSchema,
  })
  .refine(
    (config) => config.zones === undefined || config.zones.includes(config.zone ?? SCALEWAY_DEFAULT_ZONE),
    {
      path: ['zone'],
      message: 'must be one of the configured zones',
    },
  );

interface ServerRef {
  zone: string;
  uuid: string;
}

interface Located {
  zone: string;
  server: ScalewayServer;
}

/** A wait's budget: where it must stop, the caller's signal and the values to keep out of errors. */
interface WaitBudget extends CallOptions {
  deadline: number;
}

/**
 * Scaleway Instance API v1 (docs/scaleway-api.md). VM ids are `{zone}/{uuid}`, so every call by id costs one request in
 * the right zone; bare UUIDs (from older records) are looked up in the default zone, then in the others at once.
 */
export class ScalewayProvider implements Provider {
  readonly name = PROVIDER;
  readonly locations: readonly string[];
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>>;
  readonly sizes: Readonly<Record<VMSize, SizeConfig>> = SCALEWAY_SIZES;
  readonly defaultLocation: string;
  /** docs/scaleway-api.md §15: Block Storage volumes, 1–10 000 GB, 15 per server (SAM's figures). */
  readonly volumeCapabilities: VolumeCapabilities = unsupportedVolumeCapabilities({
    minSizeGb: 1,
    maxSizeGb: 10_000,
    maxAttachedVolumesPerServer: 15,
  });
  readonly #client: ScalewayClient;
  readonly #projectId: string;
  readonly #zone: string;
  readonly #zones: readonly string[];
  readonly #image: string;
  readonly #retry: RetryOptions;
  readonly #timeoutMs: number;
  readonly #waitTimeoutMs: number;
  readonly #pollIntervalMs: number;
  /** (zone, label, commercial type) → image UUID: settled results only, safe to share across requests. */
  readonly #imageIds = new Map<string, string>();
  /**
   * Lookups in flight, each run by one caller with its own signal. Another caller may join one, but never inherits
   * its failure: the owner's abort, its error, or (in Workers) the end of the request that started it make the
   * joiner look the image up itself.
   */
  readonly #imageLookups = new Map<string, Promise<string>>();

  constructor(config: Omit<ScalewayProviderConfig, 'provider'> & { provider?: 'scaleway' }) {
    const valid = parseInput(PROVIDER, configSchema, config, 'config');
    this.#projectId = valid.projectId;
    this.#zone = valid.zone ?? SCALEWAY_DEFAULT_ZONE;
    this.#zones = valid.zones ?? SCALEWAY_ZONE_IDS;
    this.#image = valid.image ?? SCALEWAY_DEFAULT_IMAGE;
    this.#retry = resolveRetryOptions(valid.retry);
    this.#timeoutMs = valid.timeoutMs ?? 30_000;
    this.#waitTimeoutMs = valid.waitTimeoutMs ?? 60_000;
    this.#pollIntervalMs = valid.pollIntervalMs ?? 1_000;
    this.defaultLocation = this.#zone;
    this.locationMetadata = Object.fromEntries(
      this.#zones.map((zone) => [zone, SCALEWAY_LOCATION_METADATA[zone as ScalewayZone]]),
    );
    // Where a VM can be created: the configured zones offering at least one size (listing covers them all).
    this.locations = this.#zones.filter((zone) => (this.locationMetadata[zone]?.sizes.length ?? 0) > 0);
    this.#client = new ScalewayClient({
      secretKey: valid.secretKey,
      baseUrl: (valid.apiUrl ?? SCALEWAY_API_URL).replace(/\/+$/, ''),
      fetch: config.fetch,
      timeoutMs: this.#timeoutMs,
      maxConnections: valid.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      retry: this.#retry,
      emit: createEventSink(PROVIDER, config.onEvent, config.logger),
    });
  }

  /**
   * Three steps (docs/scaleway-api.md §4.2): `POST /servers` (stopped) → cloud-init as text/plain → `poweron`. Resolves
   * when poweron is accepted, with status `starting` and no IP yet. Anything failing after the POST, or an abort,
   * deletes the server and its volumes before rejecting.
   */
  createVM(config: VMConfig, context: ProviderRequestContext = {}): Promise<VMInstance> {
    return withAbortReason(context, () => this.#createVM(config, context));
  }

  async #createVM(config: VMConfig, context: ProviderRequestContext): Promise<VMInstance> {
    const valid = parseInput(PROVIDER, vmConfigSchema, config, 'vm');
    const zone = this.#zoneOffering(valid.location, valid.size);
    const { signal } = context;
    throwIfProviderRequestAborted(context);
    const commercialType = this.sizes[valid.size].type;
    const image = await this.#resolveImage(zone, valid.image ?? this.#image, commercialType, signal);
    const creationTag = `${CREATION_TAG_PREFIX}${crypto.randomUUID()}`;
    const body = {
      name: valid.name,
      commercial_type: commercialType,
      image,
      project: this.#projectId,
      dynamic_ip_required: true,
      tags: [...labelsToTags(valid.labels ?? {}), creationTag],
    };
    // The user data holds secrets: keep it out of every error of this create, whichever request fails.
    const call: CallOptions = { signal, secrets: [valid.userData] };
    let server: ScalewayServer;
    try {
      server = await this.#postServer(zone, body, creationTag, call);
    } catch (error) {
      // §4.1: an image the zone no longer has (a rotated Marketplace image) must not stay cached.
      if (isProviderError(error, 'not_found'))
        this.#imageIds.delete(imageKey(zone, valid.image ?? this.#image, commercialType));
      throw error;
    }
    try {
      throwIfProviderRequestAborted(context);
      // §9: cloud-init must be in place before the first boot.
      await this.#client.setUserData(zone, server.id, CLOUD_INIT_KEY, valid.userData, call);
      await this.#act(zone, server.id, 'poweron', call);
    } catch (error) {
      await this.#discardCreated(zone, server, error, call.secrets);
      throw error;
    }
    return { ...mapScalewayServer(server, zone), status: 'starting', statusDetail: 'starting', ip: '' };
  }

  /**
   * Delete the server from any state, then every volume it left (docs/scaleway-api.md §6.4). Waits only for a transient
   * state to settle or a block volume to detach, at most `waitTimeoutMs`.
   */
  deleteVM(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return withAbortReason(context, () => this.#deleteVM(id, context));
  }

  async #deleteVM(id: string, context: ProviderRequestContext): Promise<void> {
    throwIfProviderRequestAborted(context);
    // An id this provider could never have issued names no VM: there is nothing to delete (SAM contract §1).
    const ref = this.#parseId(id);
    if (ref === undefined) return;
    const found = await this.#find(ref, context.signal);
    if (found === undefined) return;
    await this.#destroy(found.zone, found.server, {
      deadline: Date.now() + this.#waitTimeoutMs,
      signal: context.signal,
    });
  }

  async getVM(id: string, context: ProviderRequestContext = {}): Promise<VMInstance | null> {
    throwIfProviderRequestAborted(context);
    const ref = this.#parseId(id);
    if (ref === undefined) return null;
    const found = await this.#find(ref, context.signal);
    return found === undefined ? null : mapScalewayServer(found.server, found.zone);
  }

  /**
   * Every zone at once (bounded), every page (page 1, then the rest at once from `X-Total-Count`), filtered by
   * project and tags on the server and by exact labels here. A failing zone fails the whole call, naming the zone.
   */
  async listVMs(
    labels: Record<string, string> = {},
    context: ProviderRequestContext = {},
  ): Promise<VMInstance[]> {
    const filter = parseInput(PROVIDER, labelsSchema, labels, 'labels');
    const { signal } = context;
    throwIfProviderRequestAborted(context);
    // A value with a comma cannot travel in the comma-joined tags filter (§8.1); it is matched here only.
    const tags = labelsToTags(
      Object.fromEntries(Object.entries(filter).filter(([, value]) => !value.includes(','))),
    );
    const perZone = await mapConcurrent(this.#zones, ZONE_CONCURRENCY, async (zone) => {
      try {
        return await this.#listZone(zone, tags.length === 0 ? undefined : tags.join(','), signal);
      } catch (error) {
        if (!(error instanceof ProviderError)) throw error;
        throw withMessage(error, `Listing servers in ${zone} failed: ${error.message}`);
      }
    });
    return perZone.flat().filter((vm) => matchesLabels(vm.labels, filter));
  }

  powerOff(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#power(id, 'poweroff', context.signal);
  }

  powerOn(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#power(id, 'poweron', context.signal);
  }

  /**
   * docs/scaleway-api.md §2.3: reading the project proves key and project together (401: the key is rejected; 404:
   * the project is not the key's). A key without Account permission (403) is checked against what the provider
   * needs: listing the project's servers. Resolves `true` or rejects; never `false`.
   */
  async validateToken(context: ProviderRequestContext = {}): Promise<boolean> {
    throwIfProviderRequestAborted(context);
    const { signal } = context;
    try {
      await this.#client.getProject(this.#projectId, { signal });
      return true;
    } catch (error) {
      if (!isProviderError(error, 'permission')) throw rejectedCredentials(error);
    }
    try {
      await this.#client.listServers(
        this.#zone,
        { project: this.#projectId, page: 1, perPage: 1 },
        { signal },
      );
      return true;
    } catch (error) {
      throw rejectedCredentials(error);
    }
  }

  createVolume(_config: VolumeConfig, _context?: ProviderRequestContext): Promise<VolumeInstance> {
    return volumesUnsupported(PROVIDER, 'createVolume');
  }

  attachVolume(_config: VolumeAttachmentConfig, _context?: ProviderRequestContext): Promise<VolumeInstance> {
    return volumesUnsupported(PROVIDER, 'attachVolume');
  }

  detachVolume(
    _config: VolumeDetachConfig,
    _context?: ProviderRequestContext,
  ): Promise<VolumeInstance | null> {
    return volumesUnsupported(PROVIDER, 'detachVolume');
  }

  resizeVolume(_config: VolumeResizeConfig, _context?: ProviderRequestContext): Promise<VolumeInstance> {
    return volumesUnsupported(PROVIDER, 'resizeVolume');
  }

  deleteVolume(_config: VolumeLookupConfig, _context?: ProviderRequestContext): Promise<void> {
    return volumesUnsupported(PROVIDER, 'deleteVolume');
  }

  getVolume(_config: VolumeLookupConfig, _context?: ProviderRequestContext): Promise<VolumeInstance | null> {
    return volumesUnsupported(PROVIDER, 'getVolume');
  }

  listVolumes(_config: VolumeListConfig, _context?: ProviderRequestContext): Promise<VolumeInstance[]> {
    return volumesUnsupported(PROVIDER, 'listVolumes');
  }

  #zoneOffering(location: string, size: VMSize): string {
    const zone = Object.hasOwn(this.locationMetadata, location) ? this.locationMetadata[location] : undefined;
    if (zone === undefined) {
      throw invalidInput(PROVIDER, 'vm.location', `unknown zone; use one of ${this.#zones.join(', ')}`);
    }
    if (!zone.sizes.includes(size)) {
      const offered = this.locations.filter((candidate) =>
        this.locationMetadata[candidate]?.sizes.includes(size),
      );
      throw invalidInput(
        PROVIDER,
        'vm.size',
        `"${size}" (${this.sizes[size].type}) is not offered in ${location}; it is offered in ${offered.join(', ') || 'no configured zone'}`,
      );
    }
    return location;
  }

  /** §10: a UUID is used as is; a label is resolved per zone, once per (zone, label, commercial type). */
  async #resolveImage(zone: string, image: string, commercialType: string, signal: AbortSignal | undefined) {
    if (UUID.test(image)) return image;
    const key = imageKey(zone, image, commercialType);
    const label = key.split('|')[1] as string;
    const known = this.#imageIds.get(key);
    if (known !== undefined) return known;
    const inFlight = this.#imageLookups.get(key);
    if (inFlight !== undefined) {
      try {
        return await abortable(inFlight, { signal });
      } catch (error) {
        // Our own abort ends the call; anyone else's failure only means we look it up ourselves.
        rethrowIfProviderRequestAborted(error, { signal });
      }
    }
    const lookup = this.#lookupImage(zone, label, commercialType, signal);
    this.#imageLookups.set(key, lookup);
    try {
      const id = await lookup;
      this.#imageIds.set(key, id);
      return id;
    } finally {
      if (this.#imageLookups.get(key) === lookup) this.#imageLookups.delete(key);
    }
  }

  async #lookupImage(
    zone: string,
    label: string,
    commercialType: string,
    signal: AbortSignal | undefined,
  ): Promise<string> {
    let images: Awaited<ReturnType<ScalewayClient['localImages']>>;
    try {
      images = await this.#client.localImages(zone, label, { signal });
    } catch (error) {
      if (isProviderError(error, 'not_found')) {
        throw invalidInput(PROVIDER, 'vm.image', `unknown image label "${label}" in ${zone}`);
      }
      throw error;
    }
    const compatible = images.filter((image) =>
      (image.compatible_commercial_types ?? []).some((type) => type.toUpperCase() === commercialType),
    );
    // Local storage first: DEV1/GP1 boot from their local SSD; an SBS root only when no local image exists.
    const chosen =
      compatible.find((image) => image.type === 'instance_local') ??
      compatible.find((image) => image.type === 'instance_sbs');
    if (chosen === undefined) {
      throw invalidInput(
        PROVIDER,
        'vm.image',
        `no "${label}" image in ${zone} is compatible with ${commercialType}`,
      );
    }
    return chosen.id;
  }

  /** POST the server so that it exists once or not at all (see `createOnce`); the creation tag finds it again. */
  #postServer(zone: string, body: Record<string, unknown>, creationTag: string, call: CallOptions) {
    const { secrets } = call;
    return createOnce<ScalewayServer>({
      post: () => this.#client.createServer(zone, body, { secrets }),
      find: async () => (await this.#listTagged(zone, creationTag, secrets))[0],
      discard: (server, error) => this.#discardCreated(zone, server, error, secrets),
      removeTwins: async (server) => {
        const twins = (await this.#listTagged(zone, creationTag, secrets)).filter(
          (twin) => twin.id !== server.id,
        );
        for (const twin of twins) await this.#discardCreated(zone, twin, undefined, secrets);
      },
      lookupFailed: (error, lookupError) =>
        this.#cleanupFailed(error, lookupError, `a server tagged ${creationTag} in ${zone}`),
      signal: call.signal,
      retry: this.#retry,
      graceMs: Math.min(this.#timeoutMs, MAX_LOOKUP_GRACE_MS),
      pollIntervalMs: this.#pollIntervalMs,
    });
  }

  async #listTagged(zone: string, tag: string, secrets: CallOptions['secrets']): Promise<ScalewayServer[]> {
    const { servers } = await this.#client.listServers(
      zone,
      { project: this.#projectId, tags: tag, page: 1, perPage: PAGE_SIZE },
      { secrets },
    );
    return servers.filter((server) => server.tags?.includes(tag));
  }

  /**
   * Delete a server this call created, without the caller's (possibly aborted) signal. A failure joins `error`
   * (when it is a `ProviderError`) and is always reported through `onEvent`: it is never swallowed.
   */
  async #discardCreated(
    zone: string,
    server: ScalewayServer,
    error: unknown,
    secrets: CallOptions['secrets'],
  ): Promise<void> {
    try {
      await this.#destroy(zone, server, { deadline: Date.now() + this.#waitTimeoutMs, secrets });
    } catch (cleanupError) {
      this.#cleanupFailed(error, cleanupError, `server ${zone}/${server.id}`);
    }
  }

  #cleanupFailed(error: unknown, cleanupError: unknown, resource: string): void {
    this.#client.http.cleanupFailed(error, cleanupError, resource);
  }

  /**
   * Delete a server from any state, then the volumes it leaves (§6.4). Waits only for a transient state to settle
   * or a block volume to detach, within the budget. Once the server is gone its volumes are deleted even if the
   * caller aborts meanwhile: stopping half-way would leave them behind with nothing pointing at them.
   */
  async #destroy(zone: string, server: ScalewayServer, budget: WaitBudget): Promise<void> {
    // Every volume seen on any read: the server may show volumes a later read no longer lists (§6.4).
    const volumes = new Map<string, string>();
    const remember = (read: ScalewayServer | undefined) => {
      for (const volume of Object.values(read?.volumes ?? {})) {
        volumes.set(volume.id, volume.volume_type ?? 'l_ssd');
      }
      return read;
    };
    let current = remember(server);
    let terminated = false;
    for (let step = 0, delay = this.#pollIntervalMs; current !== undefined; step++) {
      if (step >= MAX_DELETE_STEPS) {
        throw this.#conflict(
          `server ${zone}/${server.id} kept refusing to be deleted (${current.state}); try again`,
          true,
        );
      }
      const id: string = current.id;
      if (current.protected === true) {
        throw this.#conflict(`server ${zone}/${id} is protected; remove its protection to delete it`, false);
      }
      let outcome: 'done' | 'gone' | 'refused' = 'refused';
      switch (current.state) {
        case 'running':
        case 'stopped in place':
          // §6.2: terminate is the fast path from these states and removes the l_ssd volumes itself.
          // Sent without the caller's signal: a request cut off mid-way may still delete the server, and then
          // nothing would delete its volumes.
          outcome = await this.#stateChange(() =>
            this.#client.action(zone, id, 'terminate', { secrets: budget.secrets }),
          );
          terminated = outcome === 'done';
          break;
        case 'stopped':
          // §6.1: DELETE works only when stopped, and leaves every volume behind.
          outcome = await this.#stateChange(() =>
            this.#client.deleteServer(zone, id, { secrets: budget.secrets }),
          );
          break;
        case 'starting':
        case 'stopping':
          current = remember(await this.#waitForStable(zone, id, budget));
          continue;
        case 'locked':
          throw this.#conflict(`server ${zone}/${id} is locked by Scaleway and cannot be deleted now`, false);
        default:
          throw this.#conflict(`server ${zone}/${id} is in an unknown state "${current.state}"`, false);
      }
      if (outcome !== 'refused') break;
      // Refused because the state moved (§5.5): give it a moment, then look again.
      await this.#pause(delay, budget, `server ${zone}/${id} to accept its deletion`);
      delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS);
      current = remember(await this.#read(zone, id, budget));
    }
    // After our terminate only the block volumes remain (detached, not deleted, §6.2); otherwise any may remain.
    const remaining = [...volumes]
      .map(([id, type]) => ({ id, type }))
      .filter((volume) => !terminated || volume.type === 'sbs_volume');
    const volumeBudget: WaitBudget = {
      deadline: Math.max(budget.deadline, Date.now() + this.#pollIntervalMs),
      secrets: budget.secrets,
    };
    const results = await Promise.allSettled(
      remaining.map((volume) => this.#deleteVolume(zone, volume, volumeBudget)),
    );
    const failures = results.flatMap((result) =>
      result.status === 'rejected' ? [result.reason as unknown] : [],
    );
    if (failures.length > 0) {
      const left = remaining.filter((_, index) => results[index]?.status === 'rejected');
      const first = failures[0];
      const error = new ProviderError({
        provider: PROVIDER,
        category: isProviderError(first) ? first.category : 'unknown',
        retryable: false,
        message: `Server ${zone}/${server.id} is deleted but ${left.length} volume(s) remain: ${left
          .map((volume) => `${volume.id} (${volume.type})`)
          .join(', ')}; delete them through the Instance or Block API`,
      });
      error.cleanupErrors.push(...failures);
      this.#cleanupFailed(undefined, error, `volumes of server ${zone}/${server.id}`);
      throw error;
    }
    throwIfProviderRequestAborted(budget);
  }

  /** Run a state-changing request: `done`, `gone` (the server no longer exists) or `refused` by the server's state. */
  async #stateChange(request: () => Promise<void>): Promise<'done' | 'gone' | 'refused'> {
    try {
      await request();
      return 'done';
    } catch (error) {
      if (isProviderError(error, 'not_found')) return 'gone';
      if (isProviderError(error, 'conflict') && error.code !== 'locked') return 'refused';
      throw error;
    }
  }

  /** §6.4 step 6: l_ssd through the Instance API, sbs through the Block API once detached; 404 means done. */
  async #deleteVolume(zone: string, volume: { id: string; type: string }, budget: WaitBudget): Promise<void> {
    const remove =
      volume.type === 'sbs_volume'
        ? () => this.#client.deleteBlockVolume(zone, volume.id, budget)
        : () => this.#client.deleteLocalVolume(zone, volume.id, budget);
    for (let delay = this.#pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
      try {
        await remove();
        return;
      } catch (error) {
        if (isProviderError(error, 'not_found')) return;
        // Still attached or detaching (§6.3: the CLI waits for "available" with no references).
        if (!isProviderError(error, 'conflict')) throw error;
        await this.#pause(delay, budget, `volume ${zone}/${volume.id} to be released`);
      }
    }
  }

  /** Poll until the server leaves starting/stopping; `undefined` once it is gone. */
  async #waitForStable(zone: string, id: string, budget: WaitBudget): Promise<ScalewayServer | undefined> {
    for (let delay = this.#pollIntervalMs; ; delay = Math.min(delay * 2, MAX_POLL_INTERVAL_MS)) {
      await this.#pause(delay, budget, `server ${zone}/${id} to leave its transient state`);
      const server = await this.#read(zone, id, budget);
      if (server === undefined || (server.state !== 'starting' && server.state !== 'stopping')) return server;
    }
  }

  async #pause(delay: number, budget: WaitBudget, what: string): Promise<void> {
    const remaining = budget.deadline - Date.now();
    if (remaining <= 0) {
      throw new ProviderError({
        provider: PROVIDER,
        category: 'timeout',
        retryable: true,
        message: `Gave up waiting for ${what} after ${this.#waitTimeoutMs} ms`,
      });
    }
    await providerDelay(Math.min(delay, remaining), budget);
  }

  async #power(id: string, action: 'poweron' | 'poweroff', signal: AbortSignal | undefined): Promise<void> {
    throwIfProviderRequestAborted({ signal });
    const ref = this.#requireId(id);
    let zone = ref.zone;
    if (zone === '') {
      const found = await this.#find(ref, signal);
      if (found === undefined) {
        throw new ProviderError({
          provider: PROVIDER,
          category: 'not_found',
          message: `server ${ref.uuid} not found`,
        });
      }
      zone = found.zone;
    }
    await this.#act(zone, ref.uuid, action, { signal });
  }

  /**
   * One action. A refusal because of the state is re-read: if the server is already where the action leads (or on
   * its way), the action has nothing to do and resolves.
   */
  async #act(zone: string, id: string, action: ScalewayAction, call: CallOptions): Promise<void> {
    try {
      await this.#client.action(zone, id, action, call);
    } catch (error) {
      if (!isProviderError(error, 'conflict')) throw error;
      const server = await this.#read(zone, id, call);
      const arrived = action === 'poweron' ? ['running', 'starting'] : ['stopped', 'stopping'];
      if (server !== undefined && arrived.includes(server.state)) return;
      throw error;
    }
  }

  /** A server of this project in `zone`, or `undefined`. */
  async #read(zone: string, id: string, call: CallOptions): Promise<ScalewayServer | undefined> {
    try {
      const server = await this.#client.getServer(zone, id, call);
      return server.project === undefined || server.project === null || server.project === this.#projectId
        ? server
        : undefined;
    } catch (error) {
      if (isProviderError(error, 'not_found')) return undefined;
      throw error;
    }
  }

  /** By zonal id: one request. By bare UUID: the default zone, then every other configured zone at once. */
  async #find(ref: ServerRef, signal: AbortSignal | undefined): Promise<Located | undefined> {
    if (ref.zone !== '') {
      const server = await this.#read(ref.zone, ref.uuid, { signal });
      return server === undefined ? undefined : { zone: ref.zone, server };
    }
    const first = await this.#read(this.#zone, ref.uuid, { signal });
    if (first !== undefined) return { zone: this.#zone, server: first };
    const others = this.#zones.filter((zone) => zone !== this.#zone);
    // Every zone is asked; a failing zone matters only if the server was found nowhere else.
    const results = await Promise.allSettled(others.map((zone) => this.#read(zone, ref.uuid, { signal })));
    const index = results.findIndex((result) => result.status === 'fulfilled' && result.value !== undefined);
    const hit = results[index];
    if (hit?.status === 'fulfilled' && hit.value !== undefined)
      return { zone: others[index] as string, server: hit.value };
    throwIfProviderRequestAborted({ signal });
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return undefined;
  }

  async #listZone(
    zone: string,
    tags: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<VMInstance[]> {
    const page = (number: number) =>
      this.#client.listServers(
        zone,
        { project: this.#projectId, tags, page: number, perPage: PAGE_SIZE },
        { signal },
      );
    const first = await page(1);
    const servers = [...first.servers];
    let last = first.servers;
    let next = 2;
    if (first.servers.length === PAGE_SIZE && first.total !== undefined) {
      const pages = Math.ceil(first.total / PAGE_SIZE);
      if (pages > MAX_PAGES) {
        throw new ProviderError({
          provider: PROVIDER,
          category: 'invalid_response',
          message: `Scaleway reported ${first.total} servers in ${zone}, more than this library will page through`,
        });
      }
      const rest = await mapConcurrent(
        Array.from({ length: Math.max(pages - 1, 0) }, (_, index) => index + 2),
        PAGE_CONCURRENCY,
        async (number) => (await page(number)).servers,
      );
      servers.push(...rest.flat());
      last = rest.at(-1) ?? first.servers;
      next = Math.max(pages, 1) + 1;
    }
    // Walk on, one page at a time, while the last page was full and X-Total-Count is absent or proved low (more
    // servers arrived than it announced): the SDKs' loop (§8.1). A page that brings nothing new ends the walk (an
    // API ignoring `page` would otherwise be walked to the page limit). A short first page is the whole list.
    const total = first.total;
    const seen = new Set(servers.map((server) => server.id));
    while (
      last.length === PAGE_SIZE &&
      (total === undefined || servers.length > total) &&
      next <= MAX_PAGES
    ) {
      last = (await page(next++)).servers;
      const fresh = last.filter((server) => !seen.has(server.id));
      if (fresh.length === 0) break;
      for (const server of fresh) seen.add(server.id);
      servers.push(...fresh);
    }
    const byId = new Map<string, VMInstance>();
    for (const server of servers) {
      if (server.project !== undefined && server.project !== null && server.project !== this.#projectId)
        continue;
      byId.set(server.id, mapScalewayServer(server, zone));
    }
    return [...byId.values()];
  }

  #parseId(id: string): ServerRef | undefined {
    if (typeof id !== 'string') return undefined;
    const slash = id.indexOf('/');
    const zone = slash === -1 ? '' : id.slice(0, slash);
    const uuid = slash === -1 ? id : id.slice(slash + 1);
    if (!UUID.test(uuid)) return undefined;
    if (zone !== '' && !(SCALEWAY_ZONE_IDS as readonly string[]).includes(zone)) return undefined;
    return { zone, uuid };
  }

  #requireId(id: string): ServerRef {
    const ref = this.#parseId(id);
    if (ref === undefined) {
      throw invalidInput(PROVIDER, 'id', 'must be "{zone}/{uuid}" with a known zone, or a server UUID');
    }
    return ref;
  }

  #conflict(message: string, retryable: boolean): ProviderError {
    return new ProviderError({ provider: PROVIDER, category: 'conflict', retryable, message });
  }
}

/** The image cache key; §10.2: labels use "_" where people write "-". */
function imageKey(zone: string, image: string, commercialType: string): string {
  return `${zone}|${image.replaceAll('-', '_')}|${commercialType}`;
}

/**
 * The credentials were refused (or could not be checked): the same error, saying so. A rejection by Scaleway is
 * non-retryable (`auth`, `permission`, `not_found`); an outage or network failure stays retryable.
 */
function rejectedCredentials(error: unknown): unknown {
  if (!isProviderError(error, 'auth', 'permission', 'not_found')) return error;
  return withMessage(error, `Scaleway rejected the credentials: ${error.message}`);
}
