import { createHash } from 'node:crypto';

/** Every Instance zone the emulator serves (docs/scaleway-api.md §2.2). */
export const SCALEWAY_ZONE_IDS = [
  'fr-par-1',
  'fr-par-2',
  'fr-par-3',
  'nl-ams-1',
  'nl-ams-2',
  'nl-ams-3',
  'pl-waw-1',
  'pl-waw-2',
  'pl-waw-3',
  'it-mil-1',
] as const;

/** A Scaleway Instance zone the emulator serves. */
export type ScalewayZone = (typeof SCALEWAY_ZONE_IDS)[number];

/** Owner (organization and project) of every public marketplace image (docs/scaleway-api.md §3, §10.3). */
export const SCALEWAY_PUBLIC_IMAGES_ORGANIZATION = '51b656e3-4865-41e8-adbc-0c45bdd780db';

/** A Marketplace local-image type (docs/scaleway-api.md §10.1). */
export type ScalewayLocalImageType = 'instance_local' | 'instance_sbs';

/** A CPU architecture of servers and images. */
export type ScalewayArch = 'x86_64' | 'arm64';

/** An Instance commercial type as `/products/servers` describes it (docs/scaleway-api.md §11). */
export interface ScalewayServerTypeSpec {
  readonly name: string;
  readonly arch: ScalewayArch;
  readonly ncpus: number;
  /** Bytes. */
  readonly ram: number;
  /** Most local (`l_ssd`) storage in bytes, all volumes together; 0 = block storage only. */
  readonly localStorageMax: number;
  /** EUR per hour in most zones. */
  readonly hourlyPrice: number;
  readonly endOfService: boolean;
  /** Bits per second. */
  readonly internetBandwidth: number;
  /** Zones that do not offer the type. */
  readonly absentFrom: readonly ScalewayZone[];
  /** Zones with another hourly price. */
  readonly zonePrices?: Partial<Record<ScalewayZone, number>>;
}

const GIB = 1024 ** 3;
const GB = 1_000_000_000;

/** §2.2: DEV1-* were absent from the three "-3" zones in every 2026 recording. */
const DEV1_ABSENT: readonly ScalewayZone[] = [
  'fr-par-3',
  'nl-ams-3',
  'pl-waw-3',
  // UNCONFIRMED (docs/scaleway-api.md §2.2): the it-mil-1 product list was never recorded; like the other newest
  // zones it is assumed to offer no DEV1/GP1 types.
  'it-mil-1',
];
/** §2.2: GP1-S was absent from nl-ams-3 and pl-waw-3. */
const GP1_ABSENT: readonly ScalewayZone[] = [
  'nl-ams-3',
  'pl-waw-3',
  // UNCONFIRMED (docs/scaleway-api.md §2.2): see DEV1_ABSENT.
  'it-mil-1',
];

/**
 * The offered commercial types. DEV1-S, DEV1-M, DEV1-XL, GP1-S and PLAY2-NANO carry the recorded fr-par-1 values of
 * docs/scaleway-api.md §11 (GP1-XS its recorded 150 GB root, §4.2).
 * UNCONFIRMED (docs/scaleway-api.md §11): prices of DEV1-L, GP1-XS, START1-S and COPARM1-2C-8G, bandwidths, and the
 * zones of GP1-XS (taken as GP1-S's), START1-S and COPARM1-2C-8G were not recorded; the values are plausible only.
 */
export const SCALEWAY_SERVER_TYPES: readonly ScalewayServerTypeSpec[] = [
  serverType('DEV1-S', 2, 2, 20, 0.008976, 200, DEV1_ABSENT),
  serverType('DEV1-M', 3, 4, 40, 0.020196, 300, DEV1_ABSENT),
  serverType('DEV1-L', 4, 8, 80, 0.04284, 400, DEV1_ABSENT),
  serverType('DEV1-XL', 4, 12, 120, 0.065076, 500, DEV1_ABSENT),
  serverType('GP1-XS', 4, 16, 150, 0.09198, 500, GP1_ABSENT),
  { ...serverType('GP1-S', 8, 32, 300, 0.19074, 800, GP1_ABSENT), zonePrices: { 'fr-par-3': 0.28611 } },
  serverType('PLAY2-NANO', 2, 4, 0, 0.02754, 400, []),
  {
    ...serverType('START1-S', 2, 2, 50, 0.0108, 200, zonesExcept(['fr-par-1', 'fr-par-2', 'nl-ams-1'])),
    endOfService: true,
  },
  { ...serverType('COPARM1-2C-8G', 2, 8, 0, 0.0426, 500, []), arch: 'arm64' },
];

