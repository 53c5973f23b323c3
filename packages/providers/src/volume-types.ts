/** The filesystem SAM formats its data volumes with, on the node. */
export const SAM_VOLUME_FILESYSTEM_FORMAT = 'ext4';
/** Where SAM mounts an environment's volume on the node. */
export const SAM_VOLUME_MOUNT_PATH_TEMPLATE = '/mnt/sam-env-{environmentId}/';
/** The fstab options SAM mounts data volumes with (`nofail`: a missing volume must not stop the boot). */
export const SAM_VOLUME_FSTAB_OPTIONS = ['nofail'] as const;

/** The state of a block volume, normalised across providers. */
export type VolumeStatus =
  | 'creating'
  | 'available'
  | 'attaching'
  | 'attached'
  | 'detaching'
  | 'resizing'
  | 'deleting'
  | 'unknown';

/** How SAM formats and mounts data volumes on the node (the provider only creates raw block devices). */
export interface VolumeLifecycleConventions {
  readonly filesystem: typeof SAM_VOLUME_FILESYSTEM_FORMAT;
  readonly mountPathTemplate: typeof SAM_VOLUME_MOUNT_PATH_TEMPLATE;
  readonly fstabOptions: readonly (typeof SAM_VOLUME_FSTAB_OPTIONS)[number][];
}

/** What a provider's block volumes can do; the control plane checks it before creating one. */
export interface VolumeCapabilities {
  /** Whether the volume methods work on this provider. */
  readonly supported: boolean;
  /** Smallest volume, in GB. */
  readonly minSizeGb?: number;
  /** Largest volume, in GB. */
  readonly maxSizeGb?: number;
  /** Volumes can only grow. */
  readonly growOnlyResize: boolean;
  /** A volume attaches only to a VM in its own location. */
  readonly requiresSameLocation: boolean;
  /** Most volumes attached to one VM. */
  readonly maxAttachedVolumesPerServer?: number;
  readonly defaultFormat: typeof SAM_VOLUME_FILESYSTEM_FORMAT;
  readonly lifecycle: VolumeLifecycleConventions;
  readonly notes?: readonly string[];
}

/** A block volume. */
export interface VolumeInstance {
  /** Opaque id to pass back verbatim. */
  id: string;
  name: string;
  /** Size in GB (10^9 bytes). */
  sizeGb: number;
  location: string;
  status: VolumeStatus;
  /** The VM it is attached to, as `createVM` returned its id. */
  attachedServerId?: string;
  /** The device path on the VM, when the provider tells it. */
  linuxDevice?: string;
  /** The provider's volume type or performance class. */
  volumeType?: string;
  /** ISO 8601 creation time. */
  createdAt: string;
  labels: Record<string, string>;
}

/** What `createVolume` creates. */
export interface VolumeConfig {
  name: string;
  sizeGb: number;
  location: string;
  labels?: Record<string, string> | undefined;
  /** The filesystem the node will format it with. Default `ext4`. */
  format?: typeof SAM_VOLUME_FILESYSTEM_FORMAT | undefined;
}

/** Which volume to attach where. */
export interface VolumeAttachmentConfig {
  volumeId: string;
  /** The VM's id exactly as `createVM` returned it. */
  serverId: string;
  location: string;
}

/** Which volume to detach (from `serverId`, when given). */
export interface VolumeDetachConfig {
  volumeId: string;
  serverId?: string | undefined;
  location: string;
}

/** Which volume to grow, to what size in GB. */
export interface VolumeResizeConfig {
  volumeId: string;
  location: string;
  sizeGb: number;
  /** The size the caller believes the volume has; a `sizeGb` not above it is refused before any request. */
  currentSizeGb?: number | undefined;
}

/** Which volume. */
export interface VolumeLookupConfig {
  volumeId: string;
  location: string;
}

/** Which volumes to list. */
export interface VolumeListConfig {
  location: string;
  labels?: Record<string, string> | undefined;
}

/** The lifecycle conventions every provider reports. */
export const SAM_VOLUME_LIFECYCLE: VolumeLifecycleConventions = Object.freeze({
  filesystem: SAM_VOLUME_FILESYSTEM_FORMAT,
  mountPathTemplate: SAM_VOLUME_MOUNT_PATH_TEMPLATE,
  fstabOptions: SAM_VOLUME_FSTAB_OPTIONS,
});
