import { SCALEWAY_ZONES, type ScalewayZone, type VMSize } from '@simple-agent-manager/shared';
import type { ProviderLocation, SizeConfig } from './types.js';

// scaleway-api.md §11: the recorded fr-par-1 values.
const PRICE_SOURCE =
  'Scaleway products API (GET /products/servers), fr-par-1, excl. VAT; other zones may differ';
const PRICE_DATE = '2026-08-17';

/**
 * small/medium/large → Scaleway commercial types (scaleway-api.md §11). Storage is the type's local maximum,
 * which the API gives the root volume when none is specified (§4.2): GP1-S is 300 GB, not the 600 GB once quoted.
 */
export const SCALEWAY_SIZES: Readonly<Record<VMSize, SizeConfig>> = {
  small: {
    type: 'DEV1-M',
    vcpu: 3,
    ramGb: 4,
    storageGb: 40,
    price: { hourlyEur: 0.020196, monthlyEur: 14.74, asOf: PRICE_DATE, source: PRICE_SOURCE },
  },
  medium: {
    type: 'DEV1-XL',
    vcpu: 4,
    ramGb: 12,
    storageGb: 120,
    price: { hourlyEur: 0.065076, monthlyEur: 47.51, asOf: PRICE_DATE, source: PRICE_SOURCE },
  },
  large: {
    type: 'GP1-S',
    vcpu: 8,
    ramGb: 32,
    storageGb: 300,
    price: { hourlyEur: 0.19074, monthlyEur: 139.24, asOf: PRICE_DATE, source: PRICE_SOURCE },
  },
};

/**
 * Zones where a size is NOT offered, from the recorded products lists (scaleway-api.md §2.2): DEV1 is absent from
 * the three "-3" zones, GP1-S from nl-ams-3 and pl-waw-3.
 * UNCONFIRMED (§2.2): it-mil-1's product list was never recorded; like the newest zones it is taken to offer none.
 */
const ABSENT: Readonly<Record<VMSize, readonly ScalewayZone[]>> = {
  small: ['fr-par-3', 'nl-ams-3', 'pl-waw-3', 'it-mil-1'],
  medium: ['fr-par-3', 'nl-ams-3', 'pl-waw-3', 'it-mil-1'],
  large: ['nl-ams-3', 'pl-waw-3', 'it-mil-1'],
};

const SIZES: readonly VMSize[] = ['small', 'medium', 'large'];

/** Every Scaleway zone, with the sizes it offers. */
export const SCALEWAY_PROVIDER_LOCATIONS: readonly ProviderLocation[] = SCALEWAY_ZONES.map((zone) => ({
  ...zone,
  sizes: SIZES.filter((size) => !ABSENT[size].includes(zone.id)),
}));

/** Every zone id. */
export const SCALEWAY_ZONE_IDS: readonly string[] = SCALEWAY_ZONES.map((zone) => zone.id);

export const SCALEWAY_API_URL = 'https://api.scaleway.com';
export const SCALEWAY_DEFAULT_ZONE = 'fr-par-1';
export const SCALEWAY_DEFAULT_IMAGE = 'ubuntu_noble';
