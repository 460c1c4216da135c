/**
 * Sortable unique ids (ULIDs: 48 bits of milliseconds, 80 random bits, Crockford base32,
 * 26 characters). The randomness is drawn from the operating system in blocks of 4 KiB,
 * not per character, and a factory is monotonic: ids made in the same millisecond (or
 * with a clock that stepped back) keep sorting in the order they were made, by counting
 * up from the last one's random part. A record id is the idempotency key dispatch stores
 * it under: it must never repeat.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
const MAX_TIME = 2 ** 48 - 1;

const pool = new Uint8Array(4096);
let poolAt = pool.length;

/** 16 random base32 digits (5 bits each: a byte & 31 is uniform). */
function drawRandom(into: Uint8Array): void {
  if (poolAt + RANDOM_CHARS > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  for (let i = 0; i < RANDOM_CHARS; i++) into[i] = pool[poolAt++]! & 31;
}

function encodeTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIME) throw new RangeError(`ulid time out of range: ${ms}`);
  let out = '';
  for (let i = TIME_CHARS - 1; i >= 0; i--) {
    const d = ms % 32;
    out = ALPHABET[d] + out;
    ms = (ms - d) / 32;
  }
  return out;
}

function encodeRandom(digits: Uint8Array): string {
  let out = '';
  for (let i = 0; i < RANDOM_CHARS; i++) out += ALPHABET[digits[i]!];
  return out;
}

/** A generator of strictly increasing ids; `time` (ms since epoch) defaults to now. */
export function monotonicFactory(): (time?: number) => string {
  const digits = new Uint8Array(RANDOM_CHARS);
  let lastTime = -1;
  let lastPrefix = '';
  return (time = Date.now()) => {
    const t = Math.floor(time);
    if (t <= lastTime) {
      // same millisecond, or the clock went back: the next id after the last one
      let i = RANDOM_CHARS - 1;
      while (i >= 0 && digits[i] === 31) digits[i--] = 0;
      if (i < 0) throw new RangeError('ulid random part exhausted within one millisecond');
      digits[i]!++;
      return lastPrefix + encodeRandom(digits);
    }
    lastTime = t;
    lastPrefix = encodeTime(t);
    drawRandom(digits);
    return lastPrefix + encodeRandom(digits);
  };
}

/** One id (not monotonic with any other). */
export function ulid(time: number = Date.now()): string {
  const digits = new Uint8Array(RANDOM_CHARS);
  drawRandom(digits);
  return encodeTime(Math.floor(time)) + encodeRandom(digits);
}

/** The millisecond time an id was made at. */
export function decodeTime(id: string): number {
  if (id.length !== TIME_CHARS + RANDOM_CHARS) throw new RangeError(`not a ulid: ${id}`);
  let ms = 0;
  for (let i = 0; i < TIME_CHARS; i++) {
    const d = ALPHABET.indexOf(id[i]!.toUpperCase());
    if (d < 0) throw new RangeError(`not a ulid: ${id}`);
    ms = ms * 32 + d;
  }
  return ms;
}
