/**
 * The waybill classifier (PROTOCOLS.md §7): what a scanned code is — UPU S10, GS1 SSCC
 * (bare, bracketed or a GS1-128 element string with AI 00), EAN-13 / GTIN-14, UPS 1Z, or
 * a carrier scheme given as a name and a regular expression — and whether its check digit
 * holds. Pure: no I/O, never throws; an unrecognised code is a result with
 * reason 'UNKNOWN_FORMAT'.
 */
import { z } from 'zod';
import type { DecoderDefinition } from '../driver.js';

export type CheckDigitAlgorithm = 's10' | 'mod10' | 'ups' | 'none';

/** A carrier scheme as configured: `pattern` must match the whole normalised code. */
export interface CarrierScheme {
  name: string;
  pattern: string;
  checkDigit?: CheckDigitAlgorithm;
}

export interface WaybillInfo {
  /** 's10', 'sscc', 'ean13', 'gtin14', 'ups', 'gs1' or a carrier name; null when nothing matched */
  scheme: string | null;
  /** trimmed, upper-case, no spaces; the SSCC digits for a GS1 code */
  waybill: string;
  valid: boolean;
  /** 'UNKNOWN_FORMAT', 'BAD_CHECK_DIGIT', 'BAD_COUNTRY', 'NO_SSCC', 'BAD_GS1' */
  reason?: string;
  /** GS1 application identifiers and their values, when the code was a GS1 element string */
  ais?: Record<string, string>;
  /** other guessed carrier schemes whose pattern also matched (patterns overlap) */
  alternatives?: string[];
}

export const carrierSchemeSchema = z.object({
  name: z.string().min(1).max(40),
  pattern: z
    .string()
    .min(1)
    .max(300)
    .refine((p) => compile(p) instanceof RegExp, { message: 'not a valid regular expression' }),
  checkDigit: z.enum(['s10', 'mod10', 'ups', 'none']).optional(),
});

/** The common Chinese express formats (§7). They have no public check digit; they are guesses, tried after the standard schemes. */
export const defaultCarrierSchemes: readonly CarrierScheme[] = [
  { name: 'sf', pattern: 'SF\\d{13}|\\d{12}', checkDigit: 'none' },
  { name: 'jd', pattern: 'JD[XK]\\d{12}|JDV[A-Z]\\d{11}', checkDigit: 'none' },
  { name: 'jt', pattern: 'JT\\d{12,13}', checkDigit: 'none' },
  { name: 'yto', pattern: 'YT\\d{13}', checkDigit: 'none' },
  { name: 'sto', pattern: '(77|88|99)\\d{13}', checkDigit: 'none' },
  { name: 'yunda', pattern: '\\d{13}|\\d{15}', checkDigit: 'none' },
  { name: 'zto', pattern: '\\d{12,15}', checkDigit: 'none' },
];

/** ISO 3166-1 alpha-2 codes (officially assigned): the last two letters of an S10 identifier. */
export const iso3166Alpha2: ReadonlySet<string> = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS ' +
    'BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE ' +
    'EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM ' +
    'HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC ' +
    'LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA ' +
    'NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO ' +
    'TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

const s10Weights = [8, 6, 4, 2, 3, 5, 9, 7];

/** S10 check digit of 8 serial digits: weights 8 6 4 2 3 5 9 7, r = 11 − sum mod 11, 10 → 0, 11 → 5. */
export function s10CheckDigit(serial: string): number | undefined {
  if (!/^\d{8}$/.test(serial)) return undefined;
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * s10Weights[i];
  const r = 11 - (sum % 11);
  return r === 10 ? 0 : r === 11 ? 5 : r;
}

/** GS1 mod 10 check digit of the data digits: weights 3, 1, 3, … from the rightmost. */
export function gs1CheckDigit(data: string): number | undefined {
  if (!/^\d+$/.test(data)) return undefined;
  let sum = 0;
  for (let i = data.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += Number(data[i]) * w;
  return (10 - (sum % 10)) % 10;
}

function gs1Valid(digits: string): boolean {
  return digits.length >= 2 && gs1CheckDigit(digits.slice(0, -1)) === Number(digits[digits.length - 1]);
}

/** UPS check digit over the characters after "1Z": letters → (ASCII − 3) mod 10, every second value doubled. */
export function upsCheckDigit(body: string): number | undefined {
  if (!/^[0-9A-Z]+$/.test(body)) return undefined;
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c <= 57 ? c - 48 : (c - 3) % 10;
    sum += i % 2 === 1 ? 2 * v : v;
  }
  return (10 - (sum % 10)) % 10;
}

