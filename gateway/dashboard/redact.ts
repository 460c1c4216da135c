/**
 * What the dashboard may show of a bus payload: secrets (passwords, tokens, collection
 * codes) are masked and long strings (images) are cut, so a browser never receives them.
 */

const SECRET_KEY = /(password|passwordhash|secret|token|apikey|credentials?|collectioncode)$|^pin$/i;
const MAX_STRING = 256;
const MAX_DEPTH = 6;
const MAX_ITEMS = 200;
export const MASK = '•••';

/** Topics whose `code` field is a collection code (a locker opens with it). */
function codeIsSecret(topic: string): boolean {
  return /\/events\/code$/.test(topic) || /\/commands\/[^/]+$/.test(topic);
}

export function redact(topic: string, payload: unknown): unknown {
  return clean(payload, 0, codeIsSecret(topic));
}

function clean(value: unknown, depth: number, maskCode: boolean): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, 32)}… (${value.length} chars)` : value;
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => clean(v, depth + 1, maskCode));
    if (value.length > MAX_ITEMS) items.push(`… ${value.length - MAX_ITEMS} more`);
    return items;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY.test(k) || (maskCode && /code$/i.test(k))) out[k] = MASK;
    else out[k] = clean(v, depth + 1, maskCode);
  }
  return out;
}

/** A bus payload as JSON when it is JSON, else as (cut) text. */
export function parsePayload(buf: Buffer): unknown {
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text.length > MAX_STRING ? `${text.slice(0, 32)}… (${text.length} chars)` : text;
  }
}
