import type { CredentialProvider, LocationInfo, VMSize } from '@simple-agent-manager/shared';
import type { HttpEvent } from './http-client.js';
import type { RetryOptions } from './retry.js';

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

/** Options every {@link Provider} method accepts as its last argument. */
export interface RequestOptions {
  /** Aborts the operation. The returned promise rejects with `signal.reason`, untouched. */
  signal?: AbortSignal;
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
  labels?: Record<string, string>;
  /** An image name, label or id understood by the provider; each provider has a default. */
  image?: string;
}

/** A VM as the control plane sees it. */
export interface VMInstance {
  /** The provider-scoped id to pass back to get/delete/power methods. Opaque to the caller. */
  id: string;
  name: string;
  /** Public IPv4 address, or `''` while the provider has not assigned one. */
  ip: string;
  status: VMStatus;
  /** The provider's own words for the state, for people (e.g. `starting: provisioning node`). Not for logic. */
  statusDetail: string;
  /** The provider's server type, e.g. `cx23` or `DEV1-M`. */
  serverType: string;
  /** The location id the VM runs in. */
  location: string;
  /** ISO 8601 creation time. */
  createdAt: string;
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
  vcpu: number;
  /** Memory, in GB. */
  ramGb: number;
  /** Local root disk, in GB. */
  storageGb: number;
  price: SizePrice;
}

/** A location, with the sizes it offers. */
export interface ProviderLocation extends LocationInfo {
  readonly sizes: readonly VMSize[];
}

/** A cloud, driven through one interface. Implementations: `HetznerProvider`, `ScalewayProvider`. */
export interface Provider {
  /** Which cloud this is. */
  readonly name: CredentialProvider;
  /** Where VMs can be created, and which sizes each location offers. */
  readonly locations: readonly ProviderLocation[];
  /** The server type behind each size. */
  readonly sizes: Readonly<Record<VMSize, SizeConfig>>;

  /**
   * Create a VM and start it. Resolves once the provider has accepted the VM and its start; the VM may still be
   * booting (status `initializing` or `starting`, `ip` possibly `''`): use `waitForVM` to wait for `running`.
   * Invalid input rejects with `invalid_input` before any request. If any step fails or the caller aborts after
   * the VM exists, the VM and its resources are deleted before the promise rejects.
   */
  createVM(config: VMConfig, options?: RequestOptions): Promise<VMInstance>;
  /** Delete a VM and every paid resource it owned, from any state. Resolves when the VM is already gone. */
  deleteVM(id: string, options?: RequestOptions): Promise<void>;
  /** Read a VM. `null` when it does not exist, including for ids this provider could never have issued. */
  getVM(id: string, options?: RequestOptions): Promise<VMInstance | null>;
  /** Every VM of this account (all pages, all locations) carrying every given label with exactly that value. */
  listVMs(labels?: Record<string, string>, options?: RequestOptions): Promise<VMInstance[]>;
  /** Power a VM off (hard). Resolves if it is already off or stopping. */
  powerOff(id: string, options?: RequestOptions): Promise<void>;
  /** Power a VM on. Resolves if it is already running or starting. */
  powerOn(id: string, options?: RequestOptions): Promise<void>;
  /**
   * `true` when the credentials are valid, `false` when the provider rejects them; rejects only when it cannot
   * tell (network failure, provider outage).
   */
  validateToken(options?: RequestOptions): Promise<boolean>;
}

/** Settings every provider config accepts. */
export interface CommonProviderConfig {
  /** Base URL of the API; defaults to the provider's public endpoint. Tests point it at the emulator. */
  apiUrl?: string;
  /** The fetch implementation; defaults to `globalThis.fetch`, read at call time (so msw can intercept). */
  fetch?: typeof fetch;
  /** Per-request timeout in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Retry policy for retryable failures; see {@link RetryOptions} for defaults. */
  retry?: Partial<RetryOptions>;
  /** Observes every request, response and retry, with secrets redacted. For logs and metrics. */
  onEvent?: (event: HttpEvent) => void;
}

/** Configuration of a {@link Provider} for Hetzner Cloud. */
export interface HetznerProviderConfig extends CommonProviderConfig {
  provider: 'hetzner';
  /** Hetzner Cloud API token (read/write). */
  token: string;
  /** Default image for `createVM`. Default `ubuntu-24.04`. */
  image?: string;
}

/** Configuration of a {@link Provider} for Scaleway (Instance API v1). */
export interface ScalewayProviderConfig extends CommonProviderConfig {
  provider: 'scaleway';
  /** API secret key (a UUID). Sent as `X-Auth-Token`; never logged. */
  secretKey: string;
  /** The project VMs are created in and listed from (a UUID). */
  projectId: string;
  /** Default zone: where bare (zone-less) ids are looked up first. Default `fr-par-1`. */
  zone?: string;
  /** Zones `listVMs` covers and `createVM` accepts. Default: all ten zones. */
  zones?: readonly string[];
  /** Default image for `createVM`: a Marketplace label (resolved per zone) or a zone-local image UUID. Default `ubuntu_noble`. */
  image?: string;
  /**
   * Longest time, in milliseconds, a single `deleteVM` (or the cleanup of a failed create) waits for a transient
   * state to settle or for a block volume to detach. Default 60 000.
   */
  waitTimeoutMs?: number;
  /** First delay between polls during those waits, in milliseconds; grows to 5 000. Default 1 000. */
  pollIntervalMs?: number;
}

/** Configuration of any provider, discriminated by `provider`. */
export type ProviderConfig = HetznerProviderConfig | ScalewayProviderConfig;
