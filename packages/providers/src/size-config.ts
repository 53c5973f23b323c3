import type { SizeConfig, SizePrice } from './types.js';

/** A catalog's size: the display price (`€0.0202/hr`, excl. VAT) beside the numbers, their date and source. */
export function sizeConfig(
  type: string,
  resources: { vcpu: number; ramGb: number; storageGb: number },
  price: Pick<SizePrice, 'hourlyEur' | 'monthlyEur'>,
  read: Pick<SizePrice, 'asOf' | 'source'>,
): SizeConfig {
  return {
    type,
    price: `€${price.hourlyEur.toFixed(4)}/hr`,
    ...resources,
    pricing: { ...price, ...read },
  };
}
