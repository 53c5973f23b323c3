import { DEFAULT_HETZNER_DATACENTER, DEFAULT_HETZNER_IMAGE, type VMSize } from '@simple-agent-manager/shared';
import { sizeBuilder } from './size-config.js';
import type { LocationMetadata, SizeConfig } from './types.js';

const PRICE_SOURCE = 'hetzner.com/cloud list prices, EU locations, excl. VAT (verify before quoting)';
const PRICE_DATE = '2025-10-16';
const size = sizeBuilder({ asOf: PRICE_DATE, source: PRICE_SOURCE });

/** small/medium/large → Hetzner's cost-optimised shared-vCPU line (docs/hetzner-api.md, "Sizes and locations"). */
export const HETZNER_SIZES: Readonly<Record<VMSize, SizeConfig>> = {
  small: size('cx23', 2, 4, 40, 0.0048, 2.99),
  medium: size('cx33', 4, 8, 80, 0.008, 4.99),
  large: size('cx43', 8, 16, 160, 0.0152, 9.49),
};

const EVERY_SIZE: readonly VMSize[] = ['small', 'medium', 'large'];

/**
 * Hetzner locations with the sizes each offers: the cost-optimised line is offered in the European locations only.
 * The order is also the placement fallback order (SAM's: fsn1, nbg1, hel1, then the rest).
 */
export const HETZNER_LOCATION_METADATA: Readonly<Record<string, LocationMetadata>> = {
  fsn1: { name: 'Falkenstein', country: 'DE', sizes: EVERY_SIZE },
  nbg1: { name: 'Nuremberg', country: 'DE', sizes: EVERY_SIZE },
  hel1: { name: 'Helsinki', country: 'FI', sizes: EVERY_SIZE },
  ash: { name: 'Ashburn, VA', country: 'US', sizes: [] },
  hil: { name: 'Hillsboro, OR', country: 'US', sizes: [] },
  sin: { name: 'Singapore', country: 'SG', sizes: [] },
};

/** Default image for new VMs: Docker CE on Ubuntu 24.04 (SAM's node agent then skips installing Docker). */
export const HETZNER_DEFAULT_IMAGE = DEFAULT_HETZNER_IMAGE;
/** Default location. */
export const HETZNER_DEFAULT_LOCATION = DEFAULT_HETZNER_DATACENTER;

/** Default API endpoint. */
export const HETZNER_API_URL = 'https://api.hetzner.cloud/v1';

/** SAM's capacity and placement defaults (SAM contract §6). */
export const DEFAULT_PLACEMENT_RETRY_DELAY_MS = 3_000;
export const DEFAULT_CAPACITY_RETRY_INITIAL_DELAY_MS = 15_000;
export const DEFAULT_CAPACITY_RETRY_MAX_DELAY_MS = 120_000;
export const DEFAULT_CAPACITY_RETRY_MAX_ATTEMPTS = 10;
export const DEFAULT_CAPACITY_RETRY_BUDGET_MS = 300_000;
