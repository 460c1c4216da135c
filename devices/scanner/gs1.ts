/**
 * A small GS1 element-string parser: AI + value pairs, as carried by GS1-128, GS1 QR,
 * GS1 Data Matrix and GS1 DataBar. AIs with a predefined length need no separator; every
 * other AI runs to the next GS (0x1D) or to the end. Pure: returns elements or a CodecError.
 */
import { CodecError } from '../codec.js';

export interface Gs1Element {
  ai: string;
  value: string;
}

export const GS = '\x1d';

/** How many digits the AI has, by its first two digits. */
const aiLength: Record<string, 2 | 3 | 4> = {};
for (const p of ['00', '01', '02', '03', '04', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '30', '37']) aiLength[p] = 2;
for (let n = 90; n <= 99; n++) aiLength[String(n)] = 2;
for (const p of ['23', '24', '25', '40', '41', '42', '71']) aiLength[p] = 3;
for (const p of ['31', '32', '33', '34', '35', '36', '39', '43', '70', '72', '80', '81', '82']) aiLength[p] = 4;

/** Data lengths fixed by the GS1 "predefined length" table, by the AI's first two digits. */
const predefined: Readonly<Record<string, number>> = {
  '00': 18, '01': 14, '02': 14, '03': 14, '04': 16,
  '11': 6, '12': 6, '13': 6, '14': 6, '15': 6, '16': 6, '17': 6, '18': 6, '19': 6,
  '20': 2, '31': 6, '32': 6, '33': 6, '34': 6, '35': 6, '36': 6, '41': 13,
};

/** Longest value of the variable-length AIs we know; others default to 30. */
const maxLength: Readonly<Record<string, number>> = {
  '10': 20, '21': 20, '22': 20, '30': 8, '37': 8, '254': 20,
  '420': 20, '421': 12, '422': 3, '423': 15, '424': 3, '425': 15, '426': 3, '427': 3,
  '7003': 10, '8020': 25,
};

const protocol = 'gs1';

function variableMax(ai: string): number {
  if (maxLength[ai] !== undefined) return maxLength[ai];
  if (ai.length === 4 && ai.startsWith('39')) return 18;
  const n = Number(ai.slice(0, 2));
  if (ai.length === 2 && n >= 91 && n <= 99) return 90;
  return 30;
}

/**
 * Parses a GS1 element string ("00376123450000000016421276101151\x1d10LOT7").
 * A leading GS (FNC1 in first position as some readers send it) is skipped.
 */
export function parseGs1(text: string): Gs1Element[] | CodecError {
  const elements: Gs1Element[] = [];
  let i = text.startsWith(GS) ? 1 : 0;
  if (i >= text.length) return new CodecError(protocol, 'EMPTY', 'no element string', text);
  while (i < text.length) {
    const prefix = text.slice(i, i + 2);
    const digits = aiLength[prefix];
    if (!/^\d\d$/.test(prefix) || digits === undefined) {
      return new CodecError(protocol, 'UNKNOWN_AI', `no application identifier at offset ${i}`, text);
    }
    const ai = text.slice(i, i + digits);
    if (!/^\d+$/.test(ai) || ai.length !== digits) {
      return new CodecError(protocol, 'UNKNOWN_AI', `application identifier ${ai} is cut short`, text);
    }
    i += digits;
    const fixed = predefined[prefix];
    let value: string;
    if (fixed !== undefined) {
      value = text.slice(i, i + fixed);
      if (value.length !== fixed || value.includes(GS)) {
        return new CodecError(protocol, 'WRONG_LENGTH', `AI ${ai} takes ${fixed} characters`, text);
      }
      i += fixed;
      if (text[i] === GS) i += 1;
    } else {
      const end = text.indexOf(GS, i);
      value = end < 0 ? text.slice(i) : text.slice(i, end);
      i = end < 0 ? text.length : end + 1;
      if (value.length === 0 || value.length > variableMax(ai)) {
        return new CodecError(protocol, 'WRONG_LENGTH', `AI ${ai} value of ${value.length} characters`, text);
      }
    }
    elements.push({ ai, value });
  }
  return elements;
}

/** Builds an element string, with GS after each variable-length element that is not last. */
export function encodeGs1(elements: readonly Gs1Element[]): string {
  return elements
    .map((e, n) => {
      const fixed = predefined[e.ai.slice(0, 2)] !== undefined;
      return e.ai + e.value + (fixed || n === elements.length - 1 ? '' : GS);
    })
    .join('');
}
