import type { ScalewayArch, ScalewayZone } from './catalog.js';
import type { ScalewayServerState } from './servers.js';

/** A volume type the emulator models: local SSD (Instance API) or SBS block volume (Block API). */
export type ScalewayVolumeType = 'l_ssd' | 'sbs_volume';

/** `availability` of a commercial type in `/products/servers/availability` (docs/scaleway-api.md §11). */
export type ScalewayAvailability = 'available' | 'scarce' | 'shortage';

/** Where a running server was placed (docs/scaleway-api.md §3 `location`). */
export interface ScalewayServerLocation {
  zone_id: string;
  platform_id: string;
  cluster_id: string;
  hypervisor_id: string;
  node_id: string;
}

/** A server as the emulator stores it. */
export interface ScalewayServerRecord {
  readonly id: string;
  readonly zone: ScalewayZone;
  readonly project: string;
  readonly organization: string;
  name: string;
  commercialType: string;
  arch: ScalewayArch;
  state: ScalewayServerState;
  stateDetail: string;
  tags: string[];
  dynamicIpRequired: boolean;
  protected: boolean;
  imageId: string | null;
  /** Volume ids by slot; slot `"0"` is the root volume. */
  volumes: Record<string, string>;
  /** Flexible IP ids, in attach order. */
  flexibleIpIds: string[];
  /** The dynamic IP allocated while the server runs (docs/scaleway-api.md §4.2). */
  dynamicIpId: string | null;
  macAddress: string;
  securityGroupId: string;
  location: ScalewayServerLocation | null;
  creationDate: string;
  modificationDate: string;
  /** Raw user data by key (docs/scaleway-api.md §9). */
  userData: Map<string, string>;
  /** Creation order, microseconds since the epoch; ties broken by {@link sequence}. */
  readonly createdAt: number;
  readonly sequence: number;
  /** Bumped by each accepted action so steps scheduled by an older one are dropped. */
  generation: number;
}

/** A volume, local (`l_ssd`) or block (`sbs_volume`). */
export interface ScalewayVolumeRecord {
  readonly id: string;
  readonly zone: ScalewayZone;
  readonly project: string;
  readonly organization: string;
  name: string;
  readonly volumeType: ScalewayVolumeType;
  /** Bytes. */
  size: number;
  serverId: string | null;
  tags: string[];
  /** The image root snapshot the volume was made from. */
  parentSnapshotId: string | null;
  creationDate: string;
  modificationDate: string;
  lastDetachedAt: string | null;
  /** When the Block API reference to the server was made, while attached. */
  referenceCreatedAt: string | null;
}

/** A routed IPv4: dynamic (allocated at boot) or flexible (created with `POST /ips`). */
export interface ScalewayIpRecord {
  readonly id: string;
  readonly zone: ScalewayZone;
  readonly project: string;
  readonly organization: string;
  readonly address: string;
  readonly dynamic: boolean;
  serverId: string | null;
  state: 'attached' | 'pending' | 'detached';
  tags: string[];
}

/** How to seed a server without a request. */
export interface ScalewaySeedServer {
  /** Default `fr-par-1`. */
  zone?: ScalewayZone;
  /** Any of the six states. Transient states settle through the clock like a real transition. Default `running`. */
  state?: ScalewayServerState;
  /** Default: the emulator's project. */
  project?: string;
  /** Default `[]`. */
  tags?: readonly string[];
  /** Default `seeded-<n>`. */
  name?: string;
  /** Default `DEV1-S`. */
  commercialType?: string;
  /** Root volume type. Default `l_ssd` for types with local storage, else `sbs_volume`. */
  volumeType?: ScalewayVolumeType;
  /** Marketplace label of the image. Default `ubuntu_noble`. */
  imageLabel?: string;
  /** Default `true`. */
  dynamicIpRequired?: boolean;
  /** Default `false`. */
  protected?: boolean;
  /** Overrides the `state_detail` of the state. */
  stateDetail?: string;
  /** User data by key. */
  userData?: Readonly<Record<string, string>>;
  /** Creation time. Default: now (each seed strictly after the previous one). */
  createdAt?: Date;
}

/** A flexible IP to seed. */
export interface ScalewaySeedIp {
  zone?: ScalewayZone;
  project?: string;
  /** Attach it to this server. */
  serverId?: string;
  tags?: readonly string[];
}

/** Limits per project; creates beyond them get 403 `quotas_exceeded`. */
export interface ScalewayQuota {
  /** Servers in all zones. Default: unlimited. */
  servers?: number;
  /** Volumes (local and block) in all zones. Default: unlimited. */
  volumes?: number;
}
