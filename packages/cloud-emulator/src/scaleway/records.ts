import type { ScalewayArch, ScalewayZone } from './catalog.js';
import type { ScalewayServerState } from './servers.js';

/** A volume type the emulator models: local SSD (Instance API) or SBS block volume (Block API). */
export type ScalewayVolumeType = 'l_ssd' | 'sbs_volume';

/** The `status` of a Block volume the emulator produces (docs/scaleway-api.md §15.4: the only ones recorded). */
export type ScalewayBlockVolumeStatus = 'creating' | 'available' | 'in_use' | 'updating';

/** The `status` of a Block volume's reference to a server (docs/scaleway-api.md §15.4). */
export type ScalewayBlockReferenceStatus = 'attaching' | 'attached' | 'detaching';

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
  /** The volume attached with `boot: true` (docs/scaleway-api.md §15.9), if any; every map entry says `boot: false` otherwise. */
  bootVolumeId: string | null;
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
  /**
   * The server holding the volume. For a Block volume this is the server its reference names, which outlives the
   * server's own map while the reference is `detaching` (docs/scaleway-api.md §15.9).
   */
  serverId: string | null;
  tags: string[];
  /** The image root snapshot the volume was made from. */
  parentSnapshotId: string | null;
  creationDate: string;
  modificationDate: string;
  lastDetachedAt: string | null;
  /** When the Block API reference to the server was made, while attached. */
  referenceCreatedAt: string | null;
  /** Block: the reference's status while {@link serverId} is set. */
  referenceStatus: ScalewayBlockReferenceStatus | null;
  /** Block: the transient status of a create or an update; `null` when the status follows the references. */
  operation: 'creating' | 'updating' | null;
  /** Block: 5 000 (`sbs_5k`) or 15 000 (`sbs_15k`) IOPS; 0 for local volumes. */
  perfIops: number;
  /** Block: a size (bytes) or IOPS change accepted by a PATCH and not yet applied (§15.6). */
  pendingUpdate: { size?: number; perfIops?: number } | null;
  /** Block v1: `kms_key_id` as given on create. */
  kmsKeyId: string | null;
  /** Block: bumped by each attach and detach so a lagging reference step of an older one is dropped. */
  generation: number;
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

/** A Block volume to seed (docs/scaleway-api.md §15.2). */
export interface ScalewaySeedBlockVolume {
  /** Default `fr-par-1`. */
  zone?: ScalewayZone;
  /** Default: the emulator's project. */
  project?: string;
  /** Default `seeded-volume-<n>`. */
  name?: string;
  /** Bytes. Default 10 GB. */
  size?: number;
  /** 5 000 or 15 000. Default 5 000. */
  perfIops?: number;
  /** Default `[]`. */
  tags?: readonly string[];
  /** Attach it (reference `attached`) to this server of the same zone, under its next free slot. */
  serverId?: string;
  /** Creation time. Default: now. */
  createdAt?: Date;
}

/**
 * How long the Block API lags behind, in emulated milliseconds (docs/scaleway-api.md §15.3, §15.6, §15.9), on the
 * emulator clock (`instant`: at once).
 */
export interface ScalewayBlockVolumeDelays {
  /** `creating` → `available` after `POST /volumes`. */
  create: number;
  /** `updating` → `available` / `in_use` after a size or IOPS PATCH. */
  update: number;
  /** Reference `attaching` → `attached` after `attach-volume`. */
  attach: number;
  /** Reference `detaching` → gone (volume `available`) after `detach-volume` on a server that is not running. */
  detachStopped: number;
  /** The same from a running server. */
  detachRunning: number;
}

/** Limits per project; creates beyond them get 403 `quotas_exceeded`. */
export interface ScalewayQuota {
  /** Servers in all zones. Default: unlimited. */
  servers?: number;
  /** Volumes (local and Block, made by a server create or `POST /block/v1/…/volumes`) in all zones. Default: unlimited. */
  volumes?: number;
}
