import { hetznerTokenSchema, type VMSize, vmSizeSchema } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { mapConcurrent } from './concurrency.js';
import { createOnce } from './create-once.js';
import { invalidInput, isProviderError, ProviderError } from './errors.js';
import {
  HETZNER_API_URL,
  HETZNER_DEFAULT_IMAGE,
  HETZNER_PROVIDER_LOCATIONS,
  HETZNER_SIZES,
} from './hetzner-catalog.js';
import { mapHetznerError, mapHetznerServer } from './hetzner-mappers.js';
import { hetznerServerListSchema, hetznerServerResponseSchema } from './hetzner-schemas.js';
import { HttpClient } from './http-client.js';
import { type RetryOptions, resolveRetryOptions, retryOptionsSchema, withAbortReason } from './retry.js';
import type {
  HetznerProviderConfig,
  Provider,
  ProviderLocation,
  RequestOptions,
  SizeConfig,
  VMConfig,
  VMInstance,
} from './types.js';
import { parseInput } from './validation.js';

const PROVIDER = 'hetzner';
const PAGE_SIZE = 50;
const PAGE_CONCURRENCY = 5;
/** 10 000 servers; a `last_page` beyond it is not believed. */
const MAX_PAGES = 200;
/** hetzner-api.md: user_data is at most 32 KiB. */
const MAX_USER_DATA_BYTES = 32 * 1024;

// hetzner-api.md: names are hostnames; label keys and values up to 63 characters of alphanumerics, "-", "_", ".",
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
    .refine((value) => Buffer.byteLength(value) <= MAX_USER_DATA_BYTES, 'must be at most 32 KiB'),
  labels: labelsSchema.optional(),
  image: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be an image name or id')
    .optional(),
});

const configSchema = z.object({
  token: hetznerTokenSchema,
  apiUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  timeoutMs: z.number().int().positive().max(600_000).optional(),
  retry: retryOptionsSchema,
  image: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/)
    .optional(),
});

/** Hetzner Cloud, the reference provider (hetzner-api.md). */
export class HetznerProvider implements Provider {
  readonly name = PROVIDER;
  readonly locations: readonly ProviderLocation[] = HETZNER_PROVIDER_LOCATIONS;
  readonly sizes: Readonly<Record<VMSize, SizeConfig>> = HETZNER_SIZES;
  readonly #client: HttpClient;
  readonly #image: string;
  readonly #retry: RetryOptions;
  readonly #timeoutMs: number;

