import {
  DEFAULT_SCALEWAY_IMAGE_NAME,
  DEFAULT_SCALEWAY_ZONE,
  type VMSize,
} from '@simple-agent-manager/shared';
import { sizeBuilder } from './size-config.js';
import type { LocationMetadata, SizeConfig } from './types.js';

// docs/scaleway-api.md §11: the recorded fr-par-1 values.
const PRICE_SOURCE =
  'Scaleway products API (GET /products/servers), fr-par-1, excl. VAT; other zones may differ';
const PRICE_DATE = '2026-08-17';
const size = sizeBuilder({ asOf: PRICE_DATE, source: PRICE_SOURCE });

/**
 * small/medium/large → Scaleway commercial types (docs/scaleway-api.md §11). Storage is the type's local maximum,
 * which the API gives the root volume when none is specified (§4.2): GP1-S is 300 GB, not the 600 GB once quoted.
 */
export const SCALEWAY_SIZES: Readonly<Record<VMSize, SizeConfig>> = {
  small: size('DEV1-M', 3, 4, 40, 0.020196, 14.74),
  medium: size('DEV1-XL', 4, 12, 120, 0.065076, 47.51),
  large: size('GP1-S', 8, 32, 300, 0.19074, 139.24),
};

/** The Instance zones (docs/scaleway-api.md §2.2). */
const ZONES = [
  ['fr-par-1', 'Paris 1', 'FR'],
  ['fr-par-2', 'Paris 2', 'FR'],
  ['fr-par-3', 'Paris 3', 'FR'],
  ['nl-ams-1', 'Amsterdam 1', 'NL'],
  ['nl-ams-2', 'Amsterdam 2', 'NL'],
  ['nl-ams-3', 'Amsterdam 3', 'NL'],
  ['pl-waw-1', 'Warsaw 1', 'PL'],
  ['pl-waw-2', 'Warsaw 2', 'PL'],
  ['pl-waw-3', 'Warsaw 3', 'PL'],
  ['it-mil-1', 'Milan 1', 'IT'],
] as const;

/** A Scaleway Instance zone id. */
export type ScalewayZone = (typeof ZONES)[number][0];

/** Every zone id, in the order above. */
export const SCALEWAY_ZONE_IDS: readonly ScalewayZone[] = ZONES.map(([id]) => id);

/**
 * Zones where a size is NOT offered, from the recorded products lists (docs/scaleway-api.md §2.2): DEV1 is absent
 * from the three "-3" zones, GP1-S from nl-ams-3 and pl-waw-3.
 * UNCONFIRMED (§2.2): it-mil-1's product list was never recorded; like the newest zones it is taken to offer none.
 */
const ABSENT: Readonly<Record<VMSize, readonly ScalewayZone[]>> = {
  small: ['fr-par-3', 'nl-ams-3', 'pl-waw-3', 'it-mil-1'],
  medium: ['fr-par-3', 'nl-ams-3', 'pl-waw-3', 'it-mil-1'],
  large: ['nl-ams-3', 'pl-waw-3', 'it-mil-1'],
};

const SIZES: readonly VMSize[] = ['small', 'medium', 'large'];

/** Every zone's name, country and offered sizes. */
export const SCALEWAY_LOCATION_METADATA: Readonly<Record<ScalewayZone, LocationMetadata>> =
  Object.fromEntries(
    ZONES.map(([id, name, country]) => [
      id,
      { name, country, sizes: SIZES.filter((candidate) => !ABSENT[candidate].includes(id)) },
    ]),
  ) as unknown as Record<ScalewayZone, LocationMetadata>;

export const SCALEWAY_API_URL = 'https://api.scaleway.com';
export const SCALEWAY_DEFAULT_ZONE = DEFAULT_SCALEWAY_ZONE;
export const SCALEWAY_DEFAULT_IMAGE = DEFAULT_SCALEWAY_IMAGE_NAME;
