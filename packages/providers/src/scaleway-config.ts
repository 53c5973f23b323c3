import type { VMSize } from '@simple-agent-manager/shared';
import { z } from 'zod';
import { scalewayProjectIdSchema, scalewaySecretKeySchema } from './credentials.js';
import { invalidInput } from './errors.js';
import { createEventSink } from './events.js';
import { DEFAULT_MAX_CONNECTIONS, maxConnectionsSchema } from './http-client.js';
import { isReservedLabelKey } from './labels.js';
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
import { ScalewayClient } from './scaleway-client.js';
import type { LocationMetadata, ScalewayProviderConfig } from './types.js';
import { parseInput, vmSizeSchema } from './validation.js';

export const SCALEWAY_PROVIDER = 'scaleway';

/** UNCONFIRMED (docs/scaleway-api.md §9): no documented API limit; Terraform caps cloud-init at 127 998 characters. */
const MAX_USER_DATA_LENGTH = 127_998;

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
/** A label filter or a VM's labels. */
export const scalewayLabelsSchema = z
  .record(labelKeySchema, labelValueSchema)
  .refine((labels) => Object.keys(labels).length <= 50, 'at most 50 labels');

/** What `createVM` accepts. */
export const scalewayVMConfigSchema = z.object({
  // UNCONFIRMED (docs/scaleway-api.md §12): name limits are not documented; a hostname-like name is always accepted.
  name: z
    .string()
    .min(1, 'must not be empty')
    .max(63, 'must be at most 63 characters')
    .regex(/^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/, 'must be letters, digits, ".", "_" or "-"'),
  size: vmSizeSchema,
  location: z.string(),
  userData: z.string().max(MAX_USER_DATA_LENGTH, `must be at most ${MAX_USER_DATA_LENGTH} characters`),
  labels: scalewayLabelsSchema.optional(),
  image: imageSchema.optional(),
});
export type ScalewayVMInput = z.output<typeof scalewayVMConfigSchema>;

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

/** A provider's validated configuration with its defaults, and its one client: what every Scaleway unit reads. */
export interface ScalewayContext {
  readonly client: ScalewayClient;
  readonly projectId: string;
  /** The default zone: `defaultLocation`, and where a bare UUID is looked up first. */
  readonly zone: string;
  /** The zones listed from (and, when they offer a size, created in). */
  readonly zones: readonly string[];
  readonly image: string;
  readonly retry: RetryOptions;
  readonly timeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>>;
  readonly locations: readonly string[];
}

/** Validate a provider's configuration (an `invalid_input` naming the field) and build its client. */
export function createScalewayContext(config: Omit<ScalewayProviderConfig, 'provider'>): ScalewayContext {
  const valid = parseInput(SCALEWAY_PROVIDER, configSchema, config, 'config');
  const zones = valid.zones ?? SCALEWAY_ZONE_IDS;
  const retry = resolveRetryOptions(valid.retry);
  const timeoutMs = valid.timeoutMs ?? 30_000;
  const locationMetadata: Readonly<Record<string, LocationMetadata>> = Object.fromEntries(
    zones.map((zone) => [zone, SCALEWAY_LOCATION_METADATA[zone as ScalewayZone]]),
  );
  return {
    projectId: valid.projectId,
    zone: valid.zone ?? SCALEWAY_DEFAULT_ZONE,
    zones,
    image: valid.image ?? SCALEWAY_DEFAULT_IMAGE,
    retry,
    timeoutMs,
    waitTimeoutMs: valid.waitTimeoutMs ?? 60_000,
    pollIntervalMs: valid.pollIntervalMs ?? 1_000,
    locationMetadata,
    // Where a VM can be created: the configured zones offering at least one size (listing covers them all).
    locations: zones.filter((zone) => (locationMetadata[zone]?.sizes.length ?? 0) > 0),
    client: new ScalewayClient({
      secretKey: valid.secretKey,
      baseUrl: (valid.apiUrl ?? SCALEWAY_API_URL).replace(/\/+$/, ''),
      fetch: config.fetch,
      timeoutMs,
      maxConnections: valid.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
      retry,
      emit: createEventSink(SCALEWAY_PROVIDER, config.onEvent, config.logger),
    }),
  };
}

/** The zone a VM of `size` is created in: `location`, if it is a configured zone offering the size. */
export function scalewayZoneOffering(context: ScalewayContext, location: string, size: VMSize): string {
  const { locationMetadata, locations } = context;
  const zone = Object.hasOwn(locationMetadata, location) ? locationMetadata[location] : undefined;
  if (zone === undefined) {
    throw invalidInput(
      SCALEWAY_PROVIDER,
      'vm.location',
      `unknown zone; use one of ${context.zones.join(', ')}`,
    );
  }
  if (!zone.sizes.includes(size)) {
    const offered = locations.filter((candidate) => locationMetadata[candidate]?.sizes.includes(size));
    throw invalidInput(
      SCALEWAY_PROVIDER,
      'vm.size',
      `"${size}" (${SCALEWAY_SIZES[size].type}) is not offered in ${location}; it is offered in ${offered.join(', ') || 'no configured zone'}`,
    );
  }
  return location;
}
