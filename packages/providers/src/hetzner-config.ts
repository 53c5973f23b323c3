import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { hetznerTokenSchema } from './credentials.js';
import { invalidInput } from './errors.js';
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
} from './hetzner-catalog.js';
import type { HetznerCapacityPolicy } from './hetzner-create.js';
import { mapHetznerError } from './hetzner-mappers.js';
import { DEFAULT_MAX_CONNECTIONS, HttpClient, maxConnectionsSchema } from './http-client.js';
import { type RetryOptions, resolveRetryOptions, retryOptionsSchema } from './retry.js';
import type { HetznerProviderConfig } from './types.js';
import { parseInput, vmSizeSchema } from './validation.js';

export const HETZNER_PROVIDER = 'hetzner';

/** 10 000 servers by default; a `last_page` beyond `maxListPages` is not believed. */
const DEFAULT_MAX_PAGES = 200;
/** How long one volume call waits in all (for its actions, for a busy server or volume). */
const DEFAULT_WAIT_TIMEOUT_MS = 60_000;
/** docs/hetzner-api.md "Action objects and polling": hcloud-go polls actions every 500 ms. */
const DEFAULT_POLL_INTERVAL_MS = 500;
/** docs/hetzner-api.md: user_data is at most 32 KiB. */
const MAX_USER_DATA_BYTES = 32 * 1024;
const UTF8 = new TextEncoder();
/** Where VMs can be created: the locations offering at least one size, in fallback order. */
export const HETZNER_CREATABLE_LOCATIONS: readonly string[] = Object.entries(HETZNER_LOCATION_METADATA)
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
/** A label filter or a VM's labels. */
export const hetznerLabelsSchema = z.record(labelKeySchema, labelValueSchema);

export const hetznerServerIdSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/, 'must be a Hetzner server id (a positive integer)');

const imageSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'must be an image name or id');

/** What `createVM` accepts. */
export const hetznerVMConfigSchema = z.object({
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
  labels: hetznerLabelsSchema.optional(),
  image: imageSchema.optional(),
});
export type HetznerVMInput = z.output<typeof hetznerVMConfigSchema>;

const milliseconds = (max: number) => z.number().int().min(0).max(max).optional();
const configSchema = z
  .object({
    apiToken: hetznerTokenSchema.optional(),
    token: hetznerTokenSchema.optional(),
    datacenter: z
      .enum(HETZNER_CREATABLE_LOCATIONS as [string, ...string[]], {
        error: `must be one of ${HETZNER_CREATABLE_LOCATIONS.join(', ')}`,
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
    waitTimeoutMs: z.number().int().nonnegative().max(3_600_000).optional(),
    pollIntervalMs: z.number().int().positive().max(60_000).optional(),
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

/** A provider's validated configuration with its defaults, and its one client: what every Hetzner unit reads. */
export interface HetznerContext {
  readonly client: HttpClient;
  readonly emit: EmitEvent;
  readonly defaultLocation: string;
  readonly image: string;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  readonly maxPages: number;
  readonly capacity: HetznerCapacityPolicy;
  /** The budget of all the waits of one volume call (actions, a busy server or volume). */
  readonly waitTimeoutMs: number;
  /** How often a running action is polled (hcloud-go's default); `locked` retries start here and grow. */
  readonly pollIntervalMs: number;
}

/** Validate a provider's configuration (an `invalid_input` naming the field) and build its client. */
export function createHetznerContext(config: Omit<HetznerProviderConfig, 'provider'>): HetznerContext {
  const valid = parseInput(HETZNER_PROVIDER, configSchema, config, 'config');
  const retry = resolveRetryOptions(valid.retry);
  const timeoutMs = valid.timeoutMs ?? 30_000;
  const emit = createEventSink(HETZNER_PROVIDER, config.onEvent, config.logger);
  return {
    defaultLocation: valid.datacenter ?? HETZNER_DEFAULT_LOCATION,
    image: valid.image ?? HETZNER_DEFAULT_IMAGE,
    retry,
    timeoutMs,
    maxPages: valid.maxListPages ?? DEFAULT_MAX_PAGES,
    waitTimeoutMs: valid.waitTimeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS,
    pollIntervalMs: valid.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    capacity: {
      placementRetryDelayMs: valid.placementRetryDelayMs ?? DEFAULT_PLACEMENT_RETRY_DELAY_MS,
      placementFallbackEnabled: valid.placementFallbackEnabled ?? true,
      capacityRetryInitialDelayMs:
        valid.capacityRetryInitialDelayMs ?? DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS,
      capacityRetryMaxDelayMs: valid.capacityRetryMaxDelayMs ?? DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS,
      capacityRetryMaxAttempts: valid.capacityRetryMaxAttempts ?? DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS,
      capacityRetryBudgetMs: valid.capacityRetryBudgetMs ?? DEFAULT_CAPACITY_RETRY_BUDGET_MS,
    },
    emit,
    client: new HttpClient({
      provider: HETZNER_PROVIDER,
      baseUrl: (valid.apiUrl ?? HETZNER_API_URL).replace(/\/+$/, ''),
      authHeaders: { Authorization: `Bearer ${valid.apiToken ?? valid.token}` },
      fetch: config.fetch,
      timeoutMs,
      maxConnections: valid.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      retry,
      mapError: mapHetznerError,
      emit,
    }),
  };
}

/**
 * The locations offering `size`, in fallback order, once `location` is checked to be a known one offering it (an
 * `invalid_input` naming the field otherwise).
 */
export function hetznerLocationsOffering(location: string, size: VMSize): string[] {
  const metadata = Object.hasOwn(HETZNER_LOCATION_METADATA, location)
    ? HETZNER_LOCATION_METADATA[location]
    : undefined;
  if (metadata === undefined) {
    throw invalidInput(
      HETZNER_PROVIDER,
      'vm.location',
      `unknown location; use one of ${HETZNER_CREATABLE_LOCATIONS.join(', ')}`,
    );
  }
  const offering = HETZNER_CREATABLE_LOCATIONS.filter((id) =>
    HETZNER_LOCATION_METADATA[id]?.sizes.includes(size),
  );
  if (!metadata.sizes.includes(size)) {
    throw invalidInput(
      HETZNER_PROVIDER,
      'vm.size',
      `"${size}" is not offered in ${location}; it is in ${offering.join(', ')}`,
    );
  }
  return offering;
}
