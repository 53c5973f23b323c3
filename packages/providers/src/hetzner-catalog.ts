import { HETZNER_LOCATIONS, type VMSize } from '@simple-agent-manager/shared';
import type { ProviderLocation, SizeConfig } from './types.js';

const PRICE_SOURCE = 'hetzner.com/cloud list prices, EU locations, excl. VAT (verify before quoting)';

/** small/medium/large → Hetzner's cost-optimised shared-vCPU line (hetzner-api.md, "Sizes and locations"). */
export const HETZNER_SIZES: Readonly<Record<VMSize, SizeConfig>> = {
  small: {
    type: 'cx23',
    vcpu: 2,
    ramGb: 4,
    storageGb: 40,
    price: { hourlyEur: 0.0048, monthlyEur: 2.99, asOf: '2025-10-16', source: PRICE_SOURCE },
  },
  medium: {
    type: 'cx33',
    vcpu: 4,
    ramGb: 8,
    storageGb: 80,
    price: { hourlyEur: 0.008, monthlyEur: 4.99, asOf: '2025-10-16', source: PRICE_SOURCE },
  },
  large: {
    type: 'cx43',
    vcpu: 8,
    ramGb: 16,
    storageGb: 160,
    price: { hourlyEur: 0.0152, monthlyEur: 9.49, asOf: '2025-10-16', source: PRICE_SOURCE },
  },
};

/** The cost-optimised line is offered in the European locations only. */
const EU_SIZES: readonly VMSize[] = ['small', 'medium', 'large'];

/** Hetzner locations with the sizes each offers. */
export const HETZNER_PROVIDER_LOCATIONS: readonly ProviderLocation[] = HETZNER_LOCATIONS.map((location) => ({
  ...location,
  sizes: location.country === 'DE' || location.country === 'FI' ? EU_SIZES : [],
}));

/** Default image for new VMs. */
export const HETZNER_DEFAULT_IMAGE = 'ubuntu-24.04';

/** Default API endpoint. */
export const HETZNER_API_URL = 'https://api.hetzner.cloud/v1';
