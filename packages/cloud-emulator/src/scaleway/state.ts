import type { TransitionClock } from '../core/clock.js';
import type { InventoryItem } from '../core/emulator.js';
import { randomUuid } from '../core/random.js';
import type { ScalewayZone } from './catalog.js';
import { notFound, permissionsDenied, quotasExceeded } from './errors.js';
import type {
  ScalewayAvailability,
  ScalewayIpRecord,
  ScalewayQuota,
  ScalewayServerRecord,
  ScalewayVolumeRecord,
} from './records.js';

/** What {@link ScalewayState} needs from its emulator. */
export interface ScalewayStateOptions {
  projectId: string;
  organizationId: string;
  quota: ScalewayQuota;
  clock: TransitionClock;
  random: () => number;
}

/** The IAM action a call needs (docs/scaleway-api.md §2.3: `permissions_denied` names it). */
export type ScalewayAccess = 'read' | 'write' | 'delete';

/**
 * The shared core of the emulated Scaleway account: the stores, the clock, the key's project and its access
 * check, quotas, ids and the Instance time format. The resource modules (`server-store.ts`, `local-volumes.ts`,
 * `block-volumes.ts`, `ips.ts`, `images.ts`) hold the rules.
 */
export class ScalewayState {
  readonly servers = new Map<string, ScalewayServerRecord>();
  /** Local (`l_ssd`) and Block (`sbs_volume`) volumes share one id space. */
  readonly volumes = new Map<string, ScalewayVolumeRecord>();
  /** Dynamic and flexible IPs. */
  readonly ips = new Map<string, ScalewayIpRecord>();
  readonly projectId: string;
  readonly organizationId: string;
  readonly quota: ScalewayQuota;
  readonly clock: TransitionClock;
  readonly random: () => number;
  readonly #availability = new Map<string, ScalewayAvailability>();
  #sequence = 0;
  #lastMicros = 0;

  constructor(options: ScalewayStateOptions) {
    this.projectId = options.projectId;
    this.organizationId = options.organizationId;
    this.quota = options.quota;
    this.clock = options.clock;
    this.random = options.random;
  }

  /** Whether the API key may see resources of `project`. */
  canAccess(project: string): boolean {
    return project === this.projectId;
  }

  /** §2.3: a resource of another project is forbidden (403 `permissions_denied`). */
  checkAccess(project: string, access: ScalewayAccess, resource: string): void {
    if (!this.canAccess(project)) throw permissionsDenied(access, resource);
  }

  /** The organization of a project: a default project shares its organization's id (docs/scaleway-api.md §3). */
  organizationOf(project: string): string {
    return project === this.projectId ? this.organizationId : project;
  }

  /** A fresh resource id, drawn from the emulator's seeded random source. */
  newId(): string {
    return randomUuid(this.random);
  }

  /** Creation order of servers, for ties in list orders. */
  nextSequence(): number {
    return this.#sequence++;
  }

  /** How many servers have been created or seeded so far (names seeded servers). */
  get sequence(): number {
    return this.#sequence;
  }

  /** Now, in the Instance format `2025-09-05T15:46:14.716637+00:00`, strictly increasing between calls. */
  now(at?: Date): { text: string; micros: number } {
    const micros = at === undefined ? Math.max(Date.now() * 1000, this.#lastMicros + 1) : at.getTime() * 1000;
    if (at === undefined) this.#lastMicros = micros;
    const milliseconds = new Date(Math.floor(micros / 1000)).toISOString().slice(0, 23);
    return { text: `${milliseconds}${String(micros % 1000).padStart(3, '0')}+00:00`, micros };
  }

  availability(zone: ScalewayZone, commercialType: string): ScalewayAvailability {
    return this.#availability.get(`${zone}/${commercialType}`) ?? 'available';
  }

  setAvailability(zone: ScalewayZone, commercialType: string, availability: ScalewayAvailability): void {
    this.#availability.set(`${zone}/${commercialType}`, availability);
  }

  /** A server of this zone: 404 `instance_server` when unknown here, 403 for another project (§2.3). */
  server(zone: ScalewayZone, id: string, access: ScalewayAccess): ScalewayServerRecord {
    const server = this.servers.get(id);
    if (server === undefined || server.zone !== zone) throw notFound('instance_server', id);
    this.checkAccess(server.project, access, 'server');
    return server;
  }

  /**
   * 403 `quotas_exceeded` when `project` would hold more than `quota.volumes` volumes, local and Block alike.
   * `resource` is the name the answering API gives the quota.
   */
  checkVolumeQuota(project: string, adding: number, resource: string): void {
    const quota = this.quota.volumes;
    if (quota === undefined || adding === 0) return;
    let current = 0;
    for (const volume of this.volumes.values()) if (volume.project === project) current++;
    if (current + adding > quota) {
      throw quotasExceeded([{ resource, quota, current, project_id: project }]);
    }
  }

  /** Every billed resource: servers, volumes (local and Block), IPs (dynamic and flexible). */
  inventory(): InventoryItem[] {
    const items: InventoryItem[] = [];
    for (const server of this.servers.values()) {
      items.push({
        kind: 'server',
        id: server.id,
        zone: server.zone,
        project: server.project,
        orphaned: false,
        detail: { name: server.name, state: server.state, commercial_type: server.commercialType },
      });
    }
    for (const volume of this.volumes.values()) {
      items.push({
        kind: 'volume',
        id: volume.id,
        zone: volume.zone,
        project: volume.project,
        server: volume.serverId,
        orphaned: volume.serverId === null,
        detail: { volume_type: volume.volumeType, size: volume.size, name: volume.name },
      });
    }
    for (const ip of this.ips.values()) {
      items.push({
        kind: 'ip',
        id: ip.id,
        zone: ip.zone,
        project: ip.project,
        server: ip.serverId,
        orphaned: ip.serverId === null,
        detail: { address: ip.address, dynamic: ip.dynamic },
      });
    }
    return items;
  }

  reset(): void {
    this.servers.clear();
    this.volumes.clear();
    this.ips.clear();
    this.#availability.clear();
  }
}
