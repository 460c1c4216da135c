/**
 * AIM symbology identifiers (ISO/IEC 15424): `]` + code character + modifier, sent by a
 * scanner before the data when it is set to transmit them. PROTOCOLS.md §4.3.
 */

export type Symbology =
  | 'code39'
  | 'code128'
  | 'gs1-128'
  | 'ean13'
  | 'ean8'
  | 'itf'
  | 'qr'
  | 'gs1-qr'
  | 'datamatrix'
  | 'gs1-datamatrix'
  | 'databar'
  | 'pdf417'
  | 'aztec'
  | 'codabar'
  | 'code93';

/** Symbologies whose data is a GS1 element string. */
export const gs1Symbologies: ReadonlySet<Symbology> = new Set<Symbology>([
  'gs1-128',
  'gs1-qr',
  'gs1-datamatrix',
  'databar',
]);

/** The identifiers named in PROTOCOLS.md §4.3, exactly. */
const exact: Readonly<Record<string, Symbology>> = {
  ']A0': 'code39',
  ']C0': 'code128',
  ']C1': 'gs1-128',
  ']E0': 'ean13',
  ']E4': 'ean8',
  ']I0': 'itf',
  ']I1': 'itf',
  ']Q1': 'qr',
  ']Q3': 'gs1-qr',
  ']Q4': 'gs1-qr',
  ']d1': 'datamatrix',
  ']d2': 'gs1-datamatrix',
  ']d5': 'gs1-datamatrix',
  ']e0': 'databar',
  ']L2': 'pdf417',
  ']z0': 'aztec',
};

/** Any other modifier of a known code character: the symbology family. */
const family: Readonly<Record<string, Symbology>> = {
  A: 'code39',
  C: 'code128',
  E: 'ean13',
  F: 'codabar',
  G: 'code93',
  I: 'itf',
  Q: 'qr',
  d: 'datamatrix',
  e: 'databar',
  L: 'pdf417',
  z: 'aztec',
};

const aimPattern = /^\][A-Za-z][0-9A-Za-z]/;

/** The symbology an AIM id names, or undefined for a code character we do not know. */
export function symbologyOfAim(aim: string): Symbology | undefined {
  if (!aimPattern.test(aim) || aim.length !== 3) return undefined;
  return exact[aim] ?? family[aim[1]];
}

/** Splits a leading AIM id off the text: `]C0RB1…` -> { aim: ']C0', data: 'RB1…' }. */
export function splitAim(text: string): { aim: string | undefined; data: string } {
  if (text.length >= 3 && aimPattern.test(text)) return { aim: text.slice(0, 3), data: text.slice(3) };
  return { aim: undefined, data: text };
}

/** The AIM id a symbology is sent with (the stubs use it). */
export function aimOfSymbology(symbology: Symbology): string {
  for (const [aim, s] of Object.entries(exact)) if (s === symbology) return aim;
  for (const [c, s] of Object.entries(family)) if (s === symbology) return `]${c}0`;
  return ']X0';
}
