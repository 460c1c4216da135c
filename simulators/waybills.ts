/** Waybills for simulated parcels: valid UPU S10 identifiers (PROTOCOLS.md §7), with the product's check digit. */
import { s10CheckDigit } from '../devices/scanner/waybill.js';

/** A valid S10 identifier: `prefix`, the serial as 8 digits, its check digit, `country`. */
export function s10(serial: number, prefix = 'RB', country = 'GB'): string {
  const digits = String(serial).padStart(8, '0');
  const check = s10CheckDigit(digits);
  if (check === undefined) throw new RangeError(`an S10 serial is a whole number of up to 8 digits, got ${serial}`);
  return `${prefix}${digits}${check}${country}`;
}