function zonesExcept(offeredIn: readonly ScalewayZone[]): ScalewayZone[] {
  return SCALEWAY_ZONE_IDS.filter((zone) => !offeredIn.includes(zone));
}

function serverType(
  name: string,
  ncpus: number,
  ramGib: number,
  localGb: number,
  hourlyPrice: number,
  internetMbps: number,
  absentFrom: readonly ScalewayZone[],
): ScalewayServerTypeSpec {
  return {
    name,
    arch: 'x86_64',
    ncpus,
    ram: ramGib * GIB,
    localStorageMax: localGb * GB,
    hourlyPrice,
    endOfService: false,
    internetBandwidth: internetMbps * 1_000_000,
    absentFrom,
  };
}

/** The type named `name` if `zone` offers it. */
export function scalewayServerType(name: string, zone: ScalewayZone): ScalewayServerTypeSpec | undefined {
  const spec = SCALEWAY_SERVER_TYPES.find((candidate) => candidate.name === name);
  return spec === undefined || spec.absentFrom.includes(zone) ? undefined : spec;
}

/** The types a zone offers, sorted by name (the map order `/products/servers` answers with). */
export function scalewayServerTypesIn(zone: ScalewayZone): ScalewayServerTypeSpec[] {
  return SCALEWAY_SERVER_TYPES.filter((spec) => !spec.absentFrom.includes(zone)).sort((left, right) =>
    left.name.localeCompare(right.name),
  );
}

/** The `ServerType` object of `/products/servers` (docs/scaleway-api.md §11). */
export function serverTypeJson(spec: ScalewayServerTypeSpec, zone: ScalewayZone): Record<string, unknown> {
  const hourlyPrice = spec.zonePrices?.[zone] ?? spec.hourlyPrice;
  const local = spec.localStorageMax > 0;
  return {
    alt_names: [],
    arch: spec.arch,
    ncpus: spec.ncpus,
    ram: spec.ram,
    gpu: 0,
    gpu_info: null,
    mig_profile: null,
    volumes_constraint: { min_size: 0, max_size: spec.localStorageMax },
    // §11: per-volume l_ssd limits for DEV1/GP1 are 1 GB–800 GB.
    per_volume_constraint: {
      l_ssd: local ? { min_size: GB, max_size: 800 * GB } : { min_size: 0, max_size: 0 },
    },
    scratch_storage_max_size: null,
    scratch_storage_max_volumes_count: 0,
    monthly_price: Math.round(hourlyPrice * 730 * 100) / 100,
    hourly_price: hourlyPrice,
    capabilities: {
      boot_types: ['local', 'rescue'],
      placement_groups: true,
      block_storage: true,
      hot_snapshots_local_volume: local,
      private_network: 8,
      max_file_systems: 0,
    },
    network: {
      ipv6_support: true,
      sum_internal_bandwidth: spec.internetBandwidth,
      sum_internet_bandwidth: spec.internetBandwidth,
      interfaces: [
        { internal_bandwidth: spec.internetBandwidth, internet_bandwidth: spec.internetBandwidth },
      ],
    },
    block_bandwidth: 104_857_600 * spec.ncpus,
    end_of_service: spec.endOfService,
  };
}

/** A marketplace image label and the name its Instance images carry. */
interface MarketplaceLabel {
  readonly label: string;
  readonly name: string;
  readonly description: string;
}

/** The labels the emulated Marketplace knows (docs/scaleway-api.md §10). */
export const SCALEWAY_MARKETPLACE_LABELS: readonly MarketplaceLabel[] = [
  { label: 'ubuntu_noble', name: 'Ubuntu 24.04 Noble Numbat', description: 'Ubuntu 24.04 LTS' },
  { label: 'ubuntu_jammy', name: 'Ubuntu 22.04 Jammy Jellyfish', description: 'Ubuntu 22.04 LTS' },
  { label: 'debian_bookworm', name: 'Debian Bookworm', description: 'Debian 12' },
];

/** §10.1: each label exists as an x86_64 local image, an x86_64 SBS image and an arm64 SBS image per zone. */
const LOCAL_IMAGE_VARIANTS: ReadonlyArray<{ type: ScalewayLocalImageType; arch: ScalewayArch }> = [
  { type: 'instance_local', arch: 'x86_64' },
  { type: 'instance_sbs', arch: 'arm64' },
  { type: 'instance_sbs', arch: 'x86_64' },
];

/** Size of a local image's root volume, in bytes. */
const LOCAL_IMAGE_ROOT_SIZE = 10 * GB;
const CATALOG_DATE = '2025-09-01T09:12:44.512302+00:00';