function checkS10(code: string): WaybillInfo {
  const serial = code.slice(2, 10);
  if (s10CheckDigit(serial) !== Number(code[10])) return { scheme: 's10', waybill: code, valid: false, reason: 'BAD_CHECK_DIGIT' };
  if (!iso3166Alpha2.has(code.slice(11))) return { scheme: 's10', waybill: code, valid: false, reason: 'BAD_COUNTRY' };
  return { scheme: 's10', waybill: code, valid: true };
}

function checkDigitHolds(algorithm: CheckDigitAlgorithm, code: string): { ok: boolean; reason?: string } {
  switch (algorithm) {
    case 'none':
      return { ok: true };
    case 'mod10':
      return gs1Valid(code.replace(/\D/g, '')) ? { ok: true } : { ok: false, reason: 'BAD_CHECK_DIGIT' };
    case 'ups': {
      const body = code.startsWith('1Z') ? code.slice(2) : code;
      return upsCheckDigit(body.slice(0, -1)) === Number(body[body.length - 1]) ? { ok: true } : { ok: false, reason: 'BAD_CHECK_DIGIT' };
    }
    case 's10': {
      if (/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(code)) {
        const r = checkS10(code);
        return r.valid ? { ok: true } : { ok: false, reason: r.reason };
      }
      const digits = /\d{9}/.exec(code)?.[0];
      return digits && s10CheckDigit(digits.slice(0, 8)) === Number(digits[8]) ? { ok: true } : { ok: false, reason: 'BAD_CHECK_DIGIT' };
    }
  }
}

const compiled = new Map<string, RegExp | Error>();

function compile(pattern: string): RegExp | Error {
  let re = compiled.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch (e) {
      re = e instanceof Error ? e : new Error(String(e));
    }
    if (compiled.size > 500) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}

function matchCarrier(code: string, scheme: CarrierScheme): WaybillInfo | undefined {
  const re = compile(scheme.pattern);
  if (!(re instanceof RegExp) || !re.test(code)) return undefined;
  const check = checkDigitHolds(scheme.checkDigit ?? 'none', code);
  return check.ok ? { scheme: scheme.name, waybill: code, valid: true } : { scheme: scheme.name, waybill: code, valid: false, reason: check.reason };
}

// ---- GS1 element strings ----

const twoDigitAis = /^(0[0-2]|1[0-7]|2[0-2]|30|37|9\d)/;
const threeDigitAis = /^(2[3-5]|4[0-2])/;
const fourDigitAis = /^(3[1-6]|39|43|7[0-2]|8[0-2])/;
/** AIs whose data length is predefined (no separator follows them), by their first two digits. */
const predefinedLength: Record<string, number> = {
  '00': 18, '01': 14, '02': 14, '11': 6, '12': 6, '13': 6, '15': 6, '16': 6, '17': 6, '20': 2,
  '31': 6, '32': 6, '33': 6, '34': 6, '35': 6, '36': 6, '41': 13,
};
const GS = '\x1d';

/** Parses "(00)…(421)…" or a raw element string (GS after variable-length AIs); undefined when malformed. */
export function parseGs1(text: string): Record<string, string> | undefined {
  const entries = parseGs1Entries(text);
  return entries ? Object.fromEntries(entries) : undefined;
}

function parseGs1Entries(text: string): [string, string][] | undefined {
  const ais: [string, string][] = [];
  if (text.startsWith('(')) {
    const re = /\((\d{2,4})\)([^()]+)/y;
    let m: RegExpExecArray | null;
    let pos = 0;
    while (pos < text.length && (m = re.exec(text)) !== null) {
      ais.push([m[1], m[2]]);
      pos = re.lastIndex;
    }
    return pos === text.length && ais.length > 0 ? ais : undefined;
  }
  let rest = text.startsWith(GS) ? text.slice(1) : text;
  while (rest.length > 0) {
    const aiLength = twoDigitAis.test(rest) ? 2 : threeDigitAis.test(rest) ? 3 : fourDigitAis.test(rest) ? 4 : 0;
    if (aiLength === 0 || rest.length <= aiLength) return undefined;
    const ai = rest.slice(0, aiLength);
    const fixed = predefinedLength[ai.slice(0, 2)];
    let value: string;
    if (fixed !== undefined) {
      value = rest.slice(aiLength, aiLength + fixed);
      if (value.length !== fixed) return undefined;
      rest = rest.slice(aiLength + fixed);
      if (rest.startsWith(GS)) rest = rest.slice(1);
    } else {
      const end = rest.indexOf(GS);
      value = end < 0 ? rest.slice(aiLength) : rest.slice(aiLength, end);
      rest = end < 0 ? '' : rest.slice(end + 1);
    }
    ais.push([ai, value]);
  }
  return ais.length > 0 ? ais : undefined;
}

