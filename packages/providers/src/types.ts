import type { CredentialProvider, VMSize } from '@simple-agent-manager/shared';
import type { ProviderEvent, ProviderLogger } from './events.js';
import type { RetryOptions } from './retry.js';
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

/**
 * The lifecycle state of a VM, normalised across providers.
 *
 * - `initializing`: being created; not yet booting.
 * - `starting`: booting; the IP may not be known yet.
 * - `running`: booted; `ip` is set.
 * - `stopping`: shutting down.
 * - `off`: stopped (still billed by some providers, see the provider's notes).
 * - `deleting`: being deleted.
 * - `busy`: the provider is working on it (migration, rebuild); wait and re-read.
 * - `locked`: the provider has locked it; it is unusable until the provider releases it. Do not wait for it.
 * - `unknown`: a state this library does not recognise.
 */
export type VMStatus =
  | 'initializing'
  | 'starting'
  | 'running'
  | 'stopping'
  | 'off'
  | 'deleting'
  | 'busy'
  | 'locked'
  | 'unknown';

/**
 * The optional last argument of every {@link Provider} method (SAM's request context). When `signal` fires, the
 * call rejects with `signal.reason`, untouched, and sends no further request.
 */
export interface ProviderRequestContext {
  readonly signal?: AbortSignal | undefined;
}

/** What to create. */
export interface VMConfig {
  /** The VM's name (also its hostname where the provider derives one). */
  name: string;
  size: VMSize;
  /** A location id from {@link Provider.locations}. */
  location: string;
  /** cloud-init user data. Holds secrets: never logged, never put in an error. */
  userData: string;
  /** Labels stored on the VM; `listVMs` filters on them. */
  labels?: Record<string, string> | undefined;
  /** An image name, label or id understood by the provider; each provider has a default. */
  image?: string | undefined;
}

/** A VM as the control plane sees it. */
export interface VMInstance {
  /** The provider-scoped id to pass back, verbatim, to get/delete/power methods. Opaque to the caller. */
  id: string;
  name: string;
  /** Public IPv4 address, or `''` while the provider has not assigned one (Scaleway assigns it at boot). */
  ip: string;
  status: VMStatus;
  /** The provider's own words for the state, for people (e.g. `starting: provisioning node`). Not for logic. */
  statusDetail: string;
  /** The provider's server type, e.g. `cx23` or `DEV1-M`. */
  serverType: string;
  /** The location id the VM runs in (where it landed, after any placement fallback). */
  location: string;
  /**
   * Creation time, ISO 8601 in UTC with milliseconds (`2026-08-17T10:01:02.345Z`), normalised so that `listVMs`
   * and `getVM` give byte-identical values; the provider's raw text when it cannot be read as a date.
   */
  createdAt: string;
  /**
   * The VM's labels. A key its raw metadata carries twice is ambiguous: it is replaced by a marker entry that no
   * label filter matches (test it with `hasAmbiguousLabel`).
   */
  labels: Record<string, string>;
}

/** Price of a size, with where and when it was read: prices change, so treat them as indicative. */
export interface SizePrice {
  /** Euros per hour, excluding VAT. */
  hourlyEur: number;
  /** Euros per month, excluding VAT. */
  monthlyEur: number;
  /** ISO date the price was read. */
  asOf: string;
  /** Where it was read. */
  source: string;
}

/** How a {@link VMSize} maps to a provider's server type. */
export interface SizeConfig {
  /** The provider's server type name. */
  type: string;
  /** The hourly price for display, with currency and unit, e.g. `€0.0202/hr` (excl. VAT). See `pricing`. */
  price: string;
  vcpu: number;
  /** Memory, in GB. */
  ramGb: number;
  /** Local root disk, in GB. */
  storageGb: number;
  /** The price as numbers, with its date and source. */
  pricing: SizePrice;
}

/** A location for display: its human name and ISO 3166-1 alpha-2 country. */
export interface LocationMeta {
  name: string;
  country: string;
}

/** A location's metadata, with the sizes it offers (what `createVM`'s size check uses). */
export interface LocationMetadata extends LocationMeta {
  readonly sizes: readonly VMSize[];
}