  constructor(config: Omit<HetznerProviderConfig, 'provider'> & { provider?: 'hetzner' }) {
    const valid = parseInput(PROVIDER, configSchema, config, 'config');
    this.#image = valid.image ?? HETZNER_DEFAULT_IMAGE;
    this.#retry = resolveRetryOptions(valid.retry);
    this.#timeoutMs = valid.timeoutMs ?? 30_000;
    this.#client = new HttpClient({
      provider: PROVIDER,
      baseUrl: (valid.apiUrl ?? HETZNER_API_URL).replace(/\/+$/, ''),
      authHeaders: { Authorization: `Bearer ${valid.token}` },
      fetch: config.fetch,
      timeoutMs: this.#timeoutMs,
      retry: this.#retry,
      mapError: mapHetznerError,
      onEvent: config.onEvent,
    });
  }

  createVM(config: VMConfig, options: RequestOptions = {}): Promise<VMInstance> {
    return withAbortReason(options.signal, () => this.#createVM(config, options));
  }

  async #createVM(config: VMConfig, options: RequestOptions): Promise<VMInstance> {
    const valid = parseInput(PROVIDER, vmConfigSchema, config, 'vm');
    const location = this.locations.find((candidate) => candidate.id === valid.location);
    if (location === undefined) {
      throw invalidInput(
        PROVIDER,
        'vm.location',
        `unknown location; use one of ${this.locations.map((l) => l.id).join(', ')}`,
      );
    }
    if (!location.sizes.includes(valid.size)) {
      const offered = this.locations.filter((l) => l.sizes.includes(valid.size)).map((l) => l.id);
      throw invalidInput(
        PROVIDER,
        'vm.size',
        `"${valid.size}" is not offered in ${location.id}; it is in ${offered.join(', ')}`,
      );
    }
    const labels = valid.labels ?? {};
    const { signal } = options;
    signal?.throwIfAborted();
    // Hetzner names are unique per project, so the name finds a server whose create answer was lost, and a retried
    // POST meeting a late first one is refused as a name conflict: that conflict means the server is ours.
    let posts = 0;
    return createOnce<VMInstance>({
      post: async () => {
        posts++;
        try {
          const { data } = await this.#client.request({
            method: 'POST',
            path: '/servers',
            json: {
              name: valid.name,
              server_type: this.sizes[valid.size].type,
              image: valid.image ?? this.#image,
              location: location.id,
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
          if (posts > 1 && isProviderError(error, 'conflict') && error.code === 'uniqueness_error') {
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
      lookupFailed: (error, lookupError) =>
        this.#cleanupFailed(error, lookupError, `a server named ${valid.name}`),
      signal,
      retry: this.#retry,
      graceMs: Math.min(this.#timeoutMs, 5_000),
      pollIntervalMs: Math.max(Math.round(Math.min(this.#timeoutMs, 5_000) / 8), 10),
    });
  }

  #cleanupFailed(error: unknown, cleanupError: unknown, resource: string): void {
    this.#client.cleanupFailed(error, cleanupError, resource);
  }

  async deleteVM(id: string, options: RequestOptions = {}): Promise<void> {
    const serverId = parseInput(PROVIDER, serverIdSchema, id, 'id');
    try {
      await this.#client.request({ method: 'DELETE', path: `/servers/${serverId}`, signal: options.signal });
    } catch (error) {
      if (isProviderError(error, 'not_found')) return;
      throw error;
    }
  }

  async getVM(id: string, options: RequestOptions = {}): Promise<VMInstance | null> {
    if (!serverIdSchema.safeParse(id).success) return null;
    try {
      const { data } = await this.#client.request({
        method: 'GET',
        path: `/servers/${id}`,
        schema: hetznerServerResponseSchema,
        signal: options.signal,
      });
      return mapHetznerServer(data.server);
    } catch (error) {
      if (isProviderError(error, 'not_found')) return null;
      throw error;
    }
  }

  async listVMs(labels: Record<string, string> = {}, options: RequestOptions = {}): Promise<VMInstance[]> {
    const filter = parseInput(PROVIDER, labelsSchema, labels, 'labels');
    const selector = Object.entries(filter)
      .map(([key, value]) => `${key}=${value}`)
      .join(',');
    const page = (number: number) =>
      this.#client.request({
        method: 'GET',
        path: '/servers',
        query: { label_selector: selector === '' ? undefined : selector, page: number, per_page: PAGE_SIZE },
        schema: hetznerServerListSchema,
        signal: options.signal,
      });
    const first = await page(1);
    const lastPage = first.data.meta?.pagination?.last_page ?? 1;
    if (lastPage > MAX_PAGES) {
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
      if (number > MAX_PAGES) break;
      last = (await page(number)).data;
      pages.push(last);
    }
    const byId = new Map<string, VMInstance>();
    for (const server of pages.flatMap((listed) => listed.servers)) {
      const vm = mapHetznerServer(server);
      if (Object.entries(filter).every(([key, value]) => vm.labels[key] === value)) byId.set(vm.id, vm);
    }
    return [...byId.values()];
  }

  powerOff(id: string, options: RequestOptions = {}): Promise<void> {
    return this.#action(id, 'poweroff', options);
  }

  powerOn(id: string, options: RequestOptions = {}): Promise<void> {
    return this.#action(id, 'poweron', options);
  }

  async validateToken(options: RequestOptions = {}): Promise<boolean> {
    try {
      await this.#client.request({
        method: 'GET',
        path: '/servers',
        query: { per_page: 1 },
        signal: options.signal,
      });
      return true;
    } catch (error) {
      if (isProviderError(error, 'auth', 'permission')) return false;
      throw error;
    }
  }

  async #action(id: string, action: 'poweron' | 'poweroff', options: RequestOptions): Promise<void> {
    const serverId = parseInput(PROVIDER, serverIdSchema, id, 'id');
    // Power actions converge on a state, so repeating one is harmless.
    await this.#client.request({
      method: 'POST',
      path: `/servers/${serverId}/actions/${action}`,
      idempotent: true,
      signal: options.signal,
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