function classifyGs1(text: string): WaybillInfo {
  const entries = parseGs1Entries(text);
  if (!entries) return { scheme: 'gs1', waybill: text.toUpperCase().replaceAll(GS, ''), valid: false, reason: 'BAD_GS1' };
  const ais = Object.fromEntries(entries);
  const sscc = ais['00'];
  if (sscc === undefined) {
    const waybill = entries.map(([ai, v]) => `(${ai})${v}`).join('').toUpperCase();
    return { scheme: 'gs1', waybill, valid: false, reason: 'NO_SSCC', ais };
  }
  const ok = /^\d{18}$/.test(sscc) && gs1Valid(sscc);
  return ok ? { scheme: 'sscc', waybill: sscc, valid: true, ais } : { scheme: 'sscc', waybill: sscc, valid: false, reason: 'BAD_CHECK_DIGIT', ais };
}

// ---- the classifier ----

const gs1Aim = /^\](C1|d2|Q3|e0|J1)/;
const anyAim = /^\][A-Za-z][0-9A-Za-z]/;
/** Past this length a code is not tried against regular expressions (it is no waybill). */
const maxPatternLength = 64;

function builtIn(code: string): WaybillInfo | undefined {
  if (/^[A-Z]{2}\d{9}[A-Z]{2}$/.test(code)) return checkS10(code);
  if (/^1Z[0-9A-Z]{16}$/.test(code)) {
    const ok = upsCheckDigit(code.slice(2, 17)) === Number(code[17]);
    return ok ? { scheme: 'ups', waybill: code, valid: true } : { scheme: 'ups', waybill: code, valid: false, reason: 'BAD_CHECK_DIGIT' };
  }
  const scheme = /^\d{18}$/.test(code) ? 'sscc' : /^\d{13}$/.test(code) ? 'ean13' : /^\d{14}$/.test(code) ? 'gtin14' : undefined;
  if (scheme === undefined) return undefined;
  return gs1Valid(code) ? { scheme, waybill: code, valid: true } : { scheme, waybill: code, valid: false, reason: 'BAD_CHECK_DIGIT' };
}

/**
 * Classifies a scanned code. `carriers` (from config) are tried first and win over guessing;
 * then the standard schemes; then the `guesses` (the Chinese express formats by default);
 * a standard scheme whose check digit fails is reported only when no guess matched.
 */
export function classifyWaybill(
  code: string,
  carriers: readonly CarrierScheme[] = [],
  guesses: readonly CarrierScheme[] = defaultCarrierSchemes,
): WaybillInfo {
  let text = typeof code === 'string' ? code.trim() : '';
  let gs1 = false;
  if (gs1Aim.test(text)) {
    gs1 = true;
    text = text.slice(3);
  } else if (anyAim.test(text)) {
    text = text.slice(3);
  }
  text = text.replace(/\s+/g, '');
  if (gs1 || text.includes(GS) || text.startsWith('(')) return classifyGs1(text);
  const normal = text.toUpperCase();
  if (normal.length === 0 || normal.length > maxPatternLength) return { scheme: null, waybill: normal, valid: false, reason: 'UNKNOWN_FORMAT' };
  for (const carrier of carriers) {
    const hit = matchCarrier(normal, carrier);
    if (hit) return hit;
  }
  if (/^00\d{18}$/.test(normal)) return classifyGs1(normal);
  const standard = builtIn(normal);
  if (standard?.valid) return standard;
  let guess: WaybillInfo | undefined;
  for (const scheme of guesses) {
    const hit = matchCarrier(normal, scheme);
    if (!hit) continue;
    if (!guess) guess = hit;
    else (guess.alternatives ??= []).push(scheme.name);
  }
  return guess ?? standard ?? { scheme: null, waybill: normal, valid: false, reason: 'UNKNOWN_FORMAT' };
}

/** `courier-gw decode waybill <code>`: the classification as JSON (an invalid code is a result, not an error). */
export const waybillDecoder: DecoderDefinition = {
  name: 'waybill',
  summary: 'classify a waybill / parcel code: S10, SSCC/GS1-128, EAN-13, UPS 1Z, carrier schemes',
  input: 'text',
  example: 'RB123456785GB',
  decode: (input) => classifyWaybill(typeof input === 'string' ? input : new TextDecoder().decode(input)),
};
