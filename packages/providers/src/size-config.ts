import type { SizeConfig, SizePrice } from './types.js';

/**
 * A catalog's size builder for prices read on one date from one source: `size(type, vcpu, ramGb, storageGb,
 * hourlyEur, monthlyEur)` gives the display price (`€0.0202/hr`, excl. VAT) beside the numbers, their date and source.
 */
export function sizeBuilder(read: Pick<SizePrice, 'asOf' | 'source'>) {
  return (
    type: string,
    vcpu: number,
    ramGb: number,
    storageGb: number,
    hourlyEur: number,
    monthlyEur: number,
  ): SizeConfig => ({
    type,
    price: `€${hourlyEur.toFixed(4)}/hr`,
    vcpu,
    ramGb,
    storageGb,
    pricing: { hourlyEur, monthlyEur, ...read },
  });
}
