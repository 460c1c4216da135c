/** ETA accuracy: e = predicted − actual arrival, in minutes (negative: the courier came later than predicted). */

export interface EtaErrorStats {
  n: number;
  /** mean |e| */
  maeMin: number;
  /** mean e: positive = ETAs late (predicted after the actual arrival) */
  biasMin: number;
  rmseMin: number;
  /** share of |e| ≤ withinMin */
  withinShare: number;
  withinMin: number;
}

/** Statistics of ETA errors in minutes; undefined for no errors. */
export function etaErrorStats(errorsMin: readonly number[], withinMin = 5): EtaErrorStats | undefined {
  const n = errorsMin.length;
  if (n === 0) return undefined;
  let abs = 0;
  let sum = 0;
  let sq = 0;
  let within = 0;
  for (const e of errorsMin) {
    abs += Math.abs(e);
    sum += e;
    sq += e * e;
    if (Math.abs(e) <= withinMin) within += 1;
  }
  return { n, maeMin: abs / n, biasMin: sum / n, rmseMin: Math.sqrt(sq / n), withinShare: within / n, withinMin };
}
