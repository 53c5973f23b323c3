import type { LocationInfo } from './types.js';

/** Hetzner Cloud locations (see shared hetzner-api.md, "Sizes and locations"). */
export const HETZNER_LOCATIONS = [
  { id: 'fsn1', name: 'Falkenstein', country: 'DE' },
  { id: 'nbg1', name: 'Nuremberg', country: 'DE' },
  { id: 'hel1', name: 'Helsinki', country: 'FI' },
  { id: 'ash', name: 'Ashburn, VA', country: 'US' },
  { id: 'hil', name: 'Hillsboro, OR', country: 'US' },
  { id: 'sin', name: 'Singapore', country: 'SG' },
] as const satisfies readonly LocationInfo[];

/** A Hetzner location id. */
export type HetznerLocation = (typeof HETZNER_LOCATIONS)[number]['id'];

/** Scaleway Instance zones (scaleway-api.md §2.2). */
export const SCALEWAY_ZONES = [
  { id: 'fr-par-1', name: 'Paris 1', country: 'FR' },
  { id: 'fr-par-2', name: 'Paris 2', country: 'FR' },
  { id: 'fr-par-3', name: 'Paris 3', country: 'FR' },
  { id: 'nl-ams-1', name: 'Amsterdam 1', country: 'NL' },
  { id: 'nl-ams-2', name: 'Amsterdam 2', country: 'NL' },
  { id: 'nl-ams-3', name: 'Amsterdam 3', country: 'NL' },
  { id: 'pl-waw-1', name: 'Warsaw 1', country: 'PL' },
  { id: 'pl-waw-2', name: 'Warsaw 2', country: 'PL' },
  { id: 'pl-waw-3', name: 'Warsaw 3', country: 'PL' },
  { id: 'it-mil-1', name: 'Milan 1', country: 'IT' },
] as const satisfies readonly LocationInfo[];

/** A Scaleway Instance zone id. */
export type ScalewayZone = (typeof SCALEWAY_ZONES)[number]['id'];
