/**
 * Mass units the scales report, and their conversion to grams. The gateway speaks grams.
 * Rounding: a weight converted from another unit is rounded to 0.1 g (PROTOCOLS.md:
 * 1 oz = 28.349523125 g, 1 lb = 453.59237 g); a weight the scale already gives in grams
 * keeps the digits the scale sent (99.98 g stays 99.98), and milligrams keep 0.001 g.
 */

/** Grams per unit, exact by definition. */
export const gramsPerUnit = {
  mg: 0.001,
  g: 1,
  kg: 1000,
  /** metric carat */
  ct: 0.2,
  grain: 0.06479891,
  /** pennyweight */
  dwt: 1.55517384,
  /** metric tonne */
  t: 1_000_000,
  /** avoirdupois (short) ton, 2000 lb */
  ton: 907_184.74,
  /** troy ounce */
  ozt: 31.1034768,
  oz: 28.349523125,
  lb: 453.59237,
} as const;

export type MassUnit = keyof typeof gramsPerUnit;

/** Rounds to 0.1 g, half away from zero; never returns -0. */
export function roundGrams(grams: number): number {
  const tenths = Math.sign(grams) * Math.round(Math.abs(grams) * 10);
  return tenths === 0 ? 0 : tenths / 10;
}

/** A value in a unit as grams: kept as sent for g, to 0.001 g for mg, else rounded to 0.1 g. */
export function toGrams(value: number, unit: MassUnit): number {
  if (unit === 'g') return value === 0 ? 0 : value;
  if (unit === 'mg') {
    const mg = Math.sign(value) * Math.round(Math.abs(value));
    return mg === 0 ? 0 : mg / 1000;
  }
  return roundGrams(value * gramsPerUnit[unit]);
}

/** value × 10^exponent without the binary error of 10 ** negative (e.g. 300 × 10^-1 = 30 exactly). */
export function scaleByPowerOfTen(value: number, exponent: number): number {
  return exponent >= 0 ? value * 10 ** exponent : value / 10 ** -exponent;
}