/** A cloud, driven through one interface. Implementations: `HetznerProvider`, `ScalewayProvider`. */
export interface Provider {
  /** Which cloud this is. */
  readonly name: CredentialProvider;
  /** Location ids where VMs of at least one size can be created, as plain strings. */
  readonly locations: readonly string[];
  /** Name, country and offered sizes of every location id in `locations` (and of configured ones offering none). */
  readonly locationMetadata: Readonly<Record<string, LocationMetadata>>;
  /** The server type behind each size. */
  readonly sizes: Readonly<Record<VMSize, SizeConfig>>;
  /** The configured default location (Scaleway: the default zone; Hetzner: the datacenter). */
  readonly defaultLocation: string;
  /** What block volumes this provider supports. */
  readonly volumeCapabilities: VolumeCapabilities;

  /**
   * Create a VM and start it. Resolves once the provider has accepted the VM and its start; the VM may still be
   * booting (status `initializing` or `starting`, `ip` possibly `''`): use `waitForVM` to wait for `running`.
   * Invalid input rejects with `invalid_input` before any request. If any step fails or the caller aborts after
   * the VM exists, the VM and its resources are deleted before the promise rejects.
   */
  createVM(config: VMConfig, context?: ProviderRequestContext): Promise<VMInstance>;
  /**
   * Delete a VM and every paid resource it owned, from any state. Idempotent: resolves when the VM does not exist,
   * including for ids this provider could never have issued (malformed, another provider's), without a request.
   */
  deleteVM(id: string, context?: ProviderRequestContext): Promise<void>;
  /** Read a VM. `null` when it does not exist, including for ids this provider could never have issued. */
  getVM(id: string, context?: ProviderRequestContext): Promise<VMInstance | null>;
  /** Every VM of this account (all pages, all locations) carrying every given label with exactly that value. */
  listVMs(labels?: Record<string, string>, context?: ProviderRequestContext): Promise<VMInstance[]>;
  /** Power a VM off (hard). Resolves if it is already off or stopping. */
  powerOff(id: string, context?: ProviderRequestContext): Promise<void>;
  /** Power a VM on. Resolves if it is already running or starting. */
  powerOn(id: string, context?: ProviderRequestContext): Promise<void>;
  /**
   * Resolves `true` when the credentials work. Rejects with a non-retryable `ProviderError` (`auth`, `permission`
   * or `not_found`) when the provider rejects them, and with a retryable one when it cannot tell (network failure,
   * outage). It never resolves `false`: a caller that ignores the boolean stays safe.
   */
  validateToken(context?: ProviderRequestContext): Promise<boolean>;

  /** Create a block volume (raw, unformatted). Rejects unless `volumeCapabilities.supported`. */
  createVolume(config: VolumeConfig, context?: ProviderRequestContext): Promise<VolumeInstance>;
  /** Attach a volume to a VM (`serverId` as `createVM` returned it); resolves once attached. */
  attachVolume(config: VolumeAttachmentConfig, context?: ProviderRequestContext): Promise<VolumeInstance>;
  /** Detach a volume; idempotent (resolves when already detached, `null` when gone). */
  detachVolume(config: VolumeDetachConfig, context?: ProviderRequestContext): Promise<VolumeInstance | null>;
  /** Grow a volume; a shrink or equal size is rejected before any request. */
  resizeVolume(config: VolumeResizeConfig, context?: ProviderRequestContext): Promise<VolumeInstance>;
  /** Delete a detached volume; idempotent. */
  deleteVolume(config: VolumeLookupConfig, context?: ProviderRequestContext): Promise<void>;
  /** Read a volume; `null` when not found. */
  getVolume(config: VolumeLookupConfig, context?: ProviderRequestContext): Promise<VolumeInstance | null>;
  /** Every volume in a location carrying every given label. */
  listVolumes(config: VolumeListConfig, context?: ProviderRequestContext): Promise<VolumeInstance[]>;
}

/** Settings every provider config accepts. */
export interface CommonProviderConfig {
  /** Base URL of the API; defaults to the provider's public endpoint. Tests point it at the emulator. */
  apiUrl?: string | undefined;
  /** The fetch implementation; defaults to `globalThis.fetch`, read at call time (so msw can intercept). */
  fetch?: typeof fetch | undefined;
  /** Per-request timeout in milliseconds. Default 30 000. */
  timeoutMs?: number | undefined;
  /**
   * Most requests this provider has in flight at once; the rest wait their turn, and the wait does not count against
   * `timeoutMs`. Default 6: Cloudflare Workers allow six simultaneous open connections per request.
   */
  maxConnections?: number | undefined;
  /** Retry policy for retryable failures; see {@link RetryOptions} for defaults. */
  retry?: Partial<RetryOptions> | undefined;
  /**
   * Receives one line per retry, capacity wait, placement fallback and failed cleanup (never a secret). Fed from
   * the same events as `onEvent`.
   */
  logger?: ProviderLogger | undefined;
  /** Observes every request, response, retry, capacity wait and failed cleanup, with secrets redacted. */
  onEvent?: ((event: ProviderEvent) => void) | undefined;
}

