/**
 * The default drop-off check until the rules engine's drop-off rule set is plugged in:
 * a waybill is present and valid (its scheme and check digit), it is not already in a locker, the weight (if any) is stable,
 * and a free compartment of the parcel's size is there.
 */
import type { EventPayload } from '../../devices/events.js';
import type { CompartmentSize } from '../../devices/locker/options.js';
import type { DropOffVerdict, LockerBankPort, ValidateDropOff } from './ports.js';
import { classifyWaybill, type WaybillInfo } from '../../devices/scanner/waybill.js';

const sizes: readonly CompartmentSize[] = ['XS', 'S', 'M', 'L', 'XL'];

export interface SizeByWeight {
  maxGrams: number;
  size: CompartmentSize;
}

/** heaviest parcel per size, smallest first */
export const defaultSizeByWeight: readonly SizeByWeight[] = [
  { maxGrams: 2_000, size: 'S' },
  { maxGrams: 5_000, size: 'M' },
  { maxGrams: 15_000, size: 'L' },
  { maxGrams: 30_000, size: 'XL' },
];

/**
 * The size a parcel needs: a `size` the terminal sent with the scan (the user chose it)
 * wins, else the weight decides, else the smallest common size 'S'.
 */
export function parcelSize(
  scan: EventPayload<'scan'>,
  weight: EventPayload<'weight'> | undefined,
  table: readonly SizeByWeight[] = defaultSizeByWeight,
): CompartmentSize | undefined {
  const chosen = scan.size;
  if (typeof chosen === 'string' && (sizes as readonly string[]).includes(chosen)) return chosen as CompartmentSize;
  if (!weight) return 'S';
  return table.find((t) => weight.grams <= t.maxGrams)?.size;
}

export function defaultDropOffValidator(
  bank: LockerBankPort,
  table: readonly SizeByWeight[] = defaultSizeByWeight,
  classify: (code: string) => WaybillInfo = (code) => classifyWaybill(code),
): ValidateDropOff {
  return (scan, weight): DropOffVerdict => {
    const reasons: string[] = [];
    const waybill = scan.code.trim();
    if (waybill.length === 0) reasons.push('WAYBILL_MISSING');
    else if (!classify(waybill).valid) reasons.push('WAYBILL_INVALID');
    else if (bank.findByWaybill(waybill)) reasons.push('ALREADY_IN_LOCKER');
    if (weight && !weight.stable) reasons.push('WEIGHT_NOT_STABLE');
    const size = parcelSize(scan, weight, table);
    if (!size) reasons.push('TOO_HEAVY');
    else if (!bank.findFree(size)) reasons.push('NO_COMPARTMENT_FITS');
    return { ok: reasons.length === 0, reasons, size };
  };
}
