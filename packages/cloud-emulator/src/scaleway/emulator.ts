import type { Hono } from 'hono';
import {
  EmulatorBase,
  type EmulatorOptions,
  type EmulatorOutcome,
  type InventoryItem,
} from '../core/emulator.js';
import { createRandom, randomUuid } from '../core/random.js';
import { ScalewayBlockVolumes } from './block-volumes.js';
import type { ScalewayZone } from './catalog.js';
import {
  SCALEWAY_MARKETPLACE_LABELS,
  type ScalewayArch,
  type ScalewayLocalImageType,
  scalewayImageId,
} from './catalog.js';
import { ScalewayIps } from './ips.js';
import { ScalewayLocalVolumes } from './local-volumes.js';
import type {
  ScalewayAvailability,
  ScalewayBlockVolumeDelays,
  ScalewayIpRecord,
  ScalewayQuota,
  ScalewaySeedBlockVolume,
  ScalewaySeedIp,
  ScalewaySeedServer,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
} from './records.js';
import type { ScalewayResources } from './route-context.js';
import { createScalewayRouter } from './routes.js';
import { ScalewayServers } from './server-store.js';
import { ScalewayServerVolumes } from './server-volumes.js';
import { ScalewayState } from './state.js';

/** The secret key the emulator accepts by default (a UUID, as real secret keys are). */
export const SCALEWAY_EMULATOR_SECRET_KEY = '7f3c2a8e-5b1d-4e9a-9c6f-2d8b4a1e0f57';
/** An access key in the `SCW` + 17 characters format, for clients (such as the official SDK) that require one. */
export const SCALEWAY_EMULATOR_ACCESS_KEY = 'SCWEMULATOR000000000';
/** The project the default key belongs to. */
export const SCALEWAY_EMULATOR_PROJECT_ID = '3b8f6c2d-9a4e-4f1b-8d7c-5e2a1f9b0c64';

/** Options of {@link ScalewayEmulator}. */
export interface ScalewayEmulatorOptions extends EmulatorOptions {
  /** The only `X-Auth-Token` accepted. Default {@link SCALEWAY_EMULATOR_SECRET_KEY}. */
  secretKey?: string;
  /** The project the key may act on; other projects' resources are invisible or forbidden. Default {@link SCALEWAY_EMULATOR_PROJECT_ID}. */
  projectId?: string;
  /** Default: the project id (a default project shares its organization's id). */
  organizationId?: string;
  /** Per-project limits. Default: none. */
  quota?: ScalewayQuota;
  /**
   * How long the Block view lags behind (creating, updating, attaching, detaching), in emulated milliseconds.
   * Default `SCALEWAY_BLOCK_VOLUME_DELAYS`.
   */
  blockVolumeDelays?: Partial<ScalewayBlockVolumeDelays>;
}

/** Emulated hosts answer with the API gateway's header (docs/scaleway-api.md §2.1). */
const GATEWAY_SERVER_HEADER = 'Scaleway API Gateway (fr-par-1;edge02)';

/**
 * A stateful fake of the Scaleway APIs a provider needs: Instance v1 (servers, actions, user data, images,
 * products, local volumes, flexible IPs, attaching and detaching volumes), Block v1 / v1alpha1 volumes (create,
 * get, list, update, delete, their lag behind the server's view on the emulator clock), Marketplace v2 local images
 * and Account v3 projects, following `docs/scaleway-api.md`.
 */
export class ScalewayEmulator extends EmulatorBase {
  readonly secretKey: string;
  readonly projectId: string;
  readonly organizationId: string;
  readonly #state: ScalewayState;
  readonly #resources: ScalewayResources;
  readonly #app: Hono<{ Bindings: { body: string } }>;
  readonly #requestIdRandom: () => number;