/** A zone-local image: a Marketplace local image and the Instance image with the same id. */
export interface ScalewayCatalogImage {
  readonly id: string;
  readonly label: string;
  readonly name: string;
  readonly zone: ScalewayZone;
  readonly type: ScalewayLocalImageType;
  readonly arch: ScalewayArch;
  readonly rootVolumeId: string;
  readonly compatibleCommercialTypes: readonly string[];
}

/** A version-4-shaped UUID derived from `parts`, so catalogue ids never change between runs. */
export function derivedUuid(...parts: string[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32).split('');
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/**
 * The id of the zone-local image for a marketplace label, the same in `/marketplace/v2/local-images` and in that
 * zone's `/instance/v1/zones/{zone}/images`. Derived from (label, zone, type, arch), so tests can predict it.
 */
export function scalewayImageId(
  label: string,
  zone: ScalewayZone,
  type: ScalewayLocalImageType = 'instance_sbs',
  arch: ScalewayArch = 'x86_64',
): string {
  return derivedUuid('image', label, zone, type, arch);
}

/** §10.1: which commercial types each image kind boots. */
function compatibleTypes(type: ScalewayLocalImageType, arch: ScalewayArch): string[] {
  return SCALEWAY_SERVER_TYPES.filter((spec) => {
    if (spec.arch !== arch) return false;
    // Local images boot only types with local storage; the recorded SBS list has no end-of-service types.
    return type === 'instance_local' ? spec.localStorageMax > 0 : !spec.endOfService;
  })
    .map((spec) => spec.name)
    .sort();
}

function buildImages(): ScalewayCatalogImage[] {
  const images: ScalewayCatalogImage[] = [];
  for (const zone of SCALEWAY_ZONE_IDS) {
    for (const entry of SCALEWAY_MARKETPLACE_LABELS) {
      for (const variant of LOCAL_IMAGE_VARIANTS) {
        const id = scalewayImageId(entry.label, zone, variant.type, variant.arch);
        images.push({
          id,
          label: entry.label,
          name: entry.name,
          zone,
          type: variant.type,
          arch: variant.arch,
          rootVolumeId: derivedUuid('image-root', id),
          compatibleCommercialTypes: compatibleTypes(variant.type, variant.arch),
        });
      }
    }
  }
  return images;
}

/** Every zone-local image, in label, then (type, arch) order. */
export const SCALEWAY_CATALOG_IMAGES: readonly ScalewayCatalogImage[] = buildImages();
const IMAGES_BY_ID = new Map(SCALEWAY_CATALOG_IMAGES.map((image) => [image.id, image]));

/** The catalogue image with this id, if any (in any zone). */
export function catalogImage(id: string): ScalewayCatalogImage | undefined {
  return IMAGES_BY_ID.get(id);
}

/** Size of the root volume an image provides: local images have a real size, SBS snapshots report 0 (§3). */
export function imageRootSize(image: ScalewayCatalogImage): number {
  return image.type === 'instance_local' ? LOCAL_IMAGE_ROOT_SIZE : 0;
}

/** The Instance `Image` object (docs/scaleway-api.md §3). */
export function instanceImageJson(image: ScalewayCatalogImage): Record<string, unknown> {
  const local = image.type === 'instance_local';
  return {
    id: image.id,
    name: image.name,
    organization: SCALEWAY_PUBLIC_IMAGES_ORGANIZATION,
    project: SCALEWAY_PUBLIC_IMAGES_ORGANIZATION,
    root_volume: {
      id: image.rootVolumeId,
      name: local ? `${image.label}:volume-0` : '',
      volume_type: local ? 'l_ssd' : 'sbs_snapshot',
      size: imageRootSize(image),
    },
    extra_volumes: {},
    public: true,
    arch: image.arch,
    creation_date: CATALOG_DATE,
    modification_date: CATALOG_DATE,
    default_bootscript: null,
    from_server: '',
    state: 'available',
    tags: [],
    zone: image.zone,
  };
}

/** The Marketplace v2 `LocalImage` object (docs/scaleway-api.md §10.1). */
export function localImageJson(image: ScalewayCatalogImage): Record<string, unknown> {
  return {
    id: image.id,
    arch: image.arch,
    zone: image.zone,
    compatible_commercial_types: image.compatibleCommercialTypes,
    label: image.label,
    type: image.type,
  };
}

/** The Marketplace v2 `Image` object of the labels catalogue (docs/scaleway-api.md §10.2). */
export function marketplaceImageJson(entry: MarketplaceLabel): Record<string, unknown> {
  return {
    id: derivedUuid('marketplace-image', entry.label),
    name: entry.name,
    label: entry.label,
    description: entry.description,
    logo: '',
    categories: ['distribution'],
    created_at: '2024-04-25T08:30:00.000000Z',
    updated_at: '2025-09-01T09:12:44.512302Z',
    valid_until: null,
  };
}
