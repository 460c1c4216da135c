/**
 * Waybills and declared weights for the load generator: UPU S10 numbers (PROTOCOLS.md §7)
 * that are unique per kit and pair, so every pair of a run is a new parcel, and the same
 * function gives the tasks file the gateway is started with.
 */

const S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7];

/** the S10 check digit of an 8-digit serial */
export function s10CheckDigit(serial: string): number {
  if (!/^\d{8}$/.test(serial)) throw new RangeError(`an S10 serial is 8 digits, got '${serial}'`);
  const sum = S10_WEIGHTS.reduce((acc, w, i) => acc + w * Number(serial[i]), 0);
  const r = 11 - (sum % 11);
  return r === 10 ? 0 : r === 11 ? 5 : r;
}

export function s10(prefix: string, serial: number, country: string): string {
  const digits = String(serial).padStart(8, '0');
  return `${prefix}${digits}${s10CheckDigit(digits)}${country}`;
}

/** pairs a kit can make before its waybills repeat */
export const PAIRS_PER_KIT = 1_000_000;

/** the `pair`-th parcel of kit number `kitIndex` (both from 0) */
export function waybillOf(kitIndex: number, pair: number): string {
  return s10('RB', kitIndex * PAIRS_PER_KIT + (pair % PAIRS_PER_KIT), 'GB');
}

/** the weight dispatch declared for that parcel, grams */
export function declaredGramsOf(kitIndex: number, pair: number): number {
  return 500 + ((kitIndex * 7 + pair) % 40) * 100;
}

export function kitIdOf(kitIndex: number): string {
  return `kit-${String(kitIndex + 1).padStart(2, '0')}`;
}
