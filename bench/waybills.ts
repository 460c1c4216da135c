/**
 * Waybills and declared weights for the load generator: UPU S10 numbers (PROTOCOLS.md §7)
 * that are unique per kit and pair, so every pair of a run is a new parcel, and the same
 * function gives the tasks file the gateway is started with.
 */
import { s10 } from '../simulators/waybills.js';

/** pairs a kit can make before its waybills repeat (2,500 kits fit in the 8 serial digits) */
export const PAIRS_PER_KIT = 40_000;

/** the `pair`-th parcel of kit number `kitIndex` (both from 0) */
export function waybillOf(kitIndex: number, pair: number): string {
  return s10(kitIndex * PAIRS_PER_KIT + (pair % PAIRS_PER_KIT), 'RB', 'GB');
}

/** the weight dispatch declared for that parcel, grams */
export function declaredGramsOf(kitIndex: number, pair: number): number {
  return 500 + ((kitIndex * 7 + pair) % 40) * 100;
}

export function kitIdOf(kitIndex: number): string {
  return `kit-${String(kitIndex + 1).padStart(2, '0')}`;
}