  constructor(options: ScalewayEmulatorOptions = {}) {
    super(
      {
        name: 'scaleway',
        defaultBaseUrl: 'https://api.scaleway.com',
        pathPrefixes: ['/instance/', '/marketplace/', '/account/', '/block/'],
        secretHeaders: ['x-auth-token'],
      },
      options,
    );
    this.secretKey = options.secretKey ?? SCALEWAY_EMULATOR_SECRET_KEY;
    this.projectId = options.projectId ?? SCALEWAY_EMULATOR_PROJECT_ID;
    this.organizationId = options.organizationId ?? this.projectId;
    this.#requestIdRandom = createRandom((options.seed ?? 1) ^ 0x2c1b3c6d);
    this.#state = new ScalewayState({
      projectId: this.projectId,
      organizationId: this.organizationId,
      quota: options.quota ?? {},
      clock: this.clock,
      random: this.random,
    });
    this.#resources = scalewayResources(this.#state, options.blockVolumeDelays ?? {});
    this.#app = createScalewayRouter(this.#resources, this.secretKey);
  }

  /** Every answer, faults included, carries the gateway's `Server` and a fresh `X-Request-Id` (§2.1). */
  override async handle(request: Request): Promise<EmulatorOutcome> {
    const outcome = await super.handle(request);
    if (outcome.kind === 'response') {
      const headers = outcome.response.headers;
      if (!headers.has('x-request-id')) headers.set('X-Request-Id', randomUuid(this.#requestIdRandom));
      if (!headers.has('server')) headers.set('Server', GATEWAY_SERVER_HEADER);
    }
    return outcome;
  }

  protected async route(request: Request, body: string): Promise<Response> {
    return this.#app.fetch(request, { body });
  }

  /** Add a server without a request, in any state (transient states then settle through the clock). */
  seedServer(seed: ScalewaySeedServer = {}): ScalewayServerRecord {
    return this.#resources.servers.seed(seed);
  }

  /** Add `count` servers like `template`, named `<template.name ?? 'seeded'>-<index>` (fast path for big lists). */
  seedServers(count: number, template: ScalewaySeedServer = {}): ScalewayServerRecord[] {
    return this.#resources.servers.seedMany(count, template);
  }

  /** Add a flexible IP, detached or attached to a server. */
  seedFlexibleIp(seed: ScalewaySeedIp = {}): ScalewayIpRecord {
    return this.#resources.ips.seed(seed);
  }

  /** Add a Block volume without a request, `available`, or attached (reference `attached`) to `seed.serverId`. */
  seedBlockVolume(seed: ScalewaySeedBlockVolume = {}): ScalewayVolumeRecord {
    return this.#resources.serverVolumes.seedBlockVolume(seed);
  }

  /** The current Block lag (see {@link ScalewayEmulatorOptions.blockVolumeDelays}). */
  get blockVolumeDelays(): Readonly<ScalewayBlockVolumeDelays> {
    return this.#resources.blockVolumes.delays;
  }

  /** Change some of the Block lags; steps already scheduled keep their time. */
  setBlockVolumeDelays(delays: Partial<ScalewayBlockVolumeDelays>): void {
    this.#resources.blockVolumes.setDelays(delays);
  }

  /** The stored server (live record), or `undefined` once it is gone. */
  getServer(zone: ScalewayZone, id: string): ScalewayServerRecord | undefined {
    const server = this.#state.servers.get(id);
    return server?.zone === zone ? server : undefined;
  }

  /** Every stored server, in creation order. */
  servers(): ScalewayServerRecord[] {
    return [...this.#state.servers.values()];
  }

  /** Every stored volume, local and Block, in creation order. */
  volumes(): ScalewayVolumeRecord[] {
    return [...this.#state.volumes.values()];
  }

  /** The stored volume (local or SBS), or `undefined`. */
  getVolume(id: string): ScalewayVolumeRecord | undefined {
    return this.#state.volumes.get(id);
  }

  /** The stored IP (dynamic or flexible), or `undefined`. */
  getIp(id: string): ScalewayIpRecord | undefined {
    return this.#state.ips.get(id);
  }

  /** The raw user data stored under `key`, exactly as received. */
  userData(zone: ScalewayZone, id: string, key: string): string | undefined {
    return this.getServer(zone, id)?.userData.get(key);
  }

  /**
   * The zone-local image id the Marketplace answers for a label (docs/scaleway-api.md §10.1); the same id is listed
   * in that zone's `/images`.
   */
  marketplaceImageId(
    label: string,
    zone: ScalewayZone,
    type: ScalewayLocalImageType = 'instance_sbs',
    arch: ScalewayArch = 'x86_64',
  ): string {
    if (!SCALEWAY_MARKETPLACE_LABELS.some((entry) => entry.label === label)) {
      throw new Error(`unknown marketplace label ${label}`);
    }
    return scalewayImageId(label, zone, type, arch);
  }

  /** Set what `/products/servers/availability` reports; `shortage` makes poweron fail with `out_of_stock`. */
  setAvailability(zone: ScalewayZone, commercialType: string, availability: ScalewayAvailability): void {
    this.#state.setAvailability(zone, commercialType, availability);
  }

  inventory(): InventoryItem[] {
    return this.#state.inventory();
  }

  protected resetState(): void {
    this.#state.reset();
  }
}

/** The resource modules around one shared state; servers delegate to the volume and IP modules. */
function scalewayResources(
  state: ScalewayState,
  blockVolumeDelays: Partial<ScalewayBlockVolumeDelays>,
): ScalewayResources {
  const ips = new ScalewayIps(state);
  const localVolumes = new ScalewayLocalVolumes(state);
  const blockVolumes = new ScalewayBlockVolumes(state, blockVolumeDelays);
  const serverVolumes = new ScalewayServerVolumes(state, localVolumes, blockVolumes);
  const servers = new ScalewayServers(state, serverVolumes, ips);
  return { state, servers, serverVolumes, localVolumes, blockVolumes, ips };
}
