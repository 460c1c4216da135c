/**
 * What the HTTP side and the dashboard may show of a bus payload or a device: secrets
 * (passwords, tokens, collection codes — typed, or scanned on a locker terminal) are
 * masked and long strings (images) are cut, so no answer and no browser ever holds them.
 * Every route that shows a payload goes through here.
 */
import { topics } from '../../core/topics.js';

const SECRET_KEY = /(password|passwordhash|secret|token|apikey|credentials?|collectioncode)$|^pin$/i;
const MAX_STRING = 256;
const MAX_DEPTH = 6;
const MAX_ITEMS = 200;
export const MASK = '•••';

/** Devices whose scanned codes may be collection codes (locker terminals), by id. */
export type SecretScanners = ReadonlySet<string>;

const noScanners: SecretScanners = new Set();

/** Topics whose `code` field is a collection code (a locker opens with it). */
function codeIsSecret(topic: string, scanners: SecretScanners): boolean {
  if (/\/events\/code$/.test(topic) || /\/commands\/[^/]+$/.test(topic)) return true;
  const scan = /^cg\/v1\/devices\/([^/]+)\/events\/scan$/.exec(topic);
  return scan !== null && scanners.has(scan[1]!);
}

export function redact(topic: string, payload: unknown, scanners: SecretScanners = noScanners): unknown {
  return clean(payload, 0, codeIsSecret(topic, scanners));
}

/** The ids of a config's locker terminals, whose scans may be collection codes. */
export function secretScanners(devices: readonly { id: string; kind: string }[]): SecretScanners {
  return new Set(devices.filter((d) => d.kind === 'terminal').map((d) => d.id));
}

/** A device's summary with its last event redacted as its topic would be. */
export function redactDevice<D extends { id: string; kind: string; lastEvent?: { type: string; at: string; payload: unknown }; info?: unknown; detail?: unknown }>(
  device: D,
  scanners: SecretScanners = noScanners,
): D {
  const out: D = { ...device };
  if (device.lastEvent) out.lastEvent = { ...device.lastEvent, payload: redact(topics.deviceEvent(device.id, device.lastEvent.type), device.lastEvent.payload, scanners) };
  if (device.info !== undefined) out.info = clean(device.info, 0, true);
  if (device.detail !== undefined) out.detail = clean(device.detail, 0, false);
  return out;
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
