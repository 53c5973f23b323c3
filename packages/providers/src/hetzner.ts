import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { throwIfProviderRequestAborted, withAbortReason } from './abort.js';
import { mapConcurrent } from './concurrency.js';
import { createOnce } from './create-once.js';
import { hetznerTokenSchema } from './credentials.js';
import { invalidInput, isProviderError, ProviderError, withMessage } from './errors.js';
import { createEventSink, type EmitEvent } from './events.js';
import {
  DEFAULT_CAPACITY_RETRY_BUDGET_MS,
  DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
  DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
  DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
  DEFAULT_PLACEMENT_RETRY_DELAY_MS,
  HETZNER_API_URL,
  HETZNER_DEFAULT_IMAGE,
  HETZNER_DEFAULT_LOCATION,
  HETZNER_LOCATION_METADATA,
  HETZNER_SIZES,
} from './hetzner-catalog.js';
import { createWithCapacity, type HetznerCapacityPolicy } from './hetzner-create.js';
import { mapHetznerError, mapHetznerServer } from './hetzner-mappers.js';
import { hetznerServerListSchema, hetznerServerResponseSchema } from './hetzner-schemas.js';
import { DEFAULT_MAX_CONNECTIONS, HttpClient, maxConnectionsSchema } from './http-client.js';
import { matchesLabels } from './labels.js';
import { type RetryOptions, resolveRetryOptions, retryOptionsSchema } from './retry.js';
import type {
  HetznerProviderConfig,
  LocationMetadata,
  Provider,
  ProviderRequestContext,
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

const PROVIDER = 'hetzner';
const PAGE_SIZE = 50;
const PAGE_CONCURRENCY = 5;
/** 10 000 servers by default; a `last_page` beyond `maxListPages` is not believed. */
const DEFAULT_MAX_PAGES = 200;
/** docs/hetzner-api.md: user_data is at most 32 KiB. */
const MAX_USER_DATA_BYTES = 32 * 1024;
const UTF8 = new TextEncoder();
/** Where VMs can be created: the locations offering at least one size, in fallback order. */
const CREATABLE_LOCATIONS: readonly string[] = Object.entries(HETZNER_LOCATION_METADATA)
  .filter(([, metadata]) => metadata.sizes.length > 0)
  .map(([id]) => id);

// docs/hetzner-api.md: names are hostnames; label keys and values up to 63 characters of alphanumerics, "-", "_", ".",
// starting and ending alphanumeric; keys may carry a DNS-style prefix ending in "/".
const labelPart = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const labelKeySchema = z
  .string()
  .min(1, 'label keys must not be empty')
  .refine((key) => {
    const slash = key.lastIndexOf('/');
    const prefix = slash === -1 ? '' : key.slice(0, slash);
    const name = key.slice(slash + 1);
    return (
      name !== '' &&
      labelPart.test(name) &&
      prefix.length <= 253 &&
      (slash === -1 || /^[a-z0-9.-]+$/.test(prefix))
    );
  }, 'label keys must be up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
const labelValueSchema = z
  .string()
  .regex(
    labelPart,
    'label values must be up to 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
  );
const labelsSchema = z.record(labelKeySchema, labelValueSchema);

const serverIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a Hetzner server id (a positive integer)');

const imageSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be an image name or id');

const vmConfigSchema = z.object({
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(63, 'must be at most 63 characters')
    .regex(/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/, 'must be a valid hostname (letters, digits and "-")'),
  size: vmSizeSchema,
  location: z.string(),
  userData: z
    .string()
    .refine((value) => UTF8.encode(value).byteLength <= MAX_USER_DATA_BYTES, 'must be at most 32 KiB'),
  labels: labelsSchema.optional(),
  image: imageSchema.optional(),
});

const milliseconds = (max: number) => z.number().int().min(0).max(max).optional();
const configSchema = z
  .object({
    apiToken: hetznerTokenSchema.optional(),
    token: hetznerTokenSchema.optional(),
    datacenter: z
      .enum(CREATABLE_LOCATIONS as [string, ...string[]], {
        error: `must be one of ${CREATABLE_LOCATIONS.join(', ')}`,
      })
      .optional(),
    apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    timeoutMs: z.number().int().positive().max(600_000).optional(),
    maxConnections: maxConnectionsSchema,
    retry: retryOptionsSchema,
    image: imageSchema.optional(),
    placementRetryDelayMs: milliseconds(600_000),
    placementFallbackEnabled: z.boolean().optional(),
    capacityRetryInitialDelayMs: milliseconds(3_600_000),
    capacityRetryMaxDelayMs: milliseconds(3_600_000),
    capacityRetryMaxAttempts: z.number().int().min(1).max(100).optional(),
    capacityRetryBudgetMs: milliseconds(86_400_000),
    maxListPages: z.number().int().min(1).max(10_000).optional(),
  })
  .superRefine((config, issues) => {
    if (config.apiToken === undefined && config.token === undefined) {
      issues.addIssue({ code: 'custom', path: ['apiToken'], message: 'is required' });
    } else if (
      config.apiToken !== undefined &&
      config.token !== undefined &&
      config.apiToken !== config.token
    ) {
      issues.addIssue({
        code: 'custom',
        path: ['apiToken'],
        message: 'and its alias token must be equal when both are given',
      });
    }
  });

/** What the attempts of one create have seen so far. */
interface CreateAttempts {
  posts: number;
  /** An answer was lost: a server may exist that no attempt has seen. */
  lost: boolean;
  /** A failed lookup for it is already reported on the error. */
  lookupReported: boolean;
}

/** Hetzner Cloud, the reference provider (docs/hetzner-api.md). */
export class HetznerProvider implements Provider {
  readonly name = PROVIDER;
  readonly locations: readonly string[] = CREATABLE_LOCATIONS;
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>> = HETZNER_LOCATION_METADATA;
  readonly sizes: Readonly<Record<VMSize, SizeConfig>> = HETZNER_SIZES;
  readonly defaultLocation: string;
  /** docs/hetzner-api.md "Volumes": 10–10 240 GB (SAM uses up to 10 000), 16 per server. */
  readonly volumeCapabilities: VolumeCapabilities = unsupportedVolumeCapabilities({
    minSizeGb: 10,
    maxSizeGb: 10_000,
    maxAttachedVolumesPerServer: 16,
  });
  readonly #client: HttpClient;
  readonly #emit: EmitEvent;
  readonly #image: string;
  readonly #retry: RetryOptions;
  readonly #timeoutMs: number;
  readonly #maxPages: number;
  readonly #capacity: HetznerCapacityPolicy;

  constructor(config: Omit<HetznerProviderConfig, 'provider'> & { provider?: 'hetzner' }) {
    const valid = parseInput(PROVIDER, configSchema, config, 'config');
    this.defaultLocation = valid.datacenter ?? HETZNER_DEFAULT_LOCATION;
    this.#image = valid.image ?? HETZNER_DEFAULT_IMAGE;
    this.#retry = resolveRetryOptions(valid.retry);
    this.#timeoutMs = valid.timeoutMs ?? 30_000;
    this.#maxPages = valid.maxListPages ?? DEFAULT_MAX_PAGES;
    this.#capacity = {
      placementRetryDelayMs: valid.placementRetryDelayMs ?? DEFAULT_PLACEMENT_RETRY_DELAY_MS,
      placementFallbackEnabled: valid.placementFallbackEnabled ?? true,
      capacityRetryInitialDelayMs:
        valid.capacityRetryInitialDelayMs ?? DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
      capacityRetryMaxDelayMs: valid.capacityRetryMaxDelayMs ?? DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
      capacityRetryMaxAttempts: valid.capacityRetryMaxAttempts ?? DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
      capacityRetryBudgetMs: valid.capacityRetryBudgetMs ?? DEFAULT_CAPACITY_RETRY_BUDGET_MS,
    };
    this.#emit = createEventSink(PROVIDER, config.onEvent, config.logger);
    this.#client = new HttpClient({
      provider: PROVIDER,
      baseUrl: (valid.apiUrl ?? HETZNER_API_URL).replace(/\/+$/, ''),
      authHeaders: { Authorization: `Bearer ${valid.apiToken ?? valid.token}` },
      fetch: config.fetch,
      timeoutMs: this.#timeoutMs,
      maxConnections: valid.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      retry: this.#retry,
      mapError: mapHetznerError,
      emit: this.#emit,
    });
  }

  /**
   * One `POST /servers` that starts the server; a lost answer is recovered by the server's (unique) name. Missing
   * capacity and failed placements are retried and fall back to other locations as {@link createWithCapacity}
   * describes; the result's `location` says where the VM landed.
   */
  createVM(config: VMConfig, context: ProviderRequestContext = {}): Promise<VMInstance> {
    return withAbortReason(context, () => this.#createVM(config, context));
  }

  async #createVM(config: VMConfig, context: ProviderRequestContext): Promise<VMInstance> {
    const valid = parseInput(PROVIDER, vmConfigSchema, config, 'vm');
    const location = Object.hasOwn(HETZNER_LOCATION_METADATA, valid.location)
      ? HETZNER_LOCATION_METADATA[valid.location]
      : undefined;
    if (location === undefined) {
      throw invalidInput(
        PROVIDER,
        'vm.location',
        `unknown location; use one of ${this.locations.join(', ')}`,
      );
    }
    const offering = this.locations.filter((id) => HETZNER_LOCATION_METADATA[id]?.sizes.includes(valid.size));
    if (!location.sizes.includes(valid.size)) {
      throw invalidInput(
        PROVIDER,
        'vm.size',
        `"${valid.size}" is not offered in ${valid.location}; it is in ${offering.join(', ')}`,
      );
    }
    throwIfProviderRequestAborted(context);
    const serverType = this.sizes[valid.size].type;
    // Shared by every attempt of this create (capacity retries, placement fallbacks): once any POST was sent, a
    // name conflict means our own server, and a lost answer means one may exist that no attempt has seen yet.
    const attempts: CreateAttempts = { posts: 0, lost: false, lookupReported: false };
    try {
      return await createWithCapacity({
        location: valid.location,
        fallbacks: offering.filter((id) => id !== valid.location),
        serverType,
        createIn: (where) => this.#createIn(where, serverType, valid, context, attempts),
        policy: this.#capacity,
        emit: this.#emit,
        context,
      });
    } catch (error) {
      if (!attempts.lost) throw error;
      return this.#adoptLate(valid.name, valid.labels ?? {}, error, context, attempts);
    }
  }

  /**
   * A create that failed after an answer was lost may still have made its server (the POST committed late, after
   * the lookups gave up). The name is unique, so the server is ours: adopt it, or remove it if the caller gave up.
   */
  async #adoptLate(
    name: string,
    labels: Record<string, string>,
    error: unknown,
    context: ProviderRequestContext,
    attempts: CreateAttempts,
  ): Promise<VMInstance> {
    let late: VMInstance | undefined;
    try {
      late = await this.#findByName(name, labels);
    } catch (lookupError) {
      // One report per create: a failed lookup of the same server may already be on the error.
      if (!attempts.lookupReported) this.#cleanupFailed(error, lookupError, `a server named ${name}`);
      throw error;
    }
    if (late === undefined) throw error;
    if (context.signal?.aborted !== true) return late;
    try {
      await this.deleteVM(late.id);
    } catch (cleanupError) {
      this.#cleanupFailed(error, cleanupError, `server ${late.id}`);
    }
    throw error;
  }

  async #createIn(
    location: string,
    serverType: string,
    valid: z.output<typeof vmConfigSchema>,
    context: ProviderRequestContext,
    attempts: CreateAttempts,
  ): Promise<VMInstance> {
    const labels = valid.labels ?? {};
    // Hetzner names are unique per project, so the name finds a server whose create answer was lost, and a retried
    // POST meeting a late first one is refused as a name conflict: that conflict means the server is ours.
    const created = await createOnce<VMInstance>({
      post: async () => {
        attempts.posts++;
        try {
          const { data } = await this.#client.request({
            method: 'POST',
            path: '/servers',
            json: {
              name: valid.name,
              server_type: serverType,
              image: valid.image ?? this.#image,
              location,
              user_data: valid.userData,
              labels,
              start_after_create: true,
              public_net: { enable_ipv4: true, enable_ipv6: true },
            },
            secrets: [valid.userData],
            schema: hetznerServerResponseSchema,
          });
          return mapHetznerServer(data.server);
        } catch (error) {
          if (isProviderError(error, 'network', 'timeout', 'unavailable', 'invalid_response'))
            attempts.lost = true;
          if (attempts.posts > 1 && isProviderError(error, 'conflict') && error.code === 'uniqueness_error') {
            const existing = await this.#findByName(valid.name, labels);
            if (existing !== undefined) return existing;
          }
          throw error;
        }
      },
      find: () => this.#findByName(valid.name, labels),
      discard: async (vm, error) => {
        try {
          await this.deleteVM(vm.id);
        } catch (cleanupError) {
          this.#cleanupFailed(error, cleanupError, `server ${vm.id}`);
        }
      },
      lookupFailed: (error, lookupError) => {
        attempts.lookupReported = true;
        this.#cleanupFailed(error, lookupError, `a server named ${valid.name}`);
      },
      signal: context.signal,
      retry: this.#retry,
      graceMs: Math.min(this.#timeoutMs, 5_000),
      pollIntervalMs: Math.max(Math.round(Math.min(this.#timeoutMs, 5_000) / 8), 10),
    });
    return created.location === '' ? { ...created, location } : created;
  }

  #cleanupFailed(error: unknown, cleanupError: unknown, resource: string): void {
    this.#client.cleanupFailed(error, cleanupError, resource);
  }

  /**
   * docs/hetzner-api.md "Servers": DELETE works in any state and takes the primary IPs with the server. An id this
   * provider could never have issued names no VM: it resolves without a request (SAM contract §1).
   */
  async deleteVM(id: string, context: ProviderRequestContext = {}): Promise<void> {
    throwIfProviderRequestAborted(context);
    const parsed = serverIdSchema.safeParse(id);
    if (!parsed.success) return;
    try {
      await this.#client.request({
        method: 'DELETE',
        path: `/servers/${parsed.data}`,
        signal: context.signal,
      });
    } catch (error) {
      if (isProviderError(error, 'not_found')) return;
      throw error;
    }
  }

  async getVM(id: string, context: ProviderRequestContext = {}): Promise<VMInstance | null> {
    throwIfProviderRequestAborted(context);
    if (!serverIdSchema.safeParse(id).success) return null;
    try {
      const { data } = await this.#client.request({
        method: 'GET',
        path: `/servers/${id}`,
        schema: hetznerServerResponseSchema,
        signal: context.signal,
      });
      return mapHetznerServer(data.server);
    } catch (error) {
      if (isProviderError(error, 'not_found')) return null;
      throw error;
    }
  }

  async listVMs(
    labels: Record<string, string> = {},
    context: ProviderRequestContext = {},
  ): Promise<VMInstance[]> {
    const filter = parseInput(PROVIDER, labelsSchema, labels, 'labels');
    throwIfProviderRequestAborted(context);
    const maxPages = this.#maxPages;
    const selector = Object.entries(filter)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const page = (number: number) =>
      this.#client.request({
        method: 'GET',
        path: '/servers',
        query: { label_selector: selector === '' ? undefined : selector, page: number, per_page: PAGE_SIZE },
        schema: hetznerServerListSchema,
        signal: context.signal,
      });
    const first = await page(1);
    const lastPage = first.data.meta?.pagination?.last_page ?? 1;
    if (lastPage > maxPages) {
      throw new ProviderError({
        provider: PROVIDER,
        category: 'invalid_response',
        message: `Hetzner reported ${lastPage} pages of servers, more than this library will page through`,
      });
    }
    const rest = await mapConcurrent(
      Array.from({ length: Math.max(lastPage - 1, 0) }, (_, index) => index + 2),
      PAGE_CONCURRENCY,
      async (number) => (await page(number)).data,
    );
    const pages = [first.data, ...rest];
    // A full last page that names a next one means last_page was low: walk on one page at a time.
    for (let last = pages.at(-1), number = pages.length + 1; ; number++) {
      if (last === undefined || last.servers.length < PAGE_SIZE || !last.meta?.pagination?.next_page) break;
      if (number > maxPages) break;
      last = (await page(number)).data;
      pages.push(last);
    }
    const byId = new Map<string, VMInstance>();
    for (const server of pages.flatMap((listed) => listed.servers)) {
      const vm = mapHetznerServer(server);
      if (matchesLabels(vm.labels, filter)) byId.set(vm.id, vm);
    }
    return [...byId.values()];
  }

  powerOff(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#action(id, 'poweroff', context);
  }

  powerOn(id: string, context: ProviderRequestContext = {}): Promise<void> {
    return this.#action(id, 'poweron', context);
  }

  /**
   * docs/hetzner-api.md "Token check": `GET /servers?per_page=1` answers 200 for a valid token, 401 otherwise.
   * Resolves `true`, or rejects: non-retryable when Hetzner refused the token, retryable when it could not tell.
   */
  async validateToken(context: ProviderRequestContext = {}): Promise<boolean> {
    throwIfProviderRequestAborted(context);
    try {
      await this.#client.request({
        method: 'GET',
        path: '/servers',
        query: { per_page: 1 },
        signal: context.signal,
      });
      return true;
    } catch (error) {
      if (!isProviderError(error, 'auth', 'permission', 'not_found')) throw error;
      throw withMessage(error, `Hetzner rejected the API token: ${error.message}`);
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

  async #action(id: string, action: 'poweron' | 'poweroff', context: ProviderRequestContext): Promise<void> {
    throwIfProviderRequestAborted(context);
    const serverId = parseInput(PROVIDER, serverIdSchema, id, 'id');
    // Power actions converge on a state, so repeating one is harmless.
    await this.#client.request({
      method: 'POST',
      path: `/servers/${serverId}/actions/${action}`,
      idempotent: true,
      signal: context.signal,
    });
  }

  async #findByName(name: string, labels: Record<string, string>): Promise<VMInstance | undefined> {
    const { data } = await this.#client.request({
      method: 'GET',
      path: '/servers',
      query: { name },
      schema: hetznerServerListSchema,
    });
    return data.servers
      .map(mapHetznerServer)
      .find(
        (vm) =>
          vm.name === name &&
          Object.keys(vm.labels).length === Object.keys(labels).length &&
          Object.entries(labels).every(([key, value]) => vm.labels[key] === value),
      );
  }
}