/**
 * Configuration of a {@link Provider} for Hetzner Cloud: {@link HetznerProviderSettings} and the API token, as
 * `apiToken` (SAM's name) or `token` (its alias).
 */
export type HetznerProviderConfig = HetznerProviderSettings &
  (
    | {
        /** Hetzner Cloud API token (read/write). Sent as `Authorization: Bearer …`; never logged. */
        apiToken: string;
        /** Alias of `apiToken`; when both are given they must be equal. */
        token?: string | undefined;
      }
    | { apiToken?: undefined; token: string }
  );

/** Everything of a {@link HetznerProviderConfig} but the token. */
export interface HetznerProviderSettings extends CommonProviderConfig {
  provider: 'hetzner';
  /** The default location (`createVM`'s placement fallback starts elsewhere from it). Default `fsn1`. */
  datacenter?: string | undefined;
  /** Default image for `createVM`. Default `docker-ce` (Ubuntu 24.04 with Docker CE). */
  image?: string | undefined;
  /** Delay before the one same-location retry of a create that failed with `placement_error` (412). Default 3 000 ms. */
  placementRetryDelayMs?: number | undefined;
  /** After two placement failures, try the other locations offering the size, in a fixed order. Default `true`. */
  placementFallbackEnabled?: boolean | undefined;
  /** First wait before retrying a create that failed for lack of capacity. Default 15 000 ms; doubles each time. */
  capacityRetryInitialDelayMs?: number | undefined;
  /** Longest wait between capacity retries. Default 120 000 ms. */
  capacityRetryMaxDelayMs?: number | undefined;
  /** Most create attempts while capacity is lacking, the first included. Default 10. */
  capacityRetryMaxAttempts?: number | undefined;
  /** No capacity wait starts that would end more than this long after the first attempt. Default 300 000 ms. */
  capacityRetryBudgetMs?: number | undefined;
  /** Most pages `listVMs` and `listVolumes` read (50 entries each). Default 200. */
  maxListPages?: number | undefined;
  /**
   * Longest time, in milliseconds, one volume call waits in all: for its attach / detach / resize action to finish,
   * for a server or volume busy with another action (`locked`, e.g. a server still booting) and for a new volume to
   * leave `creating`. Default 60 000.
   */
  waitTimeoutMs?: number | undefined;
  /** Delay between polls of a running action, in milliseconds; `locked` retries start there and grow to 5 000. Default 500. */
  pollIntervalMs?: number | undefined;
}

/** Configuration of a {@link Provider} for Scaleway (Instance API v1). */
export interface ScalewayProviderConfig extends CommonProviderConfig {
  provider: 'scaleway';
  /** API secret key (a UUID). Sent as `X-Auth-Token`; never logged. */
  secretKey: string;
  /** The project VMs are created in and listed from (a UUID). */
  projectId: string;
  /** Default zone: `defaultLocation`, and where bare (zone-less) ids are looked up first. Default `fr-par-1`. */
  zone?: string | undefined;
  /** Zones `listVMs` covers and `createVM` accepts. Default: all ten zones. */
  zones?: readonly string[] | undefined;
  /** Default image for `createVM`: a Marketplace label (resolved per zone) or a zone-local image UUID. Default `ubuntu_noble`. */
  image?: string | undefined;
  /**
   * Longest time, in milliseconds, a single `deleteVM` (or the cleanup of a failed create) waits for a transient
   * state to settle or for a block volume to detach. Default 60 000.
   */
  waitTimeoutMs?: number | undefined;
  /** First delay between polls during those waits, in milliseconds; grows to 5 000. Default 1 000. */
  pollIntervalMs?: number | undefined;
}

/** Configuration of any provider, discriminated by `provider`. */
export type ProviderConfig = HetznerProviderConfig | ScalewayProviderConfig;
